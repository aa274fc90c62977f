// createApp(deps): the Express application of the API. It listens on nothing by itself;
// server.ts (or a test) gives it a port.
import path from "node:path";
import { fileURLToPath } from "node:url";
import express, { type Express, type NextFunction, type Request, type Response } from "express";
import type { Deps } from "../deps.js";
import type { TicketTokens } from "../waiting-room/tokens.js";
import { adminRoutes } from "./admin.routes.js";
import { adminGate } from "./admin-auth.js";
import { adminPages } from "./admin-pages.routes.js";
import { adminStockRoutes } from "./admin-stock.routes.js";
import { admissionAdminRoutes } from "./admission.routes.js";
import type { ApiRouter } from "./api-router.js";
import { catalogOrderRoutes, catalogPublicRoutes } from "./catalog.routes.js";
import { catalogAdminRoutes } from "./catalog-admin.routes.js";
import { couponAdminRoutes, couponServiceRoutes } from "./coupons.routes.js";
import { deadLettersRoutes } from "./dead-letters.routes.js";
import { docsRoutes } from "./docs.routes.js";
import { errorMiddleware, notFoundRoute } from "./errors.middleware.js";
import type { Metrics } from "./metrics.js";
import { opsRoutes } from "./ops.routes.js";
import { apiRateLimit } from "./rate-limit.js";
import { refundsRoutes } from "./refunds.routes.js";
import { registerSaleMetrics } from "./sale-metrics.js";
import { BODY_LIMIT_BYTES, bodyGuard, cors, securityHeaders } from "./security.js";
import { serviceKeyAdminRoutes, serviceKeyRoutes } from "./service-keys.routes.js";
import { shopperRoutes } from "./shopper.routes.js";
import { registerStockMetrics } from "./stock-metrics.js";
import { stockAdminRoutes, stockServiceRoutes } from "./stocks.routes.js";

const PUBLIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../public");

export interface AppOptions {
  deps: Deps;
  tokens: TicketTokens;
  metrics: Metrics;
}

export function createApp({ deps, tokens, metrics }: AppOptions): Express {
  const app = express();
  app.disable("x-powered-by");
  // API answers are small and never revalidated: hashing each one for an ETag is wasted work.
  app.set("etag", false);
  // req.ip keys the rate limits: believe X-Forwarded-For only from the proxies TRUST_PROXY names.
  app.set("trust proxy", deps.config.security.trustProxy);
  app.use(securityHeaders());
  registerSaleMetrics(metrics.registry, deps);
  registerStockMetrics(metrics.registry, deps);
  app.use((req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.on("finish", () => {
      const route = req.route?.path ? `${res.locals.mountPath ?? ""}${req.route.path}` : "unmatched";
      metrics.httpRequests.inc({ method: req.method, route, status: res.statusCode });
      end({ method: req.method, route });
    });
    next();
  });
  // Before the body is parsed: a client over its limit costs as little as possible.
  app.use("/api", cors(deps.config.security.corsOrigins));
  app.use("/api", apiRateLimit(deps));
  // Every admin call: a valid token, with failed authentications limited per client.
  app.use("/api/admin", adminGate(deps));
  app.use(bodyGuard());
  app.use(express.json({ limit: BODY_LIMIT_BYTES, strict: true }));

  // Every route is declared with its schemas (api-router.ts): the routers here are both what
  // is served and what /api/docs documents. The shoppers' routes first: a surge's requests
  // pass as few routers as they can.
  const routers: ApiRouter[] = [
    shopperRoutes(deps, tokens),
    opsRoutes(deps, metrics),
    adminRoutes(deps),
    adminStockRoutes(deps),
    admissionAdminRoutes(deps),
    refundsRoutes(deps),
    serviceKeyAdminRoutes(deps),
    serviceKeyRoutes(deps),
    stockAdminRoutes(deps),
    stockServiceRoutes(deps),
    couponAdminRoutes(deps),
    couponServiceRoutes(deps),
    deadLettersRoutes(deps),
    catalogAdminRoutes(deps),
    catalogPublicRoutes(deps),
    catalogOrderRoutes(deps),
    adminPages(deps),
  ];
  routers.push(docsRoutes(() => routers));
  for (const api of routers) {
    api.checkAnswers = deps.config.env === "test";
    // Express resets req.baseUrl once a router is left, before the answer goes out: each
    // mount notes its path for the route label of the request's metrics.
    const mountPath = api.base;
    app.use(
      api.base || "/",
      (_req: Request, res: Response, next: NextFunction) => {
        res.locals.mountPath = mountPath;
        next();
      },
      api.router,
    );
  }
  app.use(express.static(PUBLIC_DIR, { extensions: ["html"] }));

  app.use(notFoundRoute);
  app.use(errorMiddleware(deps.log));
  return app;
}
