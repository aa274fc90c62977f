// Moves of a stock's total by a signed quantity with its ledger reason (goods received, a
// transfer's two sides), for stocks without a ceiling rule (a location's). Several stocks, one
// reference: all or none, and once (the reference's ledger rows say it was applied).
// PostgreSQL holds the intent and Redis's total is never above it: under the stocks' row locks,
// a lowering is applied in Redis first (refused there below what is held and taken), then every
// total and ledger row is written in one transaction, and the raises go to Redis just before it
// commits (as setStockTotal does: applied after the locks are gone, a raise could land over a
// later lowering). A crash after a lowering leaves Redis lower than PostgreSQL; a commit that fails
// after a raise leaves it higher: the loop's syncTotal (src/recovery/stocks.ts) sets it to PostgreSQL's.
import type { Prisma, Stock } from "@prisma/client";
import type { Deps } from "../deps.js";
import { AppError, notFound } from "../errors.js";
import { keys } from "../redis/keys.js";
import { setTotalAt } from "../redis/steps/stock-counters.js";

export type MoveReason = "INBOUND" | "TRANSFER_OUT" | "TRANSFER_IN" | "ADJUST";

export interface TotalMove {
  stockId: string;
  /** Signed: units in (+) or out (−). */
  delta: number;
  reason: MoveReason;
}

export type MoveResult =
  | { kind: "moved"; totals: Map<string, number> }
  /** The reference was applied before: nothing moved. */
  | { kind: "known" };

/**
 * Moves the totals, all or none, once per reference. `record(tx)` runs in the same transaction
 * (the caller's own row of the receipt or transfer). A lowering below what is held and taken
 * answers 409 SOLD_OUT with details {stockId, available}.
 */
export async function moveTotals(
  deps: Deps,
  reference: string,
  moves: TotalMove[],
  record?: (tx: Prisma.TransactionClient) => Promise<void>,
): Promise<MoveResult> {
  const ids = [...new Set(moves.map((m) => m.stockId))].sort();
  return await deps.prisma.$transaction(
    async (tx): Promise<MoveResult> => {
      const lowered: { stockId: string; group: string; was: number }[] = [];
      try {
        // In id order: two moves over the same stocks never wait on each other in a circle.
        const rows = await tx.$queryRaw<Stock[]>`
          SELECT * FROM "Stock" WHERE id = ANY(${ids}::text[]) ORDER BY id FOR UPDATE`;
        const byId = new Map(rows.map((r) => [r.id, r]));
        for (const id of ids) {
          const row = byId.get(id);
          if (!row) throw notFound("stock", { stockId: id });
          if (row.status === "CLOSED" || row.total === null) {
            throw new AppError({
              code: "INVALID_STATE",
              message: "Only a limited stock that is not closed can move",
              details: { stockId: id },
            });
          }
        }
        const [known] = await tx.$queryRaw<{ n: number }[]>`
          SELECT count(*)::int AS n FROM "StockMovement"
          WHERE "reference" = ${reference} AND "stockId" = ANY(${ids}::text[])
            AND "reason" IN ('INBOUND', 'TRANSFER_OUT', 'TRANSFER_IN', 'ADJUST')`;
        if ((known?.n ?? 0) > 0) return { kind: "known" };

        const totals = new Map(ids.map((id) => [id, byId.get(id)?.total ?? 0]));
        for (const m of moves) totals.set(m.stockId, (totals.get(m.stockId) ?? 0) + m.delta);
        // On this transaction's connection: one that waited for the locks must not need another.
        const held = await tx.$queryRaw<{ stockId: string; out: number }[]>`
          SELECT "stockId", sum("quantity")::int AS out FROM "Take"
          WHERE "stockId" = ANY(${ids}::text[]) AND "status" IN ('HELD', 'CONFIRMED') GROUP BY "stockId"`;
        const outOf = new Map(held.map((h) => [h.stockId, h.out]));
        for (const id of ids) {
          const row = byId.get(id) as Stock;
          const total = totals.get(id) ?? 0;
          const was = row.total ?? 0;
          if (total >= was) continue;
          const out = outOf.get(id) ?? 0;
          if (row.status === "LIVE") {
            const step = await setTotalAt(
              deps.redis,
              keys.stockCounters({ group: row.group, stockId: id }),
              total,
              "check",
            );
            if (step.kind === "belowFloor") throw short(id, was - step.floor);
            if (step.kind === "set") lowered.push({ stockId: id, group: row.group, was });
          }
          // No live state (or a DRAFT): PostgreSQL's takes are the floor.
          if (total < out) throw short(id, was - out);
        }
        const stockIds = moves.map((m) => m.stockId);
        const deltas = moves.map((m) => m.delta);
        const reasons = moves.map((m) => m.reason);
        await tx.$executeRaw`
          UPDATE "Stock" s SET "total" = s."total" + d.delta, "updatedAt" = now()
          FROM (SELECT id, sum(delta)::int AS delta FROM unnest(${stockIds}::text[], ${deltas}::int[]) AS m(id, delta) GROUP BY id) d
          WHERE s.id = d.id`;
        await tx.$executeRaw`
          INSERT INTO "StockMovement" ("stockId", "reason", "quantity", "reference")
          SELECT m.id, m.reason::"StockMovementReason",
                 CASE WHEN m.reason = 'ADJUST' THEN m.delta ELSE abs(m.delta) END, ${reference}
          FROM unnest(${stockIds}::text[], ${deltas}::int[], ${reasons}::text[]) AS m(id, delta, reason)`;
        if (record) await record(tx);
        // Raised in Redis still under the row locks, as setStockTotal does: a raise applied after
        // the locks are gone could land over a later lowering.
        for (const id of ids) {
          const row = byId.get(id) as Stock;
          const total = totals.get(id) ?? 0;
          if (row.status !== "LIVE" || total <= (row.total ?? 0)) continue;
          await setTotalAt(deps.redis, keys.stockCounters({ group: row.group, stockId: id }), total, "sync");
        }
        return { kind: "moved", totals };
      } catch (err) {
        // Nothing is recorded: what was lowered in Redis goes back, still under the row locks
        // (a failed commit after this leaves Redis lower than PostgreSQL, which the loop lifts).
        for (const l of lowered) {
          await setTotalAt(deps.redis, keys.stockCounters(l), l.was, "sync").catch(() => undefined);
        }
        throw err;
      }
    },
    // Moves of one stock wait in line for its row lock.
    { timeout: 15_000, maxWait: 15_000 },
  );
}

function short(stockId: string, available: number): AppError {
  return new AppError({
    code: "SOLD_OUT",
    message: "Fewer units are available than the move takes out",
    details: { stockId, available: Math.max(available, 0) },
  });
}
