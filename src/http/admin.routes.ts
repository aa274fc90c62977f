// Admin API (Bearer ADMIN_TOKEN): thin routes over the events services.
import { Router } from "express";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { createEventInput, EVENT_ID } from "../events/event.schemas.js";
import {
  createEvent,
  getEvent,
  type LifecycleAction,
  listEvents,
  loadEventRow,
  transition,
} from "../events/events.service.js";
import { getStats } from "../events/stats.service.js";
import { reconcileEvent } from "../recovery/reconcile.js";
import { requireAdmin } from "./admin-auth.js";
import { parseInput } from "./validate.js";

const eventParams = z.object({ eventId: EVENT_ID });

export function adminRoutes(deps: Deps): Router {
  const router = Router();
  router.use(requireAdmin(deps.config.adminToken));

  router.post("/events", async (req, res) => {
    const input = parseInput(createEventInput, req.body, "body");
    res.status(201).json(await createEvent(deps, input));
  });

  router.get("/events", async (_req, res) => {
    res.json(await listEvents(deps));
  });

  router.get("/events/:eventId", async (req, res) => {
    const { eventId } = parseInput(eventParams, req.params, "params");
    res.json(await getEvent(deps, eventId));
  });

  for (const action of ["start", "pause", "resume", "stop"] satisfies LifecycleAction[]) {
    router.post(`/events/:eventId/${action}`, async (req, res) => {
      const { eventId } = parseInput(eventParams, req.params, "params");
      res.json(await transition(deps, eventId, action));
    });
  }

  router.get("/events/:eventId/stats", async (req, res) => {
    const { eventId } = parseInput(eventParams, req.params, "params");
    const event = await getEvent(deps, eventId);
    res.json(
      await getStats(
        deps,
        eventId,
        event.products.map((p) => p.sku),
      ),
    );
  });

  router.post("/events/:eventId/reconcile", async (req, res) => {
    const { eventId } = parseInput(eventParams, req.params, "params");
    await loadEventRow(deps, eventId);
    res.json(await reconcileEvent(deps, eventId, { repair: true }));
  });

  return router;
}
