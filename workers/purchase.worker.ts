// Entry point of a worker process: builds its dependencies and runs the purchase workers
// of every event with a sale, the lifecycle worker (scheduled starts and ends) and the
// maintenance job (rebuild after a Redis loss, reconcile), and with METRICS_PORT set, a
// Prometheus listener.
// SIGTERM/SIGINT finish the purchases in hand, then exit.
import { closeDeps, createDeps, onShutdown } from "../src/bootstrap.js";
import { loadConfigOrExit } from "../src/config.js";
import { LifecycleWorker } from "../src/events/scheduler.js";
import { registerDependencyMetrics } from "../src/ops/dependency-metrics.js";
import { startMetricsServer } from "../src/ops/metrics-server.js";
import { createRegistry } from "../src/ops/registry.js";
import { SimulatedPayment } from "../src/purchase/payment.js";
import { RefundWorker } from "../src/purchase/refunds.js";
import { PurchaseWorkerPool } from "../src/purchase/worker-pool.js";
import { MaintenanceWorker } from "../src/recovery/maintenance.js";

const config = loadConfigOrExit();
const deps = createDeps(config, { name: "worker", dbPoolSize: Math.min(20, config.worker.concurrency) });
const payment = new SimulatedPayment(config.worker.paymentLatencyMs);
const pool = new PurchaseWorkerPool(deps, payment, {
  concurrency: config.worker.concurrency,
});
await pool.start();
const refunds = new RefundWorker(deps, payment);
await refunds.start();
const lifecycle = new LifecycleWorker(deps);
await lifecycle.start();
const maintenance = new MaintenanceWorker(deps);
await maintenance.start();
// Prometheus scrapes a worker on its own port: what the pipeline records here (purchase
// outcomes, Redis errors, reconciler repairs) and whether this process reaches its stores.
const registry = createRegistry();
registerDependencyMetrics(registry, deps);
const metricsServer =
  config.worker.metricsPort === null
    ? undefined
    : await startMetricsServer(registry, { port: config.worker.metricsPort, host: config.http.host });
deps.log.info({ concurrency: config.worker.concurrency, metricsPort: metricsServer?.port }, "worker running");
onShutdown(deps.log, async () => {
  await Promise.all([
    pool.close(),
    lifecycle.close(),
    maintenance.close(),
    refunds.close(),
    metricsServer?.close(),
  ]);
  await closeDeps(deps);
});
