// Keeps Redis honest against PostgreSQL, per product of an event:
//  1. settles purchases stuck in flight (their job failed for good or is gone): the
//     order in PostgreSQL decides, or a FAILED one is written and the units restored;
//  2. compares the counters with what PostgreSQL and the in-flight purchases say they
//     must be, and repairs drift with a compare-and-set (a purchase finishing meanwhile
//     makes it read again rather than overwrite).
import type { Deps } from "../deps.js";
import { recordReconciliation } from "../http/metrics.js";
import { keys } from "../redis/keys.js";
import { failPurchase, recordRedisOutcome } from "./processor.js";

export interface ProductReconciliation {
  sku: string;
  expectedRemaining: number;
  redisRemaining: number;
  drift: number;
  repaired: boolean;
  /** Purchases stuck in flight that were settled in this run. */
  settled: number;
}

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
): Promise<{ products: ProductReconciliation[]; outcomesRecorded: number }> {
  const outcomesRecorded = await recordMissedOutcomes(deps, eventId);
  const products = await deps.prisma.product.findMany({ where: { eventId }, orderBy: { sku: "asc" } });
  const report: ProductReconciliation[] = [];
  for (const product of products) {
    const settled = await settleStuck(deps, eventId, product.sku, opts.stuckAfterMs ?? 30_000);
    report.push({
      ...(await compareAndRepair(deps, eventId, product.sku, opts.repair ?? true)),
      settled,
    });
  }
  recordReconciliation(report);
  return { products: report, outcomesRecorded };
}

/**
 * Outcomes decided in Redis whose PostgreSQL write failed (it was down at every attempt):
 * written now, then told (the shopper was not told before it was durable). Looks at
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
    const status = statuses[i];
    if (status !== "CONFIRMED" && status !== "REJECTED" && status !== "FAILED" && status !== "CANCELLED")
      continue;
    await recordRedisOutcome(deps, { eventId, ticketId: t.id, sku: t.sku });
    recorded += 1;
  }
  if (recorded > 0) deps.log.warn({ eventId, recorded }, "recorded outcomes PostgreSQL had missed");
  return recorded;
}

async function settleStuck(deps: Deps, eventId: string, sku: string, stuckAfterMs: number): Promise<number> {
  const inflight = await deps.redis.hkeys(keys.inflight(eventId, sku));
  const queue = deps.queues.get(eventId);
  let settled = 0;
  for (const ticketId of inflight) {
    const job = await queue.getJob(ticketId);
    const state = job ? await job.getState() : "missing";
    if (state === "active" || state === "waiting" || state === "delayed" || state === "prioritized") continue;
    if (state === "missing") {
      const admittedAt = Number(await deps.redis.hget(keys.ticket(eventId, ticketId), "admittedAt"));
      if (Date.now() - admittedAt < stuckAfterMs) continue;
    }
    try {
      // A purchase that finished during this pass comes back as a no-op.
      const result = await failPurchase(deps, { eventId, ticketId, sku });
      if (result.kind === "noop") continue;
      settled += 1;
      deps.log.warn(
        { eventId, ticketId, jobState: state, result: result.kind },
        "settled a purchase stuck in flight",
      );
    } catch (err) {
      deps.log.warn({ eventId, ticketId, err }, "could not settle a stuck purchase yet");
    }
  }
  return settled;
}

async function compareAndRepair(
  deps: Deps,
  eventId: string,
  sku: string,
  repair: boolean,
): Promise<Omit<ProductReconciliation, "settled">> {
  for (let attempt = 0; ; attempt++) {
    const [[, counters], [, inflight]] = (await deps.redis
      .multi()
      .hmget(keys.stock(eventId, sku), "total", "remaining", "reserved", "sold")
      .hgetall(keys.inflight(eventId, sku))
      .exec()) as [[unknown, (string | null)[]], [unknown, Record<string, string>]];
    const [total, remaining, reserved, sold] = counters.map(Number) as [number, number, number, number];

    const inflightIds = Object.keys(inflight);
    // One statement, so one snapshot: an in-flight order committing between two separate
    // reads would be subtracted without having been added, and a unit created from nothing.
    const [pg] = await deps.prisma.$queryRaw<{ total: number; sold: number; confirmedInFlight: number }[]>`
      SELECT p.total,
             COALESCE(SUM(o.quantity), 0)::int AS sold,
             COALESCE(SUM(o.quantity) FILTER (WHERE o."ticketId" = ANY(${inflightIds}::text[])), 0)::int
               AS "confirmedInFlight"
      FROM "Product" p
      LEFT JOIN "Order" o ON o."eventId" = p."eventId" AND o.sku = p.sku AND o.status = 'CONFIRMED'
      WHERE p."eventId" = ${eventId} AND p.sku = ${sku}
      GROUP BY p.total`;
    const totalInPostgres = pg?.total ?? 0;
    // Confirmed in PostgreSQL but not yet finished in Redis: still counted as reserved there.
    const expected = {
      reserved: Object.values(inflight).reduce((sum, qty) => sum + Number(qty), 0),
      sold: (pg?.sold ?? 0) - (pg?.confirmedInFlight ?? 0),
    };
    const expectedRemaining = totalInPostgres - expected.reserved - expected.sold;
    const drift = remaining - expectedRemaining;
    const consistent = drift === 0 && reserved === expected.reserved && sold === expected.sold;
    // A stock adjustment in progress moves total in both stores; leave it to finish.
    if (consistent || !repair || total !== totalInPostgres || counters[0] === null) {
      return { sku, expectedRemaining, redisRemaining: remaining, drift, repaired: false };
    }
    const swapped = await deps.redis.repairStock(
      keys.stock(eventId, sku),
      remaining,
      reserved,
      sold,
      expectedRemaining,
      expected.reserved,
      expected.sold,
    );
    if (swapped === 1) {
      deps.log.warn({ eventId, sku, drift, expectedRemaining, remaining }, "repaired stock drift");
      return { sku, expectedRemaining, redisRemaining: remaining, drift, repaired: true };
    }
    if (attempt >= 5) return { sku, expectedRemaining, redisRemaining: remaining, drift, repaired: false };
  }
}
