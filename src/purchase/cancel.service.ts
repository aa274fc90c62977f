// Cancelling a confirmed order: PostgreSQL first (the order turns CANCELLED once, with
// its CANCEL ledger row), then Redis (the units go back on sale, exactly once). Any
// number of identical calls, at once or later, cancel once.
import type { Deps } from "../deps.js";
import { AppError, notFound } from "../errors.js";
import { keys } from "../redis/keys.js";
import type { TicketClaims } from "../waiting-room/tokens.js";
import { type OrderView, toOrderView } from "./order-view.js";

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

  if (order.status === "CONFIRMED") {
    await deps.prisma.$transaction(async (tx) => {
      const { count } = await tx.order.updateMany({
        where: { id: orderId, status: "CONFIRMED" },
        data: { status: "CANCELLED" },
      });
      if (count === 1) {
        await tx.ledgerEntry.create({
          data: {
            eventId: order.eventId,
            sku: order.sku,
            reason: "CANCEL",
            quantity: order.quantity,
            reference: orderId,
          },
        });
        await tx.ticket.updateMany({ where: { id: order.ticketId }, data: { status: "CANCELLED" } });
      }
    });
  }
  // Also when it was CANCELLED already: a call whose Redis step was lost completes it here.
  await deps.redis.cancelPurchase(
    keys.stock(order.eventId, order.sku),
    keys.held(order.eventId, order.sku),
    keys.stats(order.eventId),
    keys.ticket(order.eventId, order.ticketId),
    Date.now(),
  );
  deps.log.info({ eventId: order.eventId, ticketId: order.ticketId, orderId }, "order cancelled");
  const cancelled = await deps.prisma.order.findUniqueOrThrow({ where: { id: orderId } });
  return toOrderView(cancelled);
}
