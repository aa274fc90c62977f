// Routes of join admission (src/admission/): the proof-of-work puzzle a shopper's page
// fetches before joining, and the admin's switch for what an event's joins must bring.
import { Router } from "express";
import { z } from "zod";
import { admissionOf } from "../admission/admission.js";
import type { Deps } from "../deps.js";
import { AppError, notFound } from "../errors.js";
import { EVENT_ID } from "../events/event.schemas.js";
import { requireAdmin } from "./admin-auth.js";
import { parseInput } from "./validate.js";

const eventParams = z.object({ eventId: EVENT_ID });

export const admissionInput = z
  .strictObject({
    requireIdentity: z.boolean().optional(),
    powDifficulty: z.number().int().min(0).max(32).optional(),
  })
  .describe("What the event's joins must bring; omitted fields stay as they are");

/** Shopper side, mounted at /api: GET /events/:eventId/challenge. */
export function challengeRoutes(deps: Deps): Router {
  const admission = admissionOf(deps);
  const router = Router();
  router.get("/events/:eventId/challenge", async (req, res) => {
    const { eventId } = parseInput(eventParams, req.params, "params");
    const { powDifficulty } = await admission.settings(eventId);
    res.setHeader("Cache-Control", "no-store");
    res.json(admission.puzzles.issue(eventId, powDifficulty));
  });
  return router;
}

/** Admin side, mounted at /api/admin: read and change an event's admission settings. */
export function admissionAdminRoutes(deps: Deps): Router {
  const admission = admissionOf(deps);
  const router = Router();
  router.use(requireAdmin(deps.config.adminToken));
  router.get("/events/:eventId/admission", async (req, res) => {
    const { eventId } = parseInput(eventParams, req.params, "params");
    admission.forget(eventId);
    res.json(await admission.settings(eventId));
  });
  router.put("/events/:eventId/admission", async (req, res) => {
    const { eventId } = parseInput(eventParams, req.params, "params");
    const input = parseInput(admissionInput, req.body, "body");
    if (input.requireIdentity && !deps.config.identity)
      throw new AppError({
        code: "VALIDATION_FAILED",
        message:
          "Set SHOPPER_JWT_SECRET or SHOPPER_JWKS_URL (with issuer and audience) before requiring identity",
        details: { in: "body", fields: [{ path: "requireIdentity", message: "no verifier configured" }] },
      });
    const updated = await deps.prisma.event.updateMany({ where: { id: eventId }, data: input });
    if (updated.count === 0) throw notFound("event", { eventId });
    admission.forget(eventId);
    res.json(await admission.settings(eventId));
  });
  return router;
}
