// createApp(deps): the Express application of the API. It listens on nothing by itself;
// server.ts (or a test) gives it a port.
import path from "node:path";
import { fileURLToPath } from "node:url";
import express, {
  type Express,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from "express";
import type { Deps } from "../deps.js";
import type { TicketTokens } from "../waiting-room/tokens.js";
import { adminRoutes } from "./admin.routes.js";
import { adminGate } from "./admin-auth.js";
import { adminStockRoutes } from "./admin-stock.routes.js";
import { admissionAdminRoutes, challengeRoutes } from "./admission.routes.js";
import { docsRoutes } from "./docs.js";
import { errorMiddleware, notFoundRoute } from "./errors.middleware.js";
import type { Metrics } from "./metrics.js";
import { metricsRoutes } from "./metrics.routes.js";
import { opsRoutes } from "./ops.routes.js";
import { DASHBOARD_PATH, queuesDashboard } from "./queues-dashboard.js";
import { apiRateLimit } from "./rate-limit.js";
import { refundsRoutes } from "./refunds.routes.js";
import { registerSaleMetrics } from "./sale-metrics.js";
import { BODY_LIMIT_BYTES, bodyGuard, cors, securityHeaders } from "./security.js";
import { shopperRoutes } from "./shopper.routes.js";

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
  app.use(bodyGuard());
  app.use(express.json({ limit: BODY_LIMIT_BYTES, strict: true }));

  // Express resets req.baseUrl once a router is left, before the answer goes out: each
  // mount notes its path for the route label of the request's metrics.
  const mount = (path: string, router: RequestHandler) =>
    app.use(
      path,
      (_req: Request, res: Response, next: NextFunction) => {
        res.locals.mountPath = path === "/" ? "" : path;
        next();
      },
      router,
    );
  // The shoppers' routes first: a surge's requests pass as few routers as they can.
  mount("/api", shopperRoutes(deps, tokens));
  mount("/api", challengeRoutes(deps));
  mount("/", opsRoutes(deps));
  mount("/", metricsRoutes(deps, metrics));
  app.use("/api/admin", adminGate(deps));
  mount("/api/admin", adminRoutes(deps));
  mount("/api/admin", adminStockRoutes(deps));
  mount("/api/admin", admissionAdminRoutes(deps));
  mount("/api/admin", refundsRoutes(deps));
  mount("/", docsRoutes());
  app.use(DASHBOARD_PATH, queuesDashboard(deps));
  app.use(express.static(PUBLIC_DIR, { extensions: ["html"] }));

  app.use(notFoundRoute);
  app.use(errorMiddleware(deps.log));
  return app;
}
