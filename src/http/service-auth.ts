// The service API's gates: `Authorization: Bearer <service key>` (src/auth/service-keys.ts),
// failures counted per client in the one budget the admin entry points share (admin-guard.ts),
// and each route's scopes.
//
// A router of the service API (the stock, coupon and order routers), e.g. stocks.routes.ts:
//
//   export function stockServiceRoutes(deps: Deps): ApiRouter {
//     const api = serviceApi(deps);                // 401 / 429 before each of its routes
//     api.route(
//       {
//         method: "post",
//         path: "/stocks/:stockId/takes",
//         summary: "Take units of a stock",
//         params: z.object({ stockId: STOCK_ID }),
//         use: [requireScope((req) => [`stock:${req.params.stockId}`])], // `stocks` covers it
//         ...
//       },
//       async ({ params, req }) => { const who = servicePrincipal(req); ... },
//     );
//     return api;
//   }
//
// A router whose every route needs one scope says so once: `serviceApi(deps, () => ["coupons"])`.
// A scope that depends on a row (the store an order was placed at) is checked in the handler:
// `if (!hasScope(servicePrincipal(req), `store:${order.locationId}`)) throw forbidden(...)`.
import type { Request, RequestHandler } from "express";
import { adminGuard } from "../auth/admin-guard.js";
import { clientKey } from "../auth/client-key.js";
import { hasScope, type ServicePrincipal, serviceKeyGuard } from "../auth/service-keys.js";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import { ApiRouter, TAGS } from "./api-router.js";

type ScopeOf = (req: Request) => string | string[];

const principals = new WeakMap<Request, ServicePrincipal>();

/** The caller of a route behind serviceGate (a bug, i.e. a 500, anywhere else). */
export function servicePrincipal(req: Request): ServicePrincipal {
  const principal = principals.get(req);
  if (!principal) throw new Error("servicePrincipal() outside a service API router");
  return principal;
}

/** 403 FORBIDDEN: a valid key outside its scopes. */
export const forbidden = (needed: string | string[]) =>
  new AppError({
    code: "FORBIDDEN",
    message: "This service key does not have the scope this needs",
    details: { needed: typeof needed === "string" ? [needed] : needed },
  });

/**
 * A valid service key, or 401 UNAUTHORIZED (missing, unknown, revoked); a client that failed
 * too often in the minute, with any credential, gets 429 RATE_LIMITED, valid key or not.
 */
export function serviceGate(deps: Pick<Deps, "redis" | "prisma" | "config" | "log">): RequestHandler {
  const failures = adminGuard(deps);
  const keysGuard = serviceKeyGuard(deps);
  return async (req, _res, next) => {
    // principalOf looks a request's key up once (the rate limit may have done it already).
    const valid = async () => (await keysGuard.principalOf(req)) !== null;
    await failures.authenticate(clientKey(req), valid, "A valid service key is required");
    const principal = await keysGuard.principalOf(req);
    if (principal) principals.set(req, principal);
    next();
  };
}

/** 403 FORBIDDEN unless the caller's key holds every scope `scopeOf` names (route middleware: params are known). */
export function requireScope(scopeOf: ScopeOf): RequestHandler {
  return (req, _res, next) => {
    const needed = scopeOf(req);
    if (!hasScope(servicePrincipal(req), needed)) throw forbidden(needed);
    next();
  };
}

/**
 * A router of the service API: under /api, documented as needing a service key, with the key
 * checked (serviceGate) and, when `scopeOf` is given, every route needing those scopes.
 */
export function serviceApi(
  deps: Pick<Deps, "redis" | "prisma" | "config" | "log">,
  scopeOf?: ScopeOf,
): ApiRouter {
  // Mounted on /api beside the shoppers' routers: the gate runs on this router's routes only.
  return new ApiRouter({
    base: "/api",
    tag: TAGS.service,
    security: ["serviceKey"],
    errors: ["RATE_LIMITED", "FORBIDDEN"],
    guard: [serviceGate(deps), ...(scopeOf ? [requireScope(scopeOf)] : [])],
  });
}
