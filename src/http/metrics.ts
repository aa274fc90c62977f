// Prometheus metrics (prom-client), one registry per API process: the process's registry
// (src/ops/registry.ts) and the HTTP series.
import { Counter, Histogram, type Registry } from "prom-client";
import { createRegistry } from "../ops/registry.js";

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"method" | "route">;
}

export function createMetrics(): Metrics {
  const registry = createRegistry();
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
