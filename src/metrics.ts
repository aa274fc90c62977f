// Prometheus series recorded where the work happens, in any process: the purchase workers
// (wherever their pool runs), the Prisma client, the readers of Redis. Module-level, so the
// code that records needs no handle; every registry made by ops/registry.ts exposes them.
import type { Job } from "bullmq";
import { Counter, Histogram, type Registry } from "prom-client";

export const purchaseDuration = new Histogram({
  name: "dropqueue_purchase_duration_seconds",
  help: "Time of one purchase attempt in a worker, picked up to outcome, by result (a PurchaseResult kind, or error)",
  labelNames: ["result"] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [],
});

export const redisErrors = new Counter({
  name: "dropqueue_redis_errors_total",
  help: "Redis commands or scripts that failed, by operation",
  labelNames: ["op"] as const,
  registers: [],
});

export const dbErrors = new Counter({
  name: "dropqueue_db_errors_total",
  help: "PostgreSQL queries that failed, by Prisma operation (model.action or $queryRaw…)",
  labelNames: ["op"] as const,
  registers: [],
});

/** One purchase attempt ended (a BullMQ job completed or failed): how long it was active. */
export function observePurchaseAttempt(job: Pick<Job, "processedOn">, result: string): void {
  if (job.processedOn === undefined) return;
  purchaseDuration.observe({ result }, Math.max(0, Date.now() - job.processedOn) / 1000);
}

// What the reconciler repaired: an operator must hear about drift (src/recovery/reconcile.ts).
export const reconcilerDriftRepaired = new Counter({
  name: "dropqueue_reconciler_drift_repaired_total",
  help: "Products whose Redis stock counters the reconciler found drifted from PostgreSQL and repaired",
  registers: [],
});
export const reconcilerDriftUnits = new Counter({
  name: "dropqueue_reconciler_drift_units_total",
  help: "Units of stock drift (|Redis remaining - expected|) found on products the reconciler repaired",
  registers: [],
});
export const stuckPurchasesSettled = new Counter({
  name: "dropqueue_purchases_stuck_settled_total",
  help: "Purchases stuck in flight (job failed for good or gone) that the reconciler settled",
  registers: [],
});

/** Counts one reconcile pass's repairs (one call per pass, from the reconciler). */
export function recordReconciliation(products: { drift: number; repaired: boolean; settled: number }[]) {
  for (const p of products) {
    if (p.repaired) {
      reconcilerDriftRepaired.inc();
      reconcilerDriftUnits.inc(Math.abs(p.drift));
    }
    if (p.settled > 0) stuckPurchasesSettled.inc(p.settled);
  }
}

// The stock core (src/stock/): takes by outcome, and what its loop settled or repaired.
export const stockTakes = new Counter({
  name: "dropqueue_stock_takes_total",
  help: "Takes of the stock core by outcome: taken, known (a repeat: nothing moved), SOLD_OUT, LIMIT_REACHED, SALE_NOT_OPEN",
  labelNames: ["outcome"] as const,
  registers: [],
});
export const stockLoopWork = new Counter({
  name: "dropqueue_stock_loop_total",
  help: "What the loop did for the stock core: pending (takes a crash left), applied (statuses Redis had not shown), expired (holds), closed (periods ended), built (lost states), repaired (drifted counters), archived",
  labelNames: ["what"] as const,
  registers: [],
});

export function registerProcessMetrics(registry: Registry): void {
  registry.registerMetric(stockTakes);
  registry.registerMetric(stockLoopWork);
  registry.registerMetric(purchaseDuration);
  registry.registerMetric(redisErrors);
  registry.registerMetric(dbErrors);
  registry.registerMetric(reconcilerDriftRepaired);
  registry.registerMetric(reconcilerDriftUnits);
  registry.registerMetric(stuckPurchasesSettled);
}
