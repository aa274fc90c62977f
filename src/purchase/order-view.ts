// The Order of the contract, as shoppers and admins see it.
import type { Order } from "@prisma/client";

export interface OrderView {
  orderId: string;
  ticketId: string;
  eventId: string;
  sku: string;
  userId: string;
  quantity: number;
  amountCents: number;
  status: "CONFIRMED" | "FAILED" | "CANCELLED";
  reason?: string;
  createdAt: string;
}

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
