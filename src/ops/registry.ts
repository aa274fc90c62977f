// A process's Prometheus registry (prom-client): Node.js' default series and the process-wide
// ones of src/metrics.ts. The API adds its HTTP series (src/http/metrics.ts); a worker
// process serves it as it is (src/ops/metrics-server.ts).
import { collectDefaultMetrics, Registry } from "prom-client";
import { registerProcessMetrics } from "../metrics.js";

export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "dropqueue_" });
  registerProcessMetrics(registry);
  return registry;
}
