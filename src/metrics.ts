// Prometheus series recorded where the work happens, in any process: the purchase workers
// (wherever their pool runs), the Prisma client, the readers of Redis. Module-level, so the
// code that records needs no handle; every registry made by http/metrics.ts exposes them.
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

export function registerProcessMetrics(registry: Registry): void {
  registry.registerMetric(purchaseDuration);
  registry.registerMetric(redisErrors);
  registry.registerMetric(dbErrors);
}
