// Per-client request limits: joins at RATE_LIMIT_PER_SECOND, the rest of /api at a looser
// multiple of it. Clients are told apart by clientKey (src/auth/client-key.ts: the IP, an IPv6
// /64; behind a load balancer, set TRUST_PROXY so that is the shopper's address, not the
// balancer's), and counted in Redis, so the limit holds across any number of API processes.
// Over the limit: 429 RATE_LIMITED with Retry-After. A join is counted inside its own Lua step
// (no round trip of its own): see join.service.ts. Requests carrying the admin token have a
// budget of their own (ADMIN_REQUESTS_PER_SECOND), so a surge from the admin's address does
// not lock the admin out; failed admin sign-ins are counted by src/auth/admin-guard.ts.
// Requests carrying a valid service key spend that key's budget (SERVICE_RATE_LIMIT per
// second), whatever the shoppers' limit; a key that is not valid is just another shopper's
// request here (its failure is counted where a service route checks it: service-auth.ts).
import type { Request, RequestHandler } from "express";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { adminGuard } from "../auth/admin-guard.js";
import { clientKey } from "../auth/client-key.js";
import { bearer } from "../auth/secrets.js";
import { looksLikeServiceKey, serviceKeyGuard } from "../auth/service-keys.js";
import type { Deps } from "../deps.js";
import { rateLimited } from "../errors.js";
import { keys } from "../redis/keys.js";

/** Other /api requests (reading an event, polling a ticket) may be this many times as frequent. */
export const API_LIMIT_FACTOR = 5;

/** Requests per second all holders of the admin token share (the admin page, scripts, k6). */
export const ADMIN_REQUESTS_PER_SECOND = 1000;

/** A join: counted by its own Lua step, at RATE_LIMIT_PER_SECOND per client and event. */
const isJoin = (req: Request) => req.method === "POST" && /^\/events\/[^/]+\/tickets\/?$/i.test(req.path);

/** A looser limit on every /api request but joins (mounted on /api); the admin's and each service key's own budget. */
export function apiRateLimit(deps: Deps): RequestHandler {
  const perSecond = deps.config.defaults.rateLimitPerSecond;
  const shoppers = rateLimit(deps, "api", perSecond * API_LIMIT_FACTOR);
  const admins = rateLimit(deps, "admin", ADMIN_REQUESTS_PER_SECOND, () => "admin");
  const servicePerSecond = deps.config.security.serviceRequestsPerSecond;
  // Counted per key id, noted just before `services` runs.
  const keyIds = new WeakMap<Request, string>();
  const services = rateLimit(deps, "service", servicePerSecond, (req) => keyIds.get(req) ?? "unknown");
  const keysGuard = serviceKeyGuard(deps);
  if (perSecond <= 0 && servicePerSecond <= 0) return shoppers;
  const guard = adminGuard(deps);
  return (req, res, next) => {
    if (isJoin(req)) return next();
    const token = bearer(req.get("authorization"));
    if (looksLikeServiceKey(token)) {
      keysGuard.principalOf(req).then((principal) => {
        if (!principal) return shoppers(req, res, next);
        keyIds.set(req, principal.keyId);
        services(req, res, next);
      }, next);
      return;
    }
    if (perSecond <= 0) return next();
    // Ticket tokens are long JWTs; only a token of the admin token's length is compared.
    if (token !== undefined && token.length === deps.config.adminToken.length && guard.isAdmin(token))
      return admins(req, res, next);
    shoppers(req, res, next);
  };
}

function rateLimit(
  deps: Deps,
  scope: string,
  perSecond: number,
  keyOf: (req: Request) => string = clientKey,
): RequestHandler {
  if (perSecond <= 0) return (_req, _res, next) => next();
  const limiter = new RateLimiterRedis({
    storeClient: deps.redis,
    keyPrefix: keys.rateLimit(scope),
    points: perSecond,
    duration: 1,
    // Redis away: each process counts on its own rather than refusing or waving everyone through.
    insuranceLimiter: new RateLimiterMemory({ points: perSecond, duration: 1 }),
  });
  return (req, _res, next) => {
    limiter.consume(keyOf(req)).then(
      () => next(),
      (reason: unknown) => {
        if (!(reason instanceof RateLimiterRes)) return next(reason);
        next(rateLimited(perSecond, Math.max(1, Math.ceil(reason.msBeforeNext / 1000))));
      },
    );
  };
}
