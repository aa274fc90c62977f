// GET /metrics: per-event joins, outcomes, stock and queue depth are the sale's business,
// so Prometheus must send `Authorization: Bearer <METRICS_TOKEN>` (the admin token when
// METRICS_TOKEN is not set). The route is declared case-insensitive and non-strict on
// purpose: /METRICS, /metrics/ and /Metrics// all reach this one guarded handler, never a
// path that skips it. Failed tokens count against the client like failed admin sign-ins.
import { Router } from "express";
import type { Deps } from "../deps.js";
import { adminGuard, bearer, sameSecret } from "./admin-auth.js";
import { clientKey } from "./client-key.js";
import type { Metrics } from "./metrics.js";

export const METRICS_PATH = "/metrics";

export function metricsRoutes(deps: Deps, metrics: Metrics): Router {
  const router = Router({ caseSensitive: false, strict: false });
  const guard = adminGuard(deps);
  router.get(METRICS_PATH, async (req, res) => {
    const token = bearer(req.get("authorization"));
    await guard.authenticate(
      clientKey(req),
      token !== undefined && sameSecret(token, deps.config.metricsToken),
      "A valid metrics token is required (Authorization: Bearer <METRICS_TOKEN>)",
    );
    res.setHeader("Cache-Control", "no-store");
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
