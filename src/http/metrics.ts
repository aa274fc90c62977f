// Prometheus metrics (prom-client), one registry per process.
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

// What the purchase pipeline records wherever it runs (worker pools inside an API process,
// or a worker process): module-level, so the code that records needs no handle. Every
// registry made by createMetrics exposes them.
export const purchaseDuration = new Histogram({
  name: "dropqueue_purchase_duration_seconds",
  help: "Time of one purchase attempt, reservation to outcome, by result",
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
  help: "PostgreSQL queries or transactions that failed, by operation",
  labelNames: ["op"] as const,
  registers: [],
});

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

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"method" | "route">;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "dropqueue_" });
  registry.registerMetric(purchaseDuration);
  registry.registerMetric(redisErrors);
  registry.registerMetric(dbErrors);
  registry.registerMetric(reconcilerDriftRepaired);
  registry.registerMetric(reconcilerDriftUnits);
  registry.registerMetric(stuckPurchasesSettled);
  return {
    registry,
    httpRequests: new Counter({
      name: "dropqueue_http_requests_total",
      help: "HTTP requests by route and status",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "dropqueue_http_request_duration_seconds",
      help: "HTTP request latency",
      labelNames: ["method", "route"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
  };
}
