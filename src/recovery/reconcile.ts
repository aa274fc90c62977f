// Keeps Redis honest against PostgreSQL, per product of an event. Every step is
// idempotent, so running it twice, late, or next to the purchases it watches is harmless:
//  1. outcomes decided in Redis that PostgreSQL missed are recorded there, then told;
//  2. the total is set to PostgreSQL's, under the product's row lock (syncTotal);
//  3. cancels PostgreSQL holds that Redis did not apply are applied (keyed by the ticket);
//  4. purchases stuck in flight (their job failed for good or is gone) are settled: the
//     order in PostgreSQL decides, or a FAILED one is written and the units restored;
//  5. the counters are compared with what the product's takes (the core stock's refs: every
//     reservation, HELD while in flight) and PostgreSQL's orders say they must be, and drift
//     is repaired by the core's own repair step (lua/repairTakes-3.lua): the takes PostgreSQL
//     settled are moved forward, the counters counted again from the takes. Every step that
//     moves a take is keyed by its status, so a cancel or a finish arriving after the repair
//     finds nothing left to move.
import { z } from "zod";
import type { Deps } from "../deps.js";
import { SKU } from "../events/event.schemas.js";
import { syncTotal } from "../events/stock.service.js";
import { recordReconciliation } from "../metrics.js";
import { failPurchase, recordRedisOutcome } from "../purchase/processor.js";
import { requestRefund } from "../purchase/refunds.js";
import { eventStock, keys } from "../redis/keys.js";
import { cancelPurchase } from "../redis/steps/cancel-purchase.js";
import { readHeldTakes, readStockSnapshot, repairTakes, type TakeEntry } from "../redis/steps/stock-state.js";
import { isFinalStatus } from "../waiting-room/ticket.schemas.js";

export const productReconciliation = z.object({
  sku: SKU,
  expectedRemaining: z.number().int().describe("What PostgreSQL and the purchases in flight say"),
  redisRemaining: z.number().int(),
  drift: z.number().int().describe("redisRemaining − expectedRemaining, before any repair"),
  repaired: z.boolean(),
  settled: z.number().int().describe("Purchases stuck in flight that were settled in this run"),
  cancelsApplied: z
    .number()
    .int()
    .describe("Cancels PostgreSQL held that Redis had not applied, applied in this run"),
  totalSynced: z.boolean().describe("Redis's total differed from PostgreSQL's and was set to it in this run"),
});
export type ProductReconciliation = z.infer<typeof productReconciliation>;

/** What one run found and did (the answer of POST /api/admin/events/:eventId/reconcile). */
export const reconcileReport = z
  .object({
    products: z.array(productReconciliation),
    outcomesRecorded: z
      .number()
      .int()
      .describe("Outcomes decided in Redis whose PostgreSQL write had failed, written now"),
  })
  .meta({ id: "Reconciliation" });
export type ReconcileReport = z.infer<typeof reconcileReport>;

export interface ReconcileOptions {
  /** Repair drift (the scheduled run and the admin endpoint do; a dry run does not). */
  repair?: boolean;
  /** An in-flight purchase without a live job is settled once it is this old. */
  stuckAfterMs?: number;
}

export async function reconcileEvent(
  deps: Deps,
  eventId: string,
  opts: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const repair = opts.repair ?? true;
  const outcomesRecorded = repair ? await recordMissedOutcomes(deps, eventId) : 0;
  const products = await deps.prisma.product.findMany({ where: { eventId }, orderBy: { sku: "asc" } });
  const report: ProductReconciliation[] = [];
  for (const { sku } of products) {
    const t = { eventId, sku };
    const totalSynced = repair ? (await syncTotal(deps, eventId, sku)).synced : false;
    const cancelsApplied = repair ? await applyCancels(deps, t) : 0;
    const settled = repair ? await settleStuck(deps, t, opts.stuckAfterMs ?? 30_000) : 0;
    report.push({ ...(await compareAndRepair(deps, t, repair)), settled, cancelsApplied, totalSynced });
  }
  recordReconciliation(report);
  return { products: report, outcomesRecorded };
}

/**
 * Outcomes decided in Redis whose PostgreSQL write failed (it was down, or the process
 * died): written now, then told (a shopper is told only what is durable). Looks at
 * tickets that have waited a while, a bounded number per pass.
 */
async function recordMissedOutcomes(deps: Deps, eventId: string): Promise<number> {
  const open = await deps.prisma.ticket.findMany({
    where: {
      eventId,
      status: { in: ["PREQUEUE", "QUEUED"] },
      createdAt: { lt: new Date(Date.now() - 5_000) },
    },
    select: { id: true, sku: true },
    orderBy: { seq: "asc" },
    take: 5_000,
  });
  if (open.length === 0) return 0;
  const pipeline = deps.redis.pipeline();
  for (const t of open) pipeline.hget(keys.ticket(eventId, t.id), "status");
  const statuses = ((await pipeline.exec()) ?? []).map(([, v]) => v as string | null);
  let recorded = 0;
  for (const [i, t] of open.entries()) {
    if (!isFinalStatus(statuses[i])) continue;
    await recordRedisOutcome(deps, { eventId, ticketId: t.id, sku: t.sku });
    recorded += 1;
  }
  if (recorded > 0) deps.log.warn({ eventId, recorded }, "recorded outcomes PostgreSQL had missed");
  return recorded;
}

/** The tickets of the product whose order PostgreSQL holds CANCELLED and Redis holds CONFIRMED. */
async function pendingCancels(deps: Deps, t: { eventId: string; sku: string }, ticketIds: string[]) {
  if (ticketIds.length === 0) return [];
  const pipeline = deps.redis.pipeline();
  for (const id of ticketIds) pipeline.hget(keys.ticket(t.eventId, id), "status");
  const statuses = ((await pipeline.exec()) ?? []).map(([, v]) => v as string | null);
  return ticketIds.filter((_, i) => statuses[i] === "CONFIRMED");
}

async function cancelledTickets(deps: Deps, t: { eventId: string; sku: string }): Promise<string[]> {
  const rows = await deps.prisma.order.findMany({
    where: { eventId: t.eventId, sku: t.sku, status: "CANCELLED" },
    select: { ticketId: true },
  });
  return rows.map((r) => r.ticketId);
}

async function applyCancels(deps: Deps, t: { eventId: string; sku: string }): Promise<number> {
  let applied = 0;
  for (const ticketId of await pendingCancels(deps, t, await cancelledTickets(deps, t))) {
    const result = await cancelPurchase(deps.redis, { ...t, ticketId });
    if (result.kind !== "cancelled") continue;
    applied++;
    // The cancel's own call stopped before asking for the refund (idempotent per ticket).
    await requestRefund(deps, { ...t, ticketId }, "CANCELLED");
  }
  if (applied > 0) deps.log.warn({ ...t, applied }, "applied cancels Redis had missed");
  return applied;
}

async function settleStuck(
  deps: Deps,
  t: { eventId: string; sku: string },
  stuckAfterMs: number,
): Promise<number> {
  // The product's takes HELD now: its purchases in flight (a small set, kept by the Lua steps).
  const inflight = await deps.redis.smembers(keys.stockHeld(eventStock(t.eventId, t.sku)));
  const queue = deps.queues.get(t.eventId);
  let settled = 0;
  for (const ticketId of inflight) {
    const job = await queue.getJob(ticketId);
    const state = job ? await job.getState() : "missing";
    if (state === "active" || state === "waiting" || state === "delayed" || state === "prioritized") continue;
    if (state === "missing") {
      const admittedAt = Number(await deps.redis.hget(keys.ticket(t.eventId, ticketId), "admittedAt"));
      if (Date.now() - admittedAt < stuckAfterMs) continue;
    }
    try {
      // A purchase that finished during this pass comes back as a no-op.
      const result = await failPurchase(deps, { ...t, ticketId });
      if (result.kind === "noop") continue;
      settled += 1;
      deps.log.warn(
        { ...t, ticketId, jobState: state, result: result.kind },
        "settled a purchase stuck in flight",
      );
    } catch (err) {
      deps.log.warn({ ...t, ticketId, err }, "could not settle a stuck purchase yet");
    }
  }
  return settled;
}

type Compared = Omit<ProductReconciliation, "settled" | "cancelsApplied" | "totalSynced">;

const RANK = { HELD: 1, CONFIRMED: 2, RELEASED: 3 } as const;

async function compareAndRepair(
  deps: Deps,
  t: { eventId: string; sku: string },
  repair: boolean,
): Promise<Compared> {
  return (await quickCheck(deps, t)) ?? compareEveryTake(deps, t, repair);
}

/**
 * The check of every pass, in constant work however many orders the product has: Redis's
 * counters and its takes in flight (one atomic read), then PostgreSQL's figures in one statement
 * (sold, and how much of it is still in flight in Redis, so a purchase committing between the
 * two reads is not counted twice). Agreeing: the report. Anything else: null, and the full
 * comparison of every take decides (and repairs).
 */
async function quickCheck(deps: Deps, t: { eventId: string; sku: string }): Promise<Compared | null> {
  const { eventId, sku } = t;
  const live = await readHeldTakes(deps.redis, eventStock(eventId, sku));
  if (!live) return null;
  const inFlight = live.held.map((h) => h.reference);
  const [pg] = await deps.prisma.$queryRaw<{ total: number; sold: number; confirmedInFlight: number }[]>`
    SELECT s.total,
           COALESCE(SUM(o.quantity), 0)::int AS sold,
           COALESCE(SUM(o.quantity) FILTER (WHERE o."ticketId" = ANY(${inFlight}::text[])), 0)::int
             AS "confirmedInFlight"
    FROM "Product" p JOIN "Stock" s ON s.id = p."stockId"
    LEFT JOIN "Order" o ON o."eventId" = p."eventId" AND o.sku = p.sku AND o.status = 'CONFIRMED'
    WHERE p."eventId" = ${eventId} AND p.sku = ${sku}
    GROUP BY s.total`;
  if (!pg) return null;
  const reserved = live.held.reduce((sum, h) => sum + h.quantity, 0);
  const sold = pg.sold - pg.confirmedInFlight;
  const remaining = pg.total - reserved - sold;
  const agrees =
    live.total === pg.total &&
    live.reserved === reserved &&
    live.sold === sold &&
    live.remaining === remaining;
  if (!agrees) return null;
  return { sku, expectedRemaining: remaining, redisRemaining: live.remaining, drift: 0, repaired: false };
}

/** Every take of the product against every order PostgreSQL holds; drift repaired by the core's step. */
async function compareEveryTake(
  deps: Deps,
  t: { eventId: string; sku: string },
  repair: boolean,
): Promise<Compared> {
  const { eventId, sku } = t;
  const stock = eventStock(eventId, sku);
  // PostgreSQL first, then Redis: both only move forward, and Redis's takes lead PostgreSQL's
  // orders (a take is HELD before its order commits), so a purchase or a cancel finishing
  // between the two reads is seen by Redis and never counted as drift.
  const [[pg], orders] = await Promise.all([
    deps.prisma.$queryRaw<{ total: number }[]>`
      SELECT s.total FROM "Product" p JOIN "Stock" s ON s.id = p."stockId"
      WHERE p."eventId" = ${eventId} AND p.sku = ${sku}`,
    deps.prisma.order.findMany({
      where: { eventId, sku, status: { in: ["CONFIRMED", "CANCELLED"] } },
      select: { ticketId: true, userId: true, quantity: true, status: true },
    }),
  ]);
  const totalInPostgres = pg?.total ?? 0;
  const state = await readStockSnapshot(deps.redis, stock);
  const { total, remaining, reserved, sold } = state ?? { total: 0, remaining: 0, reserved: 0, sold: 0 };
  const takes = state?.takes ?? new Map<string, TakeEntry>();

  // The takes PostgreSQL settled that this state has not: a confirmed order's take lost with
  // a state, a cancel not applied. A take still HELD is a purchase in flight: its own finish
  // (or the stuck-purchase settling above) moves it, so it is left to them.
  const settled: TakeEntry[] = [];
  for (const o of orders) {
    const want = o.status === "CONFIRMED" ? "CONFIRMED" : "RELEASED";
    const have = takes.get(o.ticketId);
    if (have?.status === "HELD" || (have && RANK[have.status] >= RANK[want])) continue;
    const entry = { reference: o.ticketId, status: want, quantity: o.quantity, userId: o.userId } as const;
    settled.push(entry);
    takes.set(o.ticketId, entry);
  }
  const want = { reserved: 0, sold: 0, remaining: 0 };
  for (const take of takes.values()) {
    if (take.status === "HELD") want.reserved += take.quantity;
    if (take.status === "CONFIRMED") want.sold += take.quantity;
  }
  want.remaining = totalInPostgres - want.reserved - want.sold;
  const drift = remaining - want.remaining;
  const result = {
    sku,
    expectedRemaining: want.remaining,
    redisRemaining: remaining,
    drift,
    repaired: false,
  };
  const consistent = settled.length === 0 && drift === 0 && reserved === want.reserved && sold === want.sold;
  // An adjustment in progress moves the total (syncTotal brings it in line next pass).
  if (consistent || !repair || total !== totalInPostgres || state === null) return result;
  if (want.remaining < 0) {
    // PostgreSQL itself holds more out than the total: never written into Redis.
    deps.log.error({ ...t, want, totalInPostgres }, "PostgreSQL holds more sold and reserved than the total");
    return result;
  }
  const repaired = await repairTakes(deps.redis, stock, settled);
  if (repaired.kind !== "repaired") return result;
  deps.log.warn({ ...t, drift, want, remaining, moved: repaired.moved }, "repaired stock drift");
  return { ...result, repaired: true };
}
