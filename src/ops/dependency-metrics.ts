// Whether this process reaches Redis and PostgreSQL, read when Prometheus scrapes (the same
// checks as /readyz), so an alert fires while a dependency is down even in a process that
// is idle and records nothing.
import type { Registry } from "prom-client";
import { Gauge } from "prom-client";
import type { Deps } from "../deps.js";

const TIMEOUT_MS = 1_000;

function within<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Registers dropqueue_dependency_up{dependency="redis"|"postgres"} (once per registry). */
export function registerDependencyMetrics(registry: Registry, deps: Pick<Deps, "redis" | "prisma">): void {
  if (registry.getSingleMetric("dropqueue_dependency_up")) return;
  new Gauge({
    name: "dropqueue_dependency_up",
    help: "1 while this process reaches the dependency (Redis PING, PostgreSQL SELECT 1 within 1 s), else 0",
    labelNames: ["dependency"] as const,
    registers: [registry],
    async collect() {
      const [redis, postgres] = await Promise.allSettled([
        within(deps.redis.ping()),
        within(deps.prisma.$queryRaw`SELECT 1`),
      ]);
      this.set({ dependency: "redis" }, redis.status === "fulfilled" ? 1 : 0);
      this.set({ dependency: "postgres" }, postgres.status === "fulfilled" ? 1 : 0);
    },
  });
}
