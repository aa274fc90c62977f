// A catalog order after it is placed (place-order.ts): cancel, pay, fulfil (the moves of
// order-states.ts, each a conditional UPDATE), and the reads. A cancel gives each unit back once
// where it came from: the core's release of the order's take (or, for an order the row-lock
// comparison path placed, its commitment).
import type { CatalogOrderStatus } from "@prisma/client";
import type { Deps } from "../deps.js";
import { notFound } from "../errors.js";
import { toPage } from "../events/paging.js";
import { confirm, release } from "../stock/takes.service.js";
import type { CatalogOrderView } from "./catalog.schemas.js";
import { type OrderRow, orderView, takeReferenceOf } from "./order-records.js";
import { cancelRowlock } from "./order-rowlock.js";
import { canMove, invalidMove, ORDER_MOVES } from "./order-states.js";

async function requireOrder(deps: Deps, orderId: string, storeId?: string): Promise<OrderRow> {
  const row = await deps.prisma.catalogOrder.findUnique({ where: { id: orderId }, include: { lines: true } });
  if (!row || (storeId !== undefined && row.locationId !== storeId)) throw notFound("order", { orderId });
  return row;
}

export async function getOrder(deps: Deps, orderId: string): Promise<CatalogOrderView> {
  return orderView(await requireOrder(deps, orderId));
}

/**
 * PENDING or PAID → CANCELLED, each unit back once where it came from. Again (or concurrently):
 * 200, nothing more moves; a repeat also finishes a give-back a crash interrupted.
 */
export async function cancelOrder(deps: Deps, orderId: string, opts: { storeId?: string } = {}) {
  const row = await requireOrder(deps, orderId, opts.storeId);
  if (row.status !== "CANCELLED" && !canMove(row.status, "CANCELLED")) {
    throw invalidMove(orderId, row.status, "CANCELLED");
  }
  if (deps.config.orderStockMode === "rowlock" || (await usedRowlock(deps, row))) {
    await cancelRowlock(deps, orderId);
  } else {
    await moveStatus(deps, row, "CANCELLED");
    await release(
      deps,
      takeReferenceOf(orderId),
      row.lines.map((l) => l.stockId),
    );
  }
  const after = await requireOrder(deps, orderId);
  if (after.status !== "CANCELLED") throw invalidMove(orderId, after.status, "CANCELLED");
  return orderView(after);
}

/** An order placed by the row-lock path has no core take. */
async function usedRowlock(deps: Deps, row: OrderRow): Promise<boolean> {
  const takes = await deps.prisma.take.count({ where: { reference: takeReferenceOf(row.id) } });
  return takes === 0;
}

/** The conditional move of the state machine: false when a concurrent mover won (read it again). */
async function moveStatus(deps: Deps, row: OrderRow, to: CatalogOrderStatus): Promise<boolean> {
  const moved = await deps.prisma.catalogOrder.updateMany({
    where: { id: row.id, status: { in: [...ORDER_MOVES[to]] } },
    data: { status: to },
  });
  return moved.count === 1;
}

/** PENDING → PAID: the take becomes final (no give-back by a timeout). */
export async function payOrder(deps: Deps, orderId: string): Promise<CatalogOrderView> {
  const row = await requireOrder(deps, orderId);
  if (row.status !== "PAID" && !canMove(row.status, "PAID")) throw invalidMove(orderId, row.status, "PAID");
  if (!(await moveStatus(deps, row, "PAID"))) {
    const now = await requireOrder(deps, orderId);
    if (now.status !== "PAID") throw invalidMove(orderId, now.status, "PAID");
  }
  if (!(await usedRowlock(deps, row))) {
    await confirm(
      deps,
      takeReferenceOf(orderId),
      row.lines.map((l) => l.stockId),
    );
  }
  return getOrder(deps, orderId);
}

/** PAID → FULFILLED (handed over or shipped). */
export async function fulfilOrder(deps: Deps, orderId: string): Promise<CatalogOrderView> {
  const row = await requireOrder(deps, orderId);
  if (row.status === "FULFILLED") return orderView(row);
  if (!canMove(row.status, "FULFILLED")) throw invalidMove(orderId, row.status, "FULFILLED");
  await moveStatus(deps, row, "FULFILLED");
  const now = await getOrder(deps, orderId);
  if (now.status !== "FULFILLED") throw invalidMove(orderId, now.status, "FULFILLED");
  return now;
}

/** The orders, newest first, of one channel and/or location, a page at a time. */
export async function listCatalogOrders(
  deps: Deps,
  query: {
    channel?: "ONLINE" | "OFFLINE" | undefined;
    locationId?: string | undefined;
    limit: number;
    cursor?: string | undefined;
  },
) {
  const rows = await deps.prisma.catalogOrder.findMany({
    where: {
      ...(query.channel ? { channel: query.channel } : {}),
      ...(query.locationId ? { locationId: query.locationId } : {}),
    },
    include: { lines: true },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    ...(query.cursor ? { cursor: { id: query.cursor }, skip: 1 } : {}),
    take: query.limit + 1,
  });
  return toPage(rows, query.limit, orderView, (r) => r.id);
}
