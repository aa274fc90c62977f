// The admin's view of refunds (src/purchase/refunds.ts): every refund by event and status
// (FAILED ones are the dead letters), and the safe retry of a dead letter.
import { Router } from "express";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { notFound } from "../errors.js";
import { EVENT_ID } from "../events/event.schemas.js";
import { listRefunds, retryRefund } from "../purchase/refunds.js";
import { requireAdmin } from "./admin-auth.js";
import { parseInput } from "./validate.js";

const refundsQuery = z.strictObject({
  eventId: EVENT_ID.optional(),
  status: z.enum(["PENDING", "REFUNDED", "NOT_CHARGED", "NOT_NEEDED", "FAILED"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
const ticketParams = z.object({ ticketId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a ticket id") });

/** Mounted at /api/admin. */
export function refundsRoutes(deps: Deps): Router {
  const router = Router();
  router.use("/refunds", requireAdmin(deps.config.adminToken));
  router.get("/refunds", async (req, res) => {
    const query = parseInput(refundsQuery, req.query, "query");
    res.json({ items: await listRefunds(deps, query) });
  });
  router.post("/refunds/:ticketId/retry", async (req, res) => {
    const { ticketId } = parseInput(ticketParams, req.params, "params");
    if (!(await retryRefund(deps, ticketId))) throw notFound("failed refund", { ticketId });
    res.status(202).json({ ticketId, status: "PENDING" });
  });
  return router;
}
