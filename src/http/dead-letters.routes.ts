// The admin's view of an event's purchase dead letters (src/recovery/dead-letters.ts), and
// their safe retry: never a raw job retry, the ticket queued again through its keyed path.
import { z } from "zod";
import type { Deps } from "../deps.js";
import { EVENT_ID } from "../events/event.schemas.js";
import { loadEventRow } from "../events/events.service.js";
import { deadLetterView, listDeadLetters, retryDeadLetter } from "../recovery/dead-letters.js";
import { adminApi } from "./admin-auth.js";
import type { ApiRouter } from "./api-router.js";

const eventParams = z.object({ eventId: EVENT_ID });
const jobParams = eventParams.extend({
  jobId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a job id (its ticket id)"),
});
const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100) });

export function deadLettersRoutes(deps: Deps): ApiRouter {
  const api = adminApi(deps);
  api.route(
    {
      method: "get",
      path: "/events/:eventId/dead-letters",
      summary: "Purchase jobs of the event that failed for good, most recent first",
      description: "A dead letter whose ticket has no outcome yet is `retryable`.",
      params: eventParams,
      query: listQuery,
      responses: {
        200: { description: "The dead letters", schema: z.object({ items: z.array(deadLetterView) }) },
      },
      errors: ["NOT_FOUND"],
    },
    async ({ params, query }) => {
      await loadEventRow(deps, params.eventId);
      return { status: 200, body: { items: await listDeadLetters(deps, params.eventId, query.limit) } };
    },
  );
  api.route(
    {
      method: "post",
      path: "/events/:eventId/dead-letters/:jobId/retry",
      summary:
        "Run a dead letter's purchase again (its ticket queued at its place; one outcome whatever happens)",
      description:
        "Only a ticket without an outcome is retried (409 INVALID_STATE otherwise). The purchase is keyed " +
        "by the ticket, so retrying twice, or next to the convergence loop, neither charges nor sells twice.",
      params: jobParams,
      responses: {
        202: {
          description: "Queued again",
          schema: z.object({ ticketId: z.string(), status: z.literal("REQUEUED") }),
        },
      },
      errors: ["NOT_FOUND", "INVALID_STATE"],
    },
    async ({ params }) => {
      await loadEventRow(deps, params.eventId);
      const retried = await retryDeadLetter(deps, params.eventId, params.jobId);
      return { status: 202, body: { ticketId: retried.ticketId, status: "REQUEUED" as const } };
    },
  );
  return api;
}
