// Catalog orders: online (DELIVERY from the warehouse, SAME_DAY or PICKUP from the chosen store)
// and offline (a sale at a store's till: PAID at once), every line or none, keyed by the caller's
// reference; cancel, pay, fulfil (the moves of order-states.ts); reads.
// The Redis way (ORDER_STOCK_MODE=redis): the order's lines at its location are one core take
// (reference `order:<orderId>`, one atomic Lua step over the location's group), recorded in
// PostgreSQL by the core before it answers; then the order row. The comparison path
// (ORDER_STOCK_MODE=rowlock) is order-rowlock.ts.
import { createHash } from "node:crypto";
import type { CatalogOrder, CatalogOrderLine, CatalogOrderStatus, LocationStock } from "@prisma/client";
import type { Deps } from "../deps.js";
import { AppError, notFound } from "../errors.js";
import { toPage } from "../events/paging.js";
import { readStockStates } from "../redis/steps/stock-state.js";
import { stockAddresses } from "../stock/stock-groups.js";
import { confirm, release, take } from "../stock/takes.service.js";
import type { CatalogOrderView, OnlineOrderInput, StoreOrderInput } from "./catalog.schemas.js";
import { availableOf, requireLocation, requireProducts } from "./locations.service.js";
import { cancelRowlock, placeRowlock } from "./order-rowlock.js";
import { canMove, invalidMove, ORDER_MOVES } from "./order-states.js";

/** An order's id follows from its reference: a repeat (or a crash's retry) meets the same take. */
export const orderIdOf = (reference: string) =>
  `ord_${createHash("sha256").update(reference).digest("base64url").slice(0, 22)}`;
export const takeReferenceOf = (orderId: string) => `order:${orderId}`;

export interface OrderSpec {
  reference: string;
  userId: string | null;
  channel: "ONLINE" | "OFFLINE";
  fulfilment: "DELIVERY" | "SAME_DAY" | "PICKUP" | null;
  locationId: string;
  lines: { sku: string; quantity: number }[];
}

/** A line as placed: its price, and the stock it took from. */
export interface PlacedLine {
  sku: string;
  quantity: number;
  priceCents: number;
  locationId: string;
  stockId: string;
}

type OrderRow = CatalogOrder & { lines: CatalogOrderLine[] };

export const orderView = (o: OrderRow): CatalogOrderView => ({
  orderId: o.id,
  reference: o.reference,
  userId: o.userId,
  channel: o.channel,
  fulfilment: o.fulfilment,
  status: o.status,
  lines: [...o.lines]
    .sort((a, b) => a.sku.localeCompare(b.sku))
    .map((l) => ({ sku: l.sku, quantity: l.quantity, locationId: l.locationId, priceCents: l.priceCents })),
  amountCents: Number(o.amountCents),
  createdAt: o.createdAt.toISOString(),
});

export const soldOut = (sku: string) =>
  new AppError({ code: "SOLD_OUT", message: "Not enough of this product is left here", details: { sku } });

const conflict = (reference: string) =>
  new AppError({
    code: "REFERENCE_CONFLICT",
    message: "This reference was already used with another body",
    details: { reference },
  });

/** The same order as the one asked for (a repeat of its reference)? */
function sameOrder(o: OrderRow, spec: OrderSpec): boolean {
  const want = [...spec.lines]
    .sort((a, b) => a.sku.localeCompare(b.sku))
    .map((l) => `${l.sku}×${l.quantity}`);
  const have = [...o.lines].sort((a, b) => a.sku.localeCompare(b.sku)).map((l) => `${l.sku}×${l.quantity}`);
  return (
    o.channel === spec.channel &&
    o.fulfilment === spec.fulfilment &&
    o.locationId === spec.locationId &&
    o.userId === spec.userId &&
    want.join() === have.join()
  );
}

async function existing(deps: Deps, spec: OrderSpec): Promise<OrderRow | null> {
  const row = await deps.prisma.catalogOrder.findUnique({
    where: { reference: spec.reference },
    include: { lines: true },
  });
  if (row && !sameOrder(row, spec)) throw conflict(spec.reference);
  return row;
}

export interface Placed {
  created: boolean;
  order: CatalogOrderView;
}

export async function placeOnlineOrder(deps: Deps, input: OnlineOrderInput): Promise<Placed> {
  const locationId =
    input.fulfilment === "DELIVERY"
      ? await warehouseFor(deps, input.lines)
      : (await requireLocation(deps, input.storeId ?? "", "STORE")).id;
  return placeOrder(deps, {
    reference: input.reference,
    userId: input.userId,
    channel: "ONLINE",
    fulfilment: input.fulfilment,
    locationId,
    lines: input.lines,
  });
}

/**
 * The warehouse a DELIVERY order takes from: the first (oldest) that has every line available
 * now, else the first that stocks every line (its take then says which is short).
 */
async function warehouseFor(deps: Deps, lines: { sku: string; quantity: number }[]): Promise<string> {
  const skus = lines.map((l) => l.sku);
  const stocks = await deps.prisma.locationStock.findMany({
    where: { sku: { in: skus }, location: { kind: "WAREHOUSE" } },
    orderBy: { createdAt: "asc" },
  });
  const byPlace = new Map<string, LocationStock[]>();
  for (const s of stocks) byPlace.set(s.locationId, [...(byPlace.get(s.locationId) ?? []), s]);
  const complete = [...byPlace.values()].filter((list) => list.length === skus.length);
  if (complete.length === 0) {
    await requireProducts(deps, skus);
    throw soldOut(skus.find((sku) => !stocks.some((s) => s.sku === sku)) ?? skus[0] ?? "");
  }
  const available = await availableOf(deps, complete.flat());
  const ready = complete.find((list) =>
    list.every((s) => (available.get(s.stockId) ?? 0) >= (lines.find((l) => l.sku === s.sku)?.quantity ?? 0)),
  );
  return (ready ?? complete[0])?.[0]?.locationId ?? "";
}

/** A sale at a store's till: taken and PAID, in PostgreSQL before it is answered. */
export async function placeStoreOrder(deps: Deps, storeId: string, input: StoreOrderInput): Promise<Placed> {
  await requireLocation(deps, storeId, "STORE");
  return placeOrder(deps, {
    reference: input.reference,
    userId: input.userId ?? null,
    channel: "OFFLINE",
    fulfilment: null,
    locationId: storeId,
    lines: input.lines,
  });
}

export async function placeOrder(deps: Deps, spec: OrderSpec): Promise<Placed> {
  const before = await existing(deps, spec);
  if (before) return { created: false, order: orderView(before) };
  const products = await requireProducts(
    deps,
    spec.lines.map((l) => l.sku),
  );
  const stocks = await deps.prisma.locationStock.findMany({
    where: { locationId: spec.locationId, sku: { in: spec.lines.map((l) => l.sku) } },
  });
  const stockOf = new Map<string, LocationStock>(stocks.map((s) => [s.sku, s]));
  const absent = spec.lines.find((l) => !stockOf.has(l.sku));
  if (absent) throw soldOut(absent.sku);
  const lines: PlacedLine[] = spec.lines.map((l) => ({
    sku: l.sku,
    quantity: l.quantity,
    priceCents: products.get(l.sku)?.priceCents ?? 0,
    locationId: spec.locationId,
    stockId: stockOf.get(l.sku)?.stockId ?? "",
  }));
  const orderId = orderIdOf(spec.reference);
  const status: CatalogOrderStatus = spec.channel === "OFFLINE" ? "PAID" : "PENDING";
  if (deps.config.orderStockMode === "rowlock") {
    const placed = await placeRowlock(deps, { orderId, spec, status, lines });
    if (!placed) return { created: false, order: orderView(await existingOrThrow(deps, spec)) };
    return { created: true, order: orderView(placed) };
  }
  await takeLines(deps, orderId, spec, lines);
  const created = await insertOrder(deps, orderId, spec, status, lines);
  return { created, order: orderView(await existingOrThrow(deps, spec)) };
}

async function existingOrThrow(deps: Deps, spec: OrderSpec): Promise<OrderRow> {
  const row = await existing(deps, spec);
  if (!row) throw conflict(spec.reference);
  return row;
}

/** Every line or none, in one core take; SOLD_OUT names the sku. */
async function takeLines(deps: Deps, orderId: string, spec: OrderSpec, lines: PlacedLine[]): Promise<void> {
  // Sold out at the door: what Redis shows now refuses without a write (a unit given back
  // later is found by the next order, as it would be a moment later anyway).
  const addresses = await stockAddresses(
    deps,
    lines.map((l) => l.stockId),
  );
  const states = await readStockStates(deps.redis, addresses);
  const short = lines.findIndex((l, i) => {
    const s = states[i];
    return s !== null && s !== undefined && s.remaining !== null && s.remaining < l.quantity;
  });
  if (short >= 0) throw soldOut(lines[short]?.sku ?? "");
  try {
    const answer = await take(deps, {
      reference: takeReferenceOf(orderId),
      userId: spec.userId,
      lines: lines.map((l) => ({ stockId: l.stockId, quantity: l.quantity })),
      status: spec.channel === "OFFLINE" ? "CONFIRMED" : "HELD",
    });
    if (answer.rows.some((r) => r.status === "RELEASED")) {
      // Taken by an earlier try that never wrote its order, and given back since by the loop.
      throw new AppError({
        code: "INVALID_STATE",
        message: "This order's stock was given back; place it with a new reference",
        details: { reference: spec.reference },
      });
    }
  } catch (err) {
    if (err instanceof AppError && err.code === "SOLD_OUT") {
      throw soldOut(lines.find((l) => l.stockId === err.details?.stockId)?.sku ?? "");
    }
    if (err instanceof AppError && err.code === "REFERENCE_CONFLICT") throw conflict(spec.reference);
    throw err;
  }
}

/** The order and its lines, once (a concurrent repeat inserts nothing); true if this call wrote it. */
async function insertOrder(
  deps: Deps,
  orderId: string,
  spec: OrderSpec,
  status: CatalogOrderStatus,
  lines: PlacedLine[],
): Promise<boolean> {
  const amount = lines.reduce((sum, l) => sum + BigInt(l.priceCents) * BigInt(l.quantity), 0n);
  return deps.prisma.$transaction(async (tx) => {
    const made = await tx.catalogOrder.createMany({
      data: [
        {
          id: orderId,
          reference: spec.reference,
          userId: spec.userId,
          channel: spec.channel,
          fulfilment: spec.fulfilment,
          status,
          locationId: spec.locationId,
          amountCents: amount,
        },
      ],
      skipDuplicates: true,
    });
    if (made.count === 0) return false;
    await tx.catalogOrderLine.createMany({ data: lines.map((l) => ({ orderId, ...l })) });
    return true;
  });
}

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

/** The conditional move of the state machine (a concurrent mover may have won: read it again). */
async function moveStatus(deps: Deps, row: OrderRow, to: CatalogOrderStatus): Promise<void> {
  await deps.prisma.catalogOrder.updateMany({
    where: { id: row.id, status: { in: [...ORDER_MOVES[to]] } },
    data: { status: to },
  });
}

/** PENDING → PAID: the take becomes final (no give-back by a timeout). */
export async function payOrder(deps: Deps, orderId: string): Promise<CatalogOrderView> {
  const row = await requireOrder(deps, orderId);
  if (row.status === "PAID") return orderView(row);
  if (!canMove(row.status, "PAID")) throw invalidMove(orderId, row.status, "PAID");
  await moveStatus(deps, row, "PAID");
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
  return getOrder(deps, orderId);
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
