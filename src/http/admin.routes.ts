// Admin API (Bearer ADMIN_TOKEN): thin routes over the events services.
import { z } from "zod";
import type { Deps } from "../deps.js";
import { createEventInput, EVENT_ID, eventView } from "../events/event.schemas.js";
import {
  createEvent,
  getEvent,
  type LifecycleAction,
  listEvents,
  loadEventRow,
  transition,
} from "../events/events.service.js";
import { getStats, statsView } from "../events/stats.service.js";
import { reconcileEvent, reconcileReport } from "../recovery/reconcile.js";
import { adminApi } from "./admin-auth.js";
import type { ApiRouter } from "./api-router.js";

const eventParams = z.object({ eventId: EVENT_ID });

const LIFECYCLE: Record<LifecycleAction, { from: string; to: string }> = {
  start: { from: "DRAFT or SCHEDULED", to: "LIVE" },
  pause: { from: "LIVE", to: "PAUSED" },
  resume: { from: "PAUSED", to: "LIVE" },
  stop: { from: "any state", to: "ENDED" },
};

export function adminRoutes(deps: Deps): ApiRouter {
  const api = adminApi(deps);

  api.route(
    {
      method: "post",
      path: "/events",
      summary: "Create an event with its products and stock",
      description: "A future startsAt makes it SCHEDULED (shoppers may join the pre-queue); otherwise DRAFT.",
      body: createEventInput,
      responses: { 201: { description: "The new event", schema: eventView } },
    },
    async ({ body }) => ({ status: 201, body: await createEvent(deps, body) }),
  );

  api.route(
    {
      method: "get",
      path: "/events",
      summary: "List events, newest first",
      responses: { 200: { description: "Every event", schema: z.array(eventView) } },
    },
    async () => ({ status: 200, body: await listEvents(deps) }),
  );

  api.route(
    {
      method: "get",
      path: "/events/:eventId",
      summary: "Read an event with the live counters of each product",
      params: eventParams,
      responses: { 200: { description: "The event", schema: eventView } },
      errors: ["NOT_FOUND"],
    },
    async ({ params }) => ({ status: 200, body: await getEvent(deps, params.eventId) }),
  );

  for (const [action, { from, to }] of Object.entries(LIFECYCLE) as [
    LifecycleAction,
    typeof LIFECYCLE.start,
  ][]) {
    api.route(
      {
        method: "post",
        path: `/events/:eventId/${action}`,
        summary: `${action[0]?.toUpperCase()}${action.slice(1)} the sale (${from} → ${to})`,
        description:
          "Idempotent: the action that names the current state answers 200 with the event as it is " +
          "and completes whatever of it was left undone.",
        params: eventParams,
        responses: { 200: { description: "The event in its new state", schema: eventView } },
        errors: ["NOT_FOUND", "INVALID_STATE"],
      },
      async ({ params }) => ({ status: 200, body: await transition(deps, params.eventId, action) }),
    );
  }

  api.route(
    {
      method: "get",
      path: "/events/:eventId/stats",
      summary: "Live stats of the sale (also pushed on the /admin socket namespace as event:stats)",
      params: eventParams,
      responses: { 200: { description: "The stats", schema: statsView } },
      errors: ["NOT_FOUND"],
    },
    async ({ params }) => {
      const event = await getEvent(deps, params.eventId);
      const skus = event.products.map((p) => p.sku);
      return { status: 200, body: await getStats(deps, params.eventId, skus) };
    },
  );

  api.route(
    {
      method: "post",
      path: "/events/:eventId/reconcile",
      summary: "Settle purchases stuck in flight, compare Redis' counters with PostgreSQL and repair drift",
      params: eventParams,
      responses: { 200: { description: "What was found and done", schema: reconcileReport } },
      errors: ["NOT_FOUND"],
    },
    async ({ params }) => {
      await loadEventRow(deps, params.eventId);
      return { status: 200, body: await reconcileEvent(deps, params.eventId, { repair: true }) };
    },
  );

  return api;
}
