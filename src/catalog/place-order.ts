// Placing a catalog order: online (DELIVERY from a warehouse, SAME_DAY or PICKUP from the chosen
// store) or offline (a sale at a store's till: PAID at once), every line or none, keyed by the
// caller's reference (the same body again: the same order, nothing more taken; another body:
// 409 REFERENCE_CONFLICT).
// The Redis way (ORDER_STOCK_MODE=redis): the lines at the order's location are one core take
// (reference `order:<orderId>`, one atomic Lua step over the location's group, HELD online,
// CONFIRMED at a till), recorded in PostgreSQL by the core before it answers; then the order
// row, in one statement. The comparison path (ORDER_STOCK_MODE=rowlock) is order-rowlock.ts.
import type { CatalogOrderStatus, LocationStock } from "@prisma/client";
import type { Deps } from "../deps.js";
import { AppError, notFound } from "../errors.js";
import { confirm, take } from "../stock/takes.service.js";
import type { CatalogOrderView, OnlineOrderInput, StoreOrderInput } from "./catalog.schemas.js";
import { cachedLocation, cachedLocationStocks, cachedProducts } from "./catalog-cache.js";
import { availableOf } from "./locations.service.js";
import {
  conflict,
  existing,
  existingOrThrow,
  insertOrder,
  type OrderSpec,
  orderIdOf,
  orderView,
  type PlacedLine,
  soldOut,
  takeReferenceOf,
} from "./order-records.js";
import { placeRowlock } from "./order-rowlock.js";

export interface Placed {
  /** False: the reference had placed this order before (nothing more was taken). */
  created: boolean;
  order: CatalogOrderView;
}

export async function placeOnlineOrder(deps: Deps, input: OnlineOrderInput): Promise<Placed> {
  let locationId: string;
  if (input.fulfilment === "DELIVERY") {
    // A repeat goes to the warehouse its order took from, whatever is available where now.
    const prior = await deps.prisma.catalogOrder.findUnique({
      where: { reference: input.reference },
      select: { locationId: true },
    });
    locationId = prior?.locationId ?? (await warehouseFor(deps, input.lines));
  } else {
    locationId = (await requireStore(deps, input.storeId ?? "")).id;
  }
  return placeOrder(deps, {
    reference: input.reference,
    userId: input.userId,
    channel: "ONLINE",
    fulfilment: input.fulfilment,
    locationId,
    lines: input.lines,
  });
}

/** A sale at a store's till: taken and PAID, in PostgreSQL before it is answered. */
export async function placeStoreOrder(deps: Deps, storeId: string, input: StoreOrderInput): Promise<Placed> {
  await requireStore(deps, storeId);
  return placeOrder(deps, {
    reference: input.reference,
    userId: input.userId ?? null,
    channel: "OFFLINE",
    fulfilment: null,
    locationId: storeId,
    lines: input.lines,
  });
}

async function requireStore(deps: Deps, storeId: string) {
  const store = await cachedLocation(deps, storeId);
  if (store?.kind !== "STORE") throw notFound("store", { locationId: storeId });
  return store;
}

/**
 * The warehouse a DELIVERY order takes from: the first (oldest) that has every line available
 * now, else the first that stocks every line (its take then says which is short).
 */
async function warehouseFor(deps: Deps, lines: { sku: string; quantity: number }[]): Promise<string> {
  const skus = lines.map((l) => l.sku);
  await cachedProducts(deps, skus);
  const stocks = await deps.prisma.locationStock.findMany({
    where: { sku: { in: skus }, location: { kind: "WAREHOUSE" } },
    orderBy: { createdAt: "asc" },
  });
  const byPlace = new Map<string, LocationStock[]>();
  for (const s of stocks) byPlace.set(s.locationId, [...(byPlace.get(s.locationId) ?? []), s]);
  const complete = [...byPlace.values()].filter((list) => list.length === skus.length);
  if (complete.length === 0) {
    throw soldOut(skus.find((sku) => !stocks.some((s) => s.sku === sku)) ?? skus[0] ?? "");
  }
  const available = await availableOf(deps, complete.flat());
  const ready = complete.find((list) =>
    list.every((s) => (available.get(s.stockId) ?? 0) >= (lines.find((l) => l.sku === s.sku)?.quantity ?? 0)),
  );
  return (ready ?? complete[0])?.[0]?.locationId ?? "";
}

/** A refusal, unless the reference placed this very order before (then that order, 200). */
async function refuse(deps: Deps, spec: OrderSpec, err: AppError): Promise<Placed> {
  // One plain indexed read first: most refused references were never placed.
  const [seen] = await deps.prisma.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM "CatalogOrder" WHERE "reference" = ${spec.reference}`;
  if (!seen?.n) throw err;
  const before = await existing(deps, spec);
  if (before) return { created: false, order: orderView(before) };
  throw err;
}

export async function placeOrder(deps: Deps, spec: OrderSpec): Promise<Placed> {
  const skus = spec.lines.map((l) => l.sku);
  const products = await cachedProducts(deps, skus);
  const stockOf = await cachedLocationStocks(deps, spec.locationId, skus);
  const absent = spec.lines.find((l) => !stockOf.has(l.sku));
  if (absent) return refuse(deps, spec, soldOut(absent.sku));
  const lines: PlacedLine[] = spec.lines.map((l) => ({
    sku: l.sku,
    quantity: l.quantity,
    priceCents: products.get(l.sku)?.priceCents ?? 0,
    locationId: spec.locationId,
    stockId: stockOf.get(l.sku) ?? "",
  }));
  const orderId = orderIdOf(spec.reference);
  const status: CatalogOrderStatus = spec.channel === "OFFLINE" ? "PAID" : "PENDING";
  if (deps.config.orderStockMode === "rowlock") {
    try {
      const placed = await placeRowlock(deps, { orderId, spec, status, lines });
      if (placed) return { created: true, order: orderView(placed) };
    } catch (err) {
      if (err instanceof AppError && err.code === "SOLD_OUT") return refuse(deps, spec, err);
      throw err;
    }
    return { created: false, order: orderView(await existingOrThrow(deps, spec)) };
  }
  // SOLD_OUT here (at the core's door, or from its step) means the order's take never happened:
  // an order is written only after its take, and a state knowing the take answers a repeat as
  // it stands. So a refusal needs no read of PostgreSQL.
  const taken = await takeLines(deps, orderId, spec, lines);
  if (taken !== "taken") {
    // The take was there: a repeat of a placed (maybe since cancelled) order, or of one whose
    // order row a crash lost.
    const before = await existing(deps, spec);
    if (before) return { created: false, order: orderView(before) };
    if (taken === "released") {
      // Taken by an earlier try that never wrote its order, and given back since by the loop.
      throw new AppError({
        code: "INVALID_STATE",
        message: "This order's stock was given back; place it with a new reference",
        details: { reference: spec.reference },
      });
    }
  }
  if (taken === "known" && spec.channel === "OFFLINE") {
    // A till's take the loop finished after a crash is HELD (the loop knows no channel): final now.
    await confirm(
      deps,
      takeReferenceOf(orderId),
      lines.map((l) => l.stockId),
    );
  }
  const placed = await insertOrder(deps.prisma, { orderId, spec, status, lines });
  if (placed) return { created: true, order: orderView(placed) };
  return { created: false, order: orderView(await existingOrThrow(deps, spec)) };
}

/** Every line or none, in one core take: taken now, or known before (or given back since). SOLD_OUT names the sku. */
async function takeLines(
  deps: Deps,
  orderId: string,
  spec: OrderSpec,
  lines: PlacedLine[],
): Promise<"taken" | "known" | "released"> {
  try {
    const answer = await take(deps, {
      reference: takeReferenceOf(orderId),
      userId: spec.userId,
      lines: lines.map((l) => ({ stockId: l.stockId, quantity: l.quantity })),
      status: spec.channel === "OFFLINE" ? "CONFIRMED" : "HELD",
    });
    if (answer.rows.some((r) => r.status === "RELEASED")) return "released";
    return answer.created ? "taken" : "known";
  } catch (err) {
    if (err instanceof AppError && err.code === "SOLD_OUT") {
      throw soldOut(lines.find((l) => l.stockId === err.details?.stockId)?.sku ?? "");
    }
    if (err instanceof AppError && err.code === "REFERENCE_CONFLICT") throw conflict(spec.reference);
    throw err;
  }
}
