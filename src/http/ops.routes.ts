// Operations: liveness, readiness (Redis and PostgreSQL answer); metrics in metrics.routes.ts.
import { Router } from "express";
import type { Deps } from "../deps.js";

export function opsRoutes(deps: Deps): Router {
  const router = Router();
  router.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  router.get("/readyz", async (_req, res) => {
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
    res
      .status(checks.redis && checks.postgres ? 200 : 503)
      .json({ status: checks.redis && checks.postgres ? "ready" : "unavailable", checks });
  });
  return router;
}
