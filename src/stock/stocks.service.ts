// The stock core's admin side: create a stock, read it with its figures, confirm it (DRAFT →
// LIVE: its state is built in Redis), change its total within the stock rules, copy its live
// figures to PostgreSQL (sync), close it. PostgreSQL is written first; the Redis side is a
// keyed step the loop (src/recovery/stocks.ts) repeats until it holds.
import { randomBytes } from "node:crypto";
import type { Stock } from "@prisma/client";
import type { Deps } from "../deps.js";
import { AppError, notFound } from "../errors.js";
import { buildStockState } from "../recovery/stock-build.js";
import { keys } from "../redis/keys.js";
import { setTotalAt } from "../redis/steps/stock-counters.js";
import { closeStock as closeStep, readStockStates } from "../redis/steps/stock-state.js";
import type { CreateStockInput, StockView } from "./stock.schemas.js";
import { EVENT_KIND, refuseEventStock } from "./stock-groups.js";
import { ruleOnTotal } from "./stock-rules.js";

export const newStockId = () => `stk_${randomBytes(9).toString("base64url")}`;

export interface NewStock extends CreateStockInput {
  /** STOCK (default), COUPON_ISSUE, COUPON_USE or LOCATION. */
  kind?: string;
  /** The hash tag its state shares (default: its own id). */
  group?: string;
  id?: string;
}

/** A new DRAFT stock with its INITIAL ledger row. */
export async function createStock(deps: Deps, input: NewStock): Promise<Stock> {
  const id = input.id ?? newStockId();
  return deps.prisma.$transaction(async (tx) => {
    const row = await tx.stock.create({
      data: {
        id,
        name: input.name,
        kind: input.kind ?? "STOCK",
        group: input.group ?? id,
        total: input.total,
        perUserLimit: input.perUserLimit ?? null,
        startsAt: input.startsAt ? new Date(input.startsAt) : null,
        endsAt: input.endsAt ? new Date(input.endsAt) : null,
        holdSeconds: input.holdSeconds ?? null,
      },
    });
    await tx.stockMovement.create({
      data: { stockId: id, reason: "INITIAL", quantity: input.total ?? 0, reference: "create" },
    });
    return row;
  });
}

async function requireStock(deps: Deps, stockId: string): Promise<Stock> {
  const row = await deps.prisma.stock.findUnique({ where: { id: stockId } });
  if (!row) throw notFound("stock", { stockId });
  return row;
}

/** requireStock() of a stock the core's admin actions may change: not an event product's. */
async function requireOwnStock(deps: Deps, stockId: string): Promise<Stock> {
  const row = await requireStock(deps, stockId);
  refuseEventStock({ stockId, kind: row.kind });
  return row;
}

/** DRAFT → LIVE (again: 200): the ceiling is the total it has now; its state is built in Redis. */
export async function confirmStock(deps: Deps, stockId: string): Promise<Stock> {
  await requireOwnStock(deps, stockId);
  const changed = await deps.prisma.stock.updateMany({
    where: { id: stockId, status: "DRAFT" },
    data: { status: "LIVE" },
  });
  if (changed.count === 1) {
    await deps.prisma.$executeRaw`UPDATE "Stock" SET "liveTotal" = "total" WHERE id = ${stockId}`;
  }
  const row = await requireStock(deps, stockId);
  if (row.status === "CLOSED") {
    throw new AppError({
      code: "INVALID_STATE",
      message: "A closed stock cannot go live",
      details: { stockId },
    });
  }
  await buildStockState(deps, stockId).catch((err) =>
    deps.log.warn({ err, stockId }, "could not build the stock's Redis state yet; the loop will"),
  );
  return row;
}

function stockRule(message: string, details: Record<string, unknown>): AppError {
  return new AppError({ code: "STOCK_RULE", message, details });
}

/**
 * A new total. DRAFT: any. LIVE: never above the total it had when it went live, never below
 * what is held and taken, and an unlimited stock stays unlimited. Redis's total is never above
 * PostgreSQL's: a lower total is set in Redis first (which checks the floor atomically), a
 * higher one in PostgreSQL first; the row lock keeps changes of one stock in line.
 */
export async function setStockTotal(deps: Deps, stockId: string, total: number | null): Promise<Stock> {
  return deps.prisma.$transaction(
    async (tx) => {
      const [row] = await tx.$queryRaw<Stock[]>`SELECT * FROM "Stock" WHERE id = ${stockId} FOR UPDATE`;
      if (!row) throw notFound("stock", { stockId });
      refuseEventStock({ stockId, kind: row.kind });
      if (row.status === "CLOSED") {
        throw new AppError({
          code: "INVALID_STATE",
          message: "A closed stock's total is final",
          details: { stockId },
        });
      }
      const delta = (total ?? 0) - (row.total ?? 0);
      const record = () =>
        tx.$executeRaw`
          WITH upd AS (UPDATE "Stock" SET "total" = ${total}, "updatedAt" = now() WHERE id = ${stockId} RETURNING id)
          INSERT INTO "StockMovement" ("stockId", "reason", "quantity", "reference")
          SELECT id, 'ADJUST'::"StockMovementReason", ${delta}, 'admin' FROM upd WHERE ${delta} <> 0`;
      if (row.status === "DRAFT") {
        await record();
        return { ...row, total };
      }
      if ((row.total === null) !== (total === null)) {
        throw stockRule("A live stock stays limited or unlimited", {
          current: row.total,
          max: row.liveTotal,
        });
      }
      if (total === null || row.total === null) return row;
      if (ruleOnTotal(row, total).kind === "aboveCeiling") {
        throw stockRule("A live stock's total may not go above the total it went live with", {
          current: row.total,
          max: row.liveTotal,
        });
      }
      const address = keys.stockCounters({ group: row.group, stockId });
      if (total < row.total) {
        const lowered = await setTotalAt(deps.redis, address, total, "check");
        if (lowered.kind === "belowFloor") {
          // The step refuses exactly when the rule does (below what it holds and has taken).
          throw stockRule("The total may not go below what is held and taken", {
            min: lowered.floor,
            max: row.liveTotal,
            current: row.total,
          });
        }
        await record();
      } else {
        await record();
        await setTotalAt(deps.redis, address, total, "sync");
      }
      return { ...row, total };
    },
    { timeout: 10_000 },
  );
}

/** Copies the live `remaining` to PostgreSQL (what the admin view shows between syncs). */
export async function syncStock(deps: Deps, stockId: string): Promise<Stock> {
  const row = await requireOwnStock(deps, stockId);
  if (row.status !== "LIVE") return row;
  const [live] = await readStockStates(deps.redis, [{ group: row.group, stockId }]);
  if (!live) return row;
  return deps.prisma.stock.update({
    where: { id: stockId },
    data: { remaining: live.remaining, remainSyncedAt: new Date() },
  });
}

/**
 * LIVE or DRAFT → CLOSED (again: 200): no take from now on. Its figures become final in
 * PostgreSQL and Redis forgets it once every take in flight is settled (the loop archives it).
 */
export async function closeStock(deps: Deps, stockId: string): Promise<Stock> {
  await requireOwnStock(deps, stockId);
  await deps.prisma.stock.updateMany({
    where: { id: stockId, status: { in: ["DRAFT", "LIVE"] } },
    data: { status: "CLOSED" },
  });
  const row = await requireStock(deps, stockId);
  const closed = await closeStep(deps.redis, { group: row.group, stockId });
  if (closed.kind === "closed") {
    return deps.prisma.stock.update({
      where: { id: stockId },
      data: { remaining: closed.remaining, remainSyncedAt: new Date() },
    });
  }
  return row;
}

/**
 * Held and taken units per stock, from PostgreSQL's takes; an event product's (its units move by
 * the sale's purchases, not by takes) from its ledger: held = TAKE − CONFIRM − RELEASE,
 * taken = CONFIRM − RETURN.
 */
export async function settledFigures(
  deps: Deps,
  stockIds: string[],
  eventStockIds: string[] = [],
): Promise<Map<string, { held: number; taken: number }>> {
  const fromLedger = await ledgerFigures(deps, eventStockIds);
  const rows = await deps.prisma.take.groupBy({
    by: ["stockId", "status"],
    where: { stockId: { in: stockIds }, status: { in: ["HELD", "CONFIRMED"] } },
    _sum: { quantity: true },
  });
  const out = new Map<string, { held: number; taken: number }>();
  for (const id of stockIds) out.set(id, { held: 0, taken: 0 });
  for (const r of rows) {
    const f = out.get(r.stockId);
    if (!f) continue;
    if (r.status === "HELD") f.held = r._sum.quantity ?? 0;
    else f.taken = r._sum.quantity ?? 0;
  }
  for (const [id, f] of fromLedger) out.set(id, f);
  return out;
}

async function ledgerFigures(deps: Deps, stockIds: string[]) {
  const out = new Map<string, { held: number; taken: number }>();
  if (stockIds.length === 0) return out;
  const sums = await deps.prisma.stockMovement.groupBy({
    by: ["stockId", "reason"],
    where: { stockId: { in: stockIds }, reason: { in: ["TAKE", "CONFIRM", "RELEASE", "RETURN"] } },
    _sum: { quantity: true },
  });
  for (const id of stockIds) {
    const sum = (reason: string) =>
      sums.find((r) => r.stockId === id && r.reason === reason)?._sum.quantity ?? 0;
    out.set(id, {
      held: sum("TAKE") - sum("CONFIRM") - sum("RELEASE"),
      taken: sum("CONFIRM") - sum("RETURN"),
    });
  }
  return out;
}

/** The stocks' views: live figures from Redis while LIVE, PostgreSQL's otherwise. */
export async function stockViews(deps: Deps, rows: Stock[]): Promise<StockView[]> {
  const live = await readStockStates(
    deps.redis,
    rows.map((r) => ({ group: r.group, stockId: r.id })),
  );
  const notLive = rows.filter((_, i) => !(rows[i]?.status === "LIVE" && live[i]));
  const settled = await settledFigures(
    deps,
    notLive.filter((r) => r.kind !== EVENT_KIND).map((r) => r.id),
    notLive.filter((r) => r.kind === EVENT_KIND).map((r) => r.id),
  );
  return rows.map((row, i) => {
    const state = row.status === "LIVE" ? live[i] : null;
    const figures = state
      ? { remaining: state.remaining, held: state.reserved, taken: state.sold }
      : (() => {
          const f = settled.get(row.id) ?? { held: 0, taken: 0 };
          const remaining = row.total === null ? null : Math.max(row.total - f.held - f.taken, 0);
          return { remaining, ...f };
        })();
    return {
      id: row.id,
      name: row.name,
      status: row.status,
      total: row.total,
      perUserLimit: row.perUserLimit,
      ...figures,
      startsAt: row.startsAt?.toISOString() ?? null,
      endsAt: row.endsAt?.toISOString() ?? null,
      holdSeconds: row.holdSeconds,
      remainSyncedAt: row.remainSyncedAt?.toISOString() ?? null,
    };
  });
}

export async function getStockView(deps: Deps, stockId: string): Promise<StockView> {
  const [view] = await stockViews(deps, [await requireStock(deps, stockId)]);
  if (!view) throw notFound("stock", { stockId });
  return view;
}
