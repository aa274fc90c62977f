// Reading an event's orders, oldest first, a page at a time. The cursor is opaque: the
// (createdAt, id) of the last order of the page, so paging is stable though ids are random.
import { z } from "zod";
import type { Deps } from "../deps.js";
import { type OrderView, toOrderView } from "../purchase/order-view.js";
import { requireEvent } from "./ledger.service.js";
import { type Page, pageLimit, toPage } from "./paging.js";

export const ORDER_STATUSES = ["CONFIRMED", "FAILED", "CANCELLED"] as const;

interface OrderCursor {
  createdAt: Date;
  id: string;
}

const encodeCursor = (c: OrderCursor) =>
  Buffer.from(`${c.createdAt.getTime()}:${c.id}`, "utf8").toString("base64url");

function decodeCursor(text: string): OrderCursor | null {
  const match = /^(\d{1,15}):([A-Za-z0-9_-]{1,64})$/.exec(Buffer.from(text, "base64url").toString("utf8"));
  if (!match?.[1] || !match[2]) return null;
  return { createdAt: new Date(Number(match[1])), id: match[2] };
}

export const ordersQuery = z.strictObject({
  status: z.enum(ORDER_STATUSES).optional().describe("Only orders in this status"),
  limit: pageLimit,
  cursor: z
    .string()
    .max(200)
    .transform((text, ctx) => {
      const cursor = decodeCursor(text);
      if (!cursor) {
        ctx.addIssue({ code: "custom", message: "the nextCursor of the previous page" });
        return z.NEVER;
      }
      return cursor;
    })
    .optional()
    .describe("The nextCursor of the previous page"),
});
export type OrdersQuery = z.infer<typeof ordersQuery>;

export async function listOrders(deps: Deps, eventId: string, q: OrdersQuery): Promise<Page<OrderView>> {
  await requireEvent(deps, eventId);
  const after = q.cursor;
  const rows = await deps.prisma.order.findMany({
    where: {
      eventId,
      ...(q.status ? { status: q.status } : {}),
      ...(after
        ? {
            OR: [
              { createdAt: { gt: after.createdAt } },
              { createdAt: after.createdAt, id: { gt: after.id } },
            ],
          }
        : {}),
    },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    take: q.limit + 1,
  });
  return toPage(rows, q.limit, toOrderView, (row) => encodeCursor(row));
}
