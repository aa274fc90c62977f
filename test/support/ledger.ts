// The stock ledger's promise, checked against the live counters: per product (its core stock,
// kind EVENT), total = INITIAL + ADJUST, sold = CONFIRM − RETURN, reserved = TAKE − CONFIRM −
// RELEASE (v1 names: SALE, CANCEL, RESERVE, RESTORE), and PostgreSQL's total and confirmed
// orders agree with Redis.
import type { StockMovement, StockMovementReason } from "@prisma/client";
import { expect } from "vitest";
import type { Deps } from "../../src/deps.js";
import { readStock } from "../../src/events/event-state.js";

export interface ProductLedger {
  sku: string;
  stockId: string;
  /** The product's stock's total (PostgreSQL). */
  total: number;
  liveTotal: number | null;
  /** The sum of its stock's movements of one reason. */
  sum(reason: StockMovementReason): number;
}

/** Each product of the event, by sku, with its stock's total and its ledger's sums. */
export async function productLedgers(deps: Deps, eventId: string): Promise<ProductLedger[]> {
  const products = await deps.prisma.product.findMany({
    where: { eventId },
    include: { stock: true },
    orderBy: { sku: "asc" },
  });
  const sums = await deps.prisma.stockMovement.groupBy({
    by: ["stockId", "reason"],
    where: { stockId: { in: products.map((p) => p.stockId) } },
    _sum: { quantity: true },
  });
  return products.map((p) => ({
    sku: p.sku,
    stockId: p.stockId,
    total: p.stock.total ?? 0,
    liveTotal: p.stock.liveTotal,
    sum: (reason) => sums.find((s) => s.stockId === p.stockId && s.reason === reason)?._sum.quantity ?? 0,
  }));
}

/** The event's products' ledger rows (of one reason), oldest first. */
export async function eventMovements(
  deps: Deps,
  eventId: string,
  reason?: StockMovementReason,
): Promise<StockMovement[]> {
  const products = await deps.prisma.product.findMany({ where: { eventId }, select: { stockId: true } });
  return deps.prisma.stockMovement.findMany({
    where: { stockId: { in: products.map((p) => p.stockId) }, ...(reason ? { reason } : {}) },
    orderBy: { id: "asc" },
  });
}

export async function expectLedgerMatchesCounters(deps: Deps, eventId: string): Promise<void> {
  const products = await productLedgers(deps, eventId);
  const sold = await deps.prisma.order.groupBy({
    by: ["sku"],
    where: { eventId, status: "CONFIRMED" },
    _sum: { quantity: true },
  });
  const counters = await readStock(
    deps.redis,
    eventId,
    products.map((p) => p.sku),
  );
  // An archived sale has no Redis counters: PostgreSQL's figures stand for them.
  const archived =
    counters.some((c) => c === null) &&
    (await deps.prisma.event.findUniqueOrThrow({ where: { id: eventId } })).archivedAt !== null;
  products.forEach((product, i) => {
    const sum = product.sum;
    const confirmed = sold.find((s) => s.sku === product.sku)?._sum.quantity ?? 0;
    const live = archived
      ? { total: product.total, sold: confirmed, reserved: 0, remaining: product.total - confirmed }
      : counters[i];
    const ledger = {
      total: sum("INITIAL") + sum("ADJUST"),
      sold: sum("CONFIRM") - sum("RETURN"),
      reserved: sum("TAKE") - sum("CONFIRM") - sum("RELEASE"),
    };
    expect(live, `${product.sku}: Redis counters`).toBeTruthy();
    expect({ sku: product.sku, ...ledger }).toEqual({
      sku: product.sku,
      total: live?.total,
      sold: live?.sold,
      reserved: live?.reserved,
    });
    expect(product.total, `${product.sku}: PostgreSQL total`).toBe(live?.total);
    expect(sold.find((s) => s.sku === product.sku)?._sum.quantity ?? 0, `${product.sku}: orders`).toBe(
      live?.sold,
    );
  });
}
