// The Order of the contract, as shoppers and admins see it.
import type { Order } from "@prisma/client";
import { z } from "zod";
import { EVENT_ID, SKU, TIME } from "../events/event.schemas.js";
import { USER_ID } from "../waiting-room/ticket.schemas.js";

export const orderView = z
  .object({
    orderId: z.string(),
    ticketId: z.string(),
    eventId: EVENT_ID,
    sku: SKU,
    userId: USER_ID,
    quantity: z.number().int(),
    amountCents: z.number().int(),
    status: z.enum(["CONFIRMED", "FAILED", "CANCELLED"]),
    reason: z.string().optional(),
    createdAt: TIME,
  })
  .meta({ id: "Order" });
export type OrderView = z.infer<typeof orderView>;

export function toOrderView(order: Order): OrderView {
  return {
    orderId: order.id,
    ticketId: order.ticketId,
    eventId: order.eventId,
    sku: order.sku,
    userId: order.userId,
    quantity: order.quantity,
    // BIGINT in PostgreSQL, a bigint from Prisma; a number in JSON. Exact: the door bounds an
    // amount by 1e8 × 1,000 (test/unit/amount-bounds.test.ts), far below 2^53.
    amountCents: Number(order.amountCents),
    status: order.status,
    ...(order.reason ? { reason: order.reason } : {}),
    createdAt: order.createdAt.toISOString(),
  };
}
