// What must hold of a core stock once settled: Redis and PostgreSQL agree, the ledger sums to
// the figures, nobody is over the per-user limit, remaining + held + taken = total.
import { expect } from "vitest";
import type { Deps } from "../../src/deps.js";
import { convergeStocks } from "../../src/recovery/stocks.js";
import { readStockStates } from "../../src/redis/steps/stock-state.js";
import { settledFigures } from "../../src/stock/stocks.service.js";

export interface StockFigures {
  total: number | null;
  held: number;
  taken: number;
}

/** The figures the ledger of a stock sums to. */
export async function ledgerFigures(deps: Deps, stockId: string): Promise<StockFigures> {
  const rows = await deps.prisma.stockMovement.groupBy({
    by: ["reason"],
    where: { stockId },
    _sum: { quantity: true },
  });
  const sum = (reason: string) => rows.find((r) => r.reason === reason)?._sum.quantity ?? 0;
  return {
    total: sum("INITIAL") + sum("ADJUST") + sum("INBOUND") + sum("TRANSFER_IN") - sum("TRANSFER_OUT"),
    held: sum("TAKE") - sum("CONFIRM") - sum("RELEASE"),
    taken: sum("CONFIRM") - sum("RETURN"),
  };
}

export async function expectStockInvariants(deps: Deps, stockId: string): Promise<StockFigures> {
  const stock = await deps.prisma.stock.findUniqueOrThrow({ where: { id: stockId } });
  const pending = await deps.prisma.take.count({ where: { stockId, status: "PENDING" } });
  expect(pending, "takes still PENDING").toBe(0);
  const pg = (await settledFigures(deps, [stockId])).get(stockId) ?? { held: 0, taken: 0 };
  const ledger = await ledgerFigures(deps, stockId);
  expect({ held: ledger.held, taken: ledger.taken }, "the ledger sums to the takes").toEqual(pg);
  if (stock.total !== null) {
    expect(ledger.total, "the ledger sums to the total").toBe(stock.total);
    expect(pg.held + pg.taken, "never more out than the total").toBeLessThanOrEqual(stock.total);
  }
  if (stock.perUserLimit !== null) {
    const perUser = await deps.prisma.take.groupBy({
      by: ["userId"],
      where: { stockId, status: { in: ["HELD", "CONFIRMED"] } },
      _sum: { quantity: true },
    });
    for (const u of perUser)
      expect(u._sum.quantity ?? 0, `user ${u.userId}`).toBeLessThanOrEqual(stock.perUserLimit);
  }
  if (stock.status === "LIVE") {
    const [state] = await readStockStates(deps.redis, [{ group: stock.group, stockId }]);
    expect(state, "a LIVE stock has its state").not.toBeNull();
    expect({ held: state?.reserved, taken: state?.sold }, "Redis agrees with PostgreSQL").toEqual(pg);
    if (stock.total !== null)
      expect(state?.remaining, "remaining + held + taken = total").toBe(stock.total - pg.held - pg.taken);
  }
  return { total: stock.total, ...pg };
}

/** Passes of the loop until nothing is PENDING or unapplied (or it gives up). */
export async function settleStocks(deps: Deps, passes = 5): Promise<void> {
  for (let i = 0; i < passes; i++) {
    await convergeStocks(deps, { reconcile: true, graceMs: 0 });
  }
}
