// The stock ledger's promise, checked against the live counters: per product,
// total = INITIAL + ADJUST, sold = SALE − CANCEL, reserved = RESERVE − SALE − RESTORE, and
// PostgreSQL's total and confirmed orders agree with Redis.
import { expect } from "vitest";
import type { Deps } from "../../src/deps.js";
import { readStock } from "../../src/events/event-state.js";

export async function expectLedgerMatchesCounters(deps: Deps, eventId: string): Promise<void> {
  const products = await deps.prisma.product.findMany({ where: { eventId }, orderBy: { sku: "asc" } });
  const sums = await deps.prisma.ledgerEntry.groupBy({
    by: ["sku", "reason"],
    where: { eventId },
    _sum: { quantity: true },
  });
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
    const sum = (reason: string) =>
      sums.find((s) => s.sku === product.sku && s.reason === reason)?._sum.quantity ?? 0;
    const confirmed = sold.find((s) => s.sku === product.sku)?._sum.quantity ?? 0;
    const live = archived
      ? { total: product.total, sold: confirmed, reserved: 0, remaining: product.total - confirmed }
      : counters[i];
    const ledger = {
      total: sum("INITIAL") + sum("ADJUST"),
      sold: sum("SALE") - sum("CANCEL"),
      reserved: sum("RESERVE") - sum("SALE") - sum("RESTORE"),
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
