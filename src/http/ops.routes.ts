// Operations: liveness, readiness (Redis and PostgreSQL answer), Prometheus metrics.
import { z } from "zod";
import type { Deps } from "../deps.js";
import { ApiRouter, TAGS } from "./api-router.js";
import type { Metrics } from "./metrics.js";

const readiness = z
  .object({
    status: z.enum(["ready", "unavailable", "draining"]),
    checks: z
      .object({ redis: z.boolean(), postgres: z.boolean() })
      .optional()
      .describe("Absent while draining"),
  })
  .meta({ id: "Readiness" });

export function opsRoutes(deps: Deps, metrics: Metrics): ApiRouter {
  const api = new ApiRouter({ base: "/", tag: TAGS.operations });
  api.route(
    {
      method: "get",
      path: "/healthz",
      summary: "The process is alive",
      responses: { 200: { description: "Alive", schema: z.object({ status: z.literal("ok") }) } },
    },
    () => ({ status: 200, body: { status: "ok" } }),
  );
  api.route(
    {
      method: "get",
      path: "/readyz",
      summary: "Redis and PostgreSQL answer (503 otherwise, and while the process drains)",
      responses: {
        200: { description: "Ready", schema: readiness },
        503: {
          description: "Redis or PostgreSQL does not answer, or the process is draining",
          schema: readiness,
        },
      },
    },
    async () => {
      const within = <T>(p: Promise<T>) =>
        Promise.race([
          p,
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), 1000)),
        ]);
      const [redis, postgres] = await Promise.allSettled([
        within(deps.redis.ping()),
        within(deps.prisma.$queryRaw`SELECT 1`),
      ]);
      const checks = { redis: redis.status === "fulfilled", postgres: postgres.status === "fulfilled" };
      return checks.redis && checks.postgres
        ? { status: 200, body: { status: "ready", checks } }
        : { status: 503, body: { status: "unavailable", checks } };
    },
  );
  api.route(
    {
      method: "get",
      path: "/metrics",
      summary:
        "Prometheus metrics: HTTP, purchases, errors, and per live event joins, outcomes, waiting, queue depth, stock",
      responses: { 200: { description: "Prometheus text format", contentType: "text/plain" } },
    },
    async () => ({ status: 200, body: await metrics.registry.metrics() }),
  );
  return api;
}
