// Per-client request limits: joins at RATE_LIMIT_PER_SECOND, the rest of /api at a looser
// multiple of it. Clients are told apart by clientKey (src/auth/client-key.ts: the IP, an IPv6
// /64; behind a load balancer, set TRUST_PROXY so that is the shopper's address, not the
// balancer's), and counted in Redis, so the limit holds across any number of API processes.
// Over the limit: 429 RATE_LIMITED with Retry-After. A join is counted inside its own Lua step
// (no round trip of its own): see join.service.ts. Requests carrying the admin token have a
// budget of their own (ADMIN_REQUESTS_PER_SECOND), so a surge from the admin's address does
// not lock the admin out; failed admin sign-ins are counted by src/auth/admin-guard.ts.
import type { Request, RequestHandler } from "express";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { adminGuard } from "../auth/admin-guard.js";
import { clientKey } from "../auth/client-key.js";
import { bearer } from "../auth/secrets.js";
import type { Deps } from "../deps.js";
import { rateLimited } from "../errors.js";
import { keys } from "../redis/keys.js";

/** Other /api requests (reading an event, polling a ticket) may be this many times as frequent. */
export const API_LIMIT_FACTOR = 5;

/** Requests per second all holders of the admin token share (the admin page, scripts, k6). */
export const ADMIN_REQUESTS_PER_SECOND = 1000;

/** A join: counted by its own Lua step, at RATE_LIMIT_PER_SECOND per client and event. */
const isJoin = (req: Request) => req.method === "POST" && /^\/events\/[^/]+\/tickets\/?$/i.test(req.path);

/** A looser limit on every /api request but joins (mounted on /api); the admin's own budget. */
export function apiRateLimit(deps: Deps): RequestHandler {
  const perSecond = deps.config.defaults.rateLimitPerSecond;
  const shoppers = rateLimit(deps, "api", perSecond * API_LIMIT_FACTOR);
  const admins = rateLimit(deps, "admin", ADMIN_REQUESTS_PER_SECOND, () => "admin");
  if (perSecond <= 0) return shoppers;
  const guard = adminGuard(deps);
  return (req, res, next) => {
    if (isJoin(req)) return next();
    const token = bearer(req.get("authorization"));
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
