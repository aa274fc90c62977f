// Stock adjustments of a product while its sale may be running (the stock rules of shared
// API.md, src/stock/stock-rules.ts). PostgreSQL holds the total, on the product's core Stock
// row (kind EVENT); Redis follows it under that row's lock, by an
// absolute step (applying it twice changes nothing). The order keeps Redis's total at or
// below PostgreSQL's whenever they differ, so a crash at any point can leave units unsold
// for a moment, never sell one PostgreSQL does not have:
//  - lowering: Redis first (its step checks the floor against the live counters), then
//    PostgreSQL in the same transaction; a commit that fails leaves Redis lower;
//  - raising: PostgreSQL first; Redis follows once it is committed.
// Either way syncTotal then sets Redis to PostgreSQL's committed total, as the reconciler
// does on every pass.
import type { Deps } from "../deps.js";
import { AppError, notFound } from "../errors.js";
import { setTotal } from "../redis/steps/stock-counters.js";
import { ruleOnTotal } from "../stock/stock-rules.js";
import type { ProductView } from "./event.schemas.js";
import { readStock, type StockCounters } from "./event-state.js";

interface EventLockRow {
  status: string;
  perUserLimit: number;
}

interface ProductLockRow {
  name: string;
  priceCents: number;
  stockId: string;
  /** The stock's: DRAFT until the event first went LIVE. */
  status: string;
  total: number;
  liveTotal: number | null;
  perUserLimit: number | null;
}

/** Sets a product's total within the stock rules; answers the product with its live counters. */
export async function adjustStock(
  deps: Deps,
  eventId: string,
  sku: string,
  newTotal: number,
): Promise<ProductView> {
  const log = deps.log.child({ eventId, sku });
  const product = await deps.prisma
    .$transaction(
      async (tx) => {
        // Event first, then product: the lifecycle transitions lock in the same order. The
        // share lock keeps the event from ending (or first going LIVE) under this change.
        const [event] = await tx.$queryRaw<EventLockRow[]>`
        SELECT "status"::text AS "status", "perUserLimit"
        FROM "Event" WHERE "id" = ${eventId} FOR SHARE`;
        if (!event) throw notFound("event", { eventId });
        if (event.status === "ENDED") {
          throw new AppError({
            code: "INVALID_STATE",
            message: "The stock of an ended event cannot change",
            details: { status: event.status },
          });
        }
        // Serializes adjustments of one product across every API process: its stock's row lock.
        const [row] = await tx.$queryRaw<ProductLockRow[]>`
        SELECT p."name", p."priceCents", p."stockId", s."status"::text AS "status",
               s."total", s."liveTotal", s."perUserLimit"
        FROM "Product" p JOIN "Stock" s ON s."id" = p."stockId"
        WHERE p."eventId" = ${eventId} AND p."sku" = ${sku} FOR UPDATE OF s`;
        if (!row) throw notFound("product", { eventId, sku });

        // Before the first LIVE there is no ceiling; afterwards the total of that moment.
        const ruling = ruleOnTotal(row, newTotal);
        const ceiling = ruling.ceiling;
        if (ruling.kind === "aboveCeiling") {
          const [live] = await readStock(deps.redis, eventId, [sku]);
          throw stockRule({
            asked: newTotal,
            min: (live?.sold ?? 0) + (live?.reserved ?? 0),
            max: ceiling,
            live,
          });
        }
        let lowered: { sold: number; reserved: number } | null = null;
        if (newTotal < row.total) {
          const step = await setTotal(deps.redis, { eventId, sku }, newTotal, "check");
          if (step.kind === "noProduct") {
            throw new AppError({
              code: "INVALID_STATE",
              message: "The event has no live stock in Redis yet; try again in a moment",
              details: { eventId, sku },
              retryAfterSeconds: 1,
            });
          }
          if (step.kind === "belowFloor") {
            const below = ruleOnTotal(row, newTotal, step.floor);
            throw stockRule({ asked: newTotal, min: step.floor, max: below.ceiling, live: step });
          }
          lowered = step.kind === "set" || step.kind === "short" ? step : null;
        }
        // The counters at the moment of this change, under the row lock: what the answer shows
        // (read after the commit, they could carry another adjustment's total).
        const at = newTotal < row.total ? null : ((await readStock(deps.redis, eventId, [sku]))[0] ?? null);
        await tx.stock.update({ where: { id: row.stockId }, data: { total: newTotal } });
        if (newTotal !== row.total) {
          await tx.stockMovement.create({
            data: {
              stockId: row.stockId,
              reason: "ADJUST",
              quantity: newTotal - row.total,
              reference: "admin",
            },
          });
        }
        return {
          ...row,
          perUserLimit: row.perUserLimit ?? event.perUserLimit,
          delta: newTotal - row.total,
          at: lowered ?? at,
        };
      },
      { maxWait: 5_000, timeout: 10_000 },
    )
    .catch(async (err) => {
      // A lowering applied in Redis and not committed: Redis back to PostgreSQL's total now if
      // it can (the reconciler does it otherwise).
      await syncTotal(deps, eventId, sku).catch(() => undefined);
      throw err;
    });
  await syncTotal(deps, eventId, sku);
  log.info({ total: newTotal, delta: product.delta }, "stock adjusted");
  // As this adjustment left it: the counters of its own step (a lowering), or read under the
  // row lock at the change (a raise), never after another adjustment may have followed.
  const sold = product.at?.sold ?? 0;
  const reserved = product.at?.reserved ?? 0;
  return {
    sku,
    name: product.name,
    priceCents: product.priceCents,
    perUserLimit: product.perUserLimit,
    total: newTotal,
    remaining: Math.max(0, newTotal - sold - reserved),
    reserved,
    sold,
  };
}

/**
 * Sets Redis's total of a product to PostgreSQL's committed one, holding its stock's row
 * lock so no adjustment interleaves; `synced` when Redis differed, `live` the counters after
 * (one read, under the lock). Idempotent: the reconciler runs it on every pass.
 */
export async function syncTotal(
  deps: Deps,
  eventId: string,
  sku: string,
): Promise<{ synced: boolean; live: StockCounters | null }> {
  return deps.prisma.$transaction(
    async (tx) => {
      const [row] = await tx.$queryRaw<{ total: number }[]>`
        SELECT s."total" FROM "Product" p JOIN "Stock" s ON s."id" = p."stockId"
        WHERE p."eventId" = ${eventId} AND p."sku" = ${sku} FOR SHARE OF s`;
      const [live] = await readStock(deps.redis, eventId, [sku]);
      if (!row || !live || live.total === row.total) return { synced: false, live: live ?? null };
      const set = await setTotal(deps.redis, { eventId, sku }, row.total, "sync");
      if (set.kind === "short")
        deps.log.error(
          { eventId, sku, total: row.total, short: set.short },
          "more units out than PostgreSQL's total",
        );
      else
        deps.log.warn({ eventId, sku, from: live.total, to: row.total }, "set Redis's total to PostgreSQL's");
      if (set.kind === "set") return { synced: true, live: set };
      if (set.kind === "short") return { synced: true, live: { ...set, remaining: 0 } };
      return { synced: false, live: null };
    },
    { maxWait: 5_000, timeout: 10_000 },
  );
}

function stockRule(r: {
  asked: number;
  min: number;
  max: number | null;
  live: { sold: number; reserved: number; total: number } | null | undefined;
}): AppError {
  const sold = r.live?.sold ?? 0;
  const reserved = r.live?.reserved ?? 0;
  const why =
    r.asked < r.min
      ? `it cannot go below what is sold (${sold}) and reserved (${reserved})`
      : `it cannot go above ${r.max}, the total when the sale first went live`;
  return new AppError({
    code: "STOCK_RULE",
    message: `A total of ${r.asked} breaks a stock rule: ${why}`,
    details: { min: r.min, max: r.max, sold, reserved, current: r.live?.total ?? null },
  });
}
