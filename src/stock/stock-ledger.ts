// Reading the stock core's ledger (insert-only StockMovement rows): the movements of some
// stocks, in id order, a page at a time. A stock's own ledger and a location's (all its
// products' stocks) both read it here.
import type { StockMovement } from "@prisma/client";
import type { Deps } from "../deps.js";
import { type Page, toPage } from "../events/paging.js";
import type { StockMovementView } from "./stock.schemas.js";

export function movementView(r: StockMovement): StockMovementView {
  return {
    id: r.id.toString(),
    stockId: r.stockId,
    reason: r.reason,
    quantity: r.quantity,
    reference: r.reference,
    createdAt: r.createdAt.toISOString(),
  };
}

/** The movements of `stockIds` after `cursor` (a movement id), `limit` at a time. */
export async function movementsPage<T = StockMovementView>(
  deps: Deps,
  stockIds: string[],
  query: { limit: number; cursor?: string | undefined },
  view: (movement: StockMovementView) => T = (m) => m as T,
): Promise<Page<T>> {
  const rows = await deps.prisma.stockMovement.findMany({
    where: { stockId: { in: stockIds }, ...(query.cursor ? { id: { gt: BigInt(query.cursor) } } : {}) },
    orderBy: { id: "asc" },
    take: query.limit + 1,
  });
  return toPage(
    rows,
    query.limit,
    (r) => view(movementView(r)),
    (r) => r.id.toString(),
  );
}
