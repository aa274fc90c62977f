// Where each core stock's live state lives (its group: the hash tag its keys share). A stock's
// group never changes, so it is read from PostgreSQL once per process.
import type { Deps } from "../deps.js";
import { notFound } from "../errors.js";
import type { StockAddress } from "../redis/keys.js";

const groups = new Map<string, string>();
const MAX_CACHED = 100_000;

/** The addresses of the stocks named, in their order; 404 when one does not exist. */
export async function stockAddresses(deps: Deps, stockIds: string[]): Promise<StockAddress[]> {
  const missing = stockIds.filter((id) => !groups.has(id));
  if (missing.length > 0) {
    const rows = await deps.prisma.stock.findMany({
      where: { id: { in: missing } },
      select: { id: true, group: true },
    });
    if (groups.size + rows.length > MAX_CACHED) groups.clear();
    for (const row of rows) groups.set(row.id, row.group);
  }
  return stockIds.map((stockId) => {
    const group = groups.get(stockId);
    if (group === undefined) throw notFound("stock", { stockId });
    return { group, stockId };
  });
}
