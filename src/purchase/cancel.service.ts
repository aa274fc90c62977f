// Cancelling a confirmed order. PostgreSQL holds the intent: one statement turns the order
// CANCELLED once, with its ledger row (RETURN on its product's stock) and its ticket. Redis
// follows by a step keyed by the ticket's status and by its take's own (the units go back
// once); when that step is lost (Redis away, a crash), the reconciler applies it, or its repair
// releases the take first, and the late step then finds nothing left to give back.
import type { Deps } from "../deps.js";
import { AppError, notFound } from "../errors.js";
import { cancelPurchase } from "../redis/steps/cancel-purchase.js";
import type { TicketClaims } from "../waiting-room/tokens.js";
import { type OrderView, toOrderView } from "./order-view.js";
import { requestRefund } from "./refunds.js";

export async function cancelOrder(deps: Deps, claims: TicketClaims, orderId: string): Promise<OrderView> {
  const order = await deps.prisma.order.findUnique({ where: { id: orderId } });
  // Someone else's order is as unknown as a missing one.
  if (!order || order.ticketId !== claims.ticketId) throw notFound("order", { orderId });
  if (order.status === "FAILED") {
    throw new AppError({
      code: "INVALID_STATE",
      message: "Only a confirmed order can be cancelled",
      details: { status: order.status },
    });
  }
  if (order.status === "CONFIRMED") await recordCancel(deps, orderId);
  // Also when it was CANCELLED already: a call whose Redis step was lost completes it here
  // (and the reconciler does, with the refund, when nobody calls again).
  await cancelPurchase(deps.redis, order);
  await requestRefund(deps, order, "CANCELLED"); // the money goes back (src/purchase/refunds.ts)
  deps.log.info({ eventId: order.eventId, ticketId: order.ticketId, orderId }, "order cancelled");
  const cancelled = await deps.prisma.order.findUniqueOrThrow({ where: { id: orderId } });
  return toOrderView(cancelled);
}

/** The order, its ledger row and its ticket, in one statement: once, however often it runs. */
async function recordCancel(deps: Deps, orderId: string): Promise<void> {
  await deps.prisma.$executeRaw`
    WITH c AS (
      UPDATE "Order" SET status = 'CANCELLED', "updatedAt" = now()
      WHERE id = ${orderId} AND status = 'CONFIRMED'
      RETURNING id, "eventId", sku, quantity, "ticketId"
    ), ledger AS (
      -- The units back on the product's core stock: RETURN (v1 name: CANCEL).
      INSERT INTO "StockMovement" ("stockId", reason, quantity, reference)
      SELECT p."stockId", 'RETURN', c.quantity, c.id
      FROM c JOIN "Product" p ON p."eventId" = c."eventId" AND p.sku = c.sku
    )
    UPDATE "Ticket" AS t SET status = 'CANCELLED' FROM c WHERE t.id = c."ticketId"`;
}
