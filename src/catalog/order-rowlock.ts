// THE COMPARISON PATH (ORDER_STOCK_MODE=rowlock), kept to measure the Redis way against
// (`npm run bench -- orders`): the classic order as a shop would write it on PostgreSQL alone.
// One transaction: SELECT … FOR UPDATE on the lines' LocationStock rows, check what is left
// (the stock's total less LocationStock.rowlockCommitted, a figure only this path keeps), raise
// the commitment, insert the order and its lines, commit. No Redis, no core take, no ledger row.
import type { CatalogOrderStatus } from "@prisma/client";
import type { Deps } from "../deps.js";
import { insertOrder, type OrderRow, type OrderSpec, type PlacedLine, soldOut } from "./order-records.js";

/** Rolls the transaction back when the order's reference is there already. */
class Duplicate extends Error {}

/** The order placed, or null when its reference exists (the caller reads and compares it). */
export async function placeRowlock(
  deps: Deps,
  p: { orderId: string; spec: OrderSpec; status: CatalogOrderStatus; lines: PlacedLine[] },
): Promise<OrderRow | null> {
  const stockIds = p.lines.map((l) => l.stockId);
  const quantities = p.lines.map((l) => l.quantity);
  try {
    return await deps.prisma.$transaction(
      async (tx) => {
        const rows = await tx.$queryRaw<{ stockId: string; committed: number; total: number | null }[]>`
          SELECT ls."stockId", ls."rowlockCommitted" AS committed, s."total"
          FROM "LocationStock" ls JOIN "Stock" s ON s.id = ls."stockId"
          WHERE ls."stockId" = ANY(${stockIds}::text[])
          ORDER BY ls."stockId" FOR UPDATE OF ls`;
        for (const line of p.lines) {
          const row = rows.find((r) => r.stockId === line.stockId);
          if (!row || (row.total ?? 0) - row.committed < line.quantity) throw soldOut(line.sku);
        }
        await tx.$executeRaw`
          UPDATE "LocationStock" ls SET "rowlockCommitted" = ls."rowlockCommitted" + l.q
          FROM unnest(${stockIds}::text[], ${quantities}::int[]) AS l(id, q) WHERE ls."stockId" = l.id`;
        const placed = await insertOrder(tx, p);
        if (!placed) throw new Duplicate();
        return placed;
      },
      // Orders of one stock wait in line for its row lock: that is the comparison.
      { maxWait: 30_000, timeout: 30_000 },
    );
  } catch (err) {
    if (err instanceof Duplicate) return null;
    throw err;
  }
}

/** PENDING or PAID → CANCELLED and the commitment given back, in one statement: once. */
export async function cancelRowlock(deps: Deps, orderId: string): Promise<void> {
  await deps.prisma.$executeRaw`
    WITH upd AS (
      UPDATE "CatalogOrder" SET "status" = 'CANCELLED', "updatedAt" = now()
      WHERE id = ${orderId} AND "status" IN ('PENDING', 'PAID') RETURNING id
    )
    UPDATE "LocationStock" ls SET "rowlockCommitted" = ls."rowlockCommitted" - l."quantity"
    FROM "CatalogOrderLine" l JOIN upd ON upd.id = l."orderId"
    WHERE ls."stockId" = l."stockId"`;
}
