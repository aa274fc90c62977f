// The admin's view of refunds (src/purchase/refunds.ts): every refund by event and status
// (FAILED ones are the dead letters), and the safe retry of a dead letter.
import { z } from "zod";
import type { Deps } from "../deps.js";
import { notFound } from "../errors.js";
import { EVENT_ID, TIME } from "../events/event.schemas.js";
import { listRefunds, retryRefund } from "../purchase/refunds.js";
import { adminApi } from "./admin-auth.js";
import type { ApiRouter } from "./api-router.js";

const REFUND_STATUSES = ["PENDING", "REFUNDED", "NOT_CHARGED", "NOT_NEEDED", "FAILED"] as const;

const refundsQuery = z.strictObject({
  eventId: EVENT_ID.optional(),
  status: z.enum(REFUND_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const ticketParams = z.object({ ticketId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a ticket id") });

const refundView = z
  .object({
    ticketId: z.string(),
    eventId: z.string(),
    orderId: z.string().nullable(),
    userId: z.string(),
    amountCents: z.number().int(),
    reason: z.string(),
    status: z.enum(REFUND_STATUSES),
    reference: z.string().nullable(),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    createdAt: TIME,
    refundedAt: TIME.nullable(),
  })
  .meta({ id: "Refund" });

export function refundsRoutes(deps: Deps): ApiRouter {
  const api = adminApi(deps);
  api.route(
    {
      method: "get",
      path: "/refunds",
      summary:
        "Refunds of charged purchases that did not end CONFIRMED or were cancelled (FAILED: dead letters)",
      query: refundsQuery,
      responses: {
        200: { description: "The refunds, newest first", schema: z.object({ items: z.array(refundView) }) },
      },
    },
    async ({ query }) => ({ status: 200, body: { items: await listRefunds(deps, query) } }),
  );
  api.route(
    {
      method: "post",
      path: "/refunds/:ticketId/retry",
      summary: "Retry a refund whose attempts ran out (idempotent per ticket)",
      params: ticketParams,
      responses: {
        202: {
          description: "Queued again",
          schema: z.object({ ticketId: z.string(), status: z.literal("PENDING") }),
        },
      },
      errors: ["NOT_FOUND"],
    },
    async ({ params }) => {
      if (!(await retryRefund(deps, params.ticketId))) throw notFound("failed refund", params);
      return { status: 202, body: { ticketId: params.ticketId, status: "PENDING" as const } };
    },
  );
  return api;
}
