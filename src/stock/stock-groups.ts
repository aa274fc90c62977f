// Where each core stock's live state lives (its group: the hash tag its keys share), and whose it
// is (its kind). Neither ever changes, so both are read from PostgreSQL once per process.
import type { Deps } from "../deps.js";
import { AppError, notFound } from "../errors.js";
import type { StockAddress } from "../redis/keys.js";

const known = new Map<string, { group: string; kind: string }>();
const MAX_CACHED = 100_000;

/** The kind of an event product's stock: sold through its event's waiting room only. */
export const EVENT_KIND = "EVENT";

/** The addresses of the stocks named, in their order; 404 when one does not exist. */
export async function stockAddresses(deps: Deps, stockIds: string[]): Promise<StockAddress[]> {
  return (await stocksOf(deps, stockIds)).map(({ group, stockId }) => ({ group, stockId }));
}

/**
 * stockAddresses() of stocks the core's own takes, releases and confirms may move: an event
 * product's stock answers 409 INVALID_STATE (the waiting room's purchases move it).
 */
export async function ownStockAddresses(deps: Deps, stockIds: string[]): Promise<StockAddress[]> {
  const stocks = await stocksOf(deps, stockIds);
  for (const s of stocks) refuseEventStock(s);
  return stocks.map(({ group, stockId }) => ({ group, stockId }));
}

/** ownStockAddresses()'s refusal alone; a stock that does not exist is left to the caller's 404. */
export async function refuseEventStocks(deps: Deps, stockIds: string[]): Promise<void> {
  await stocksOf(deps, stockIds).catch(() => []);
  for (const stockId of stockIds) {
    const stock = known.get(stockId);
    if (stock) refuseEventStock({ stockId, kind: stock.kind });
  }
}

/** 409 INVALID_STATE for an event product's stock: the core's users change it only through its event. */
export function refuseEventStock(stock: { stockId: string; kind: string }): void {
  if (stock.kind !== EVENT_KIND) return;
  throw new AppError({
    code: "INVALID_STATE",
    message:
      "This stock is an event's product, sold through its event's waiting room; change it through the event",
    details: { stockId: stock.stockId, kind: stock.kind },
  });
}

async function stocksOf(deps: Deps, stockIds: string[]) {
  const missing = stockIds.filter((id) => !known.has(id));
  if (missing.length > 0) {
    const rows = await deps.prisma.stock.findMany({
      where: { id: { in: missing } },
      select: { id: true, group: true, kind: true },
    });
    if (known.size + rows.length > MAX_CACHED) known.clear();
    for (const row of rows) known.set(row.id, { group: row.group, kind: row.kind });
  }
  return stockIds.map((stockId) => {
    const stock = known.get(stockId);
    if (stock === undefined) throw notFound("stock", { stockId });
    return { stockId, ...stock };
  });
}
