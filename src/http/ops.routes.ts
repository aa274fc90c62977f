// Operations: liveness, readiness (Redis and PostgreSQL answer), Prometheus metrics. Per-event
// joins, outcomes, stock and queue depth are the sale's business, so /metrics asks
// `Authorization: Bearer <METRICS_TOKEN>` (the admin token when METRICS_TOKEN is not set); Express
// routes match any case and a trailing slash, so /METRICS and /metrics/ reach this same guarded
// handler. Failed tokens count against the client like failed admin sign-ins.
import { z } from "zod";
import { adminGuard } from "../auth/admin-guard.js";
import { clientKey } from "../auth/client-key.js";
import { bearer, sameSecret } from "../auth/secrets.js";
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
  const guard = adminGuard(deps);
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
      errors: ["UNAUTHORIZED", "RATE_LIMITED"],
    },
    async ({ req, res }) => {
      const token = bearer(req.get("authorization"));
      await guard.authenticate(
        clientKey(req),
        token !== undefined && sameSecret(token, deps.config.metricsToken),
        "A valid metrics token is required (Authorization: Bearer <METRICS_TOKEN>)",
      );
      res.setHeader("Cache-Control", "no-store");
      return { status: 200, body: await metrics.registry.metrics() };
    },
  );
  return api;
}
