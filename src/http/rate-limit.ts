// Per-client request limits: joins at RATE_LIMIT_PER_SECOND, the rest of /api at a looser
// multiple of it. Clients are told apart by clientKey (behind a load balancer, set TRUST_PROXY
// so that is the shopper's address, not the balancer's), and counted in Redis, so the limit
// holds across any number of API processes. Over the limit: 429 RATE_LIMITED with Retry-After.
// A join is counted inside its own Lua step (no round trip of its own): see join.service.ts.
import type { Request, RequestHandler } from "express";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import { keys } from "../redis/keys.js";
import { clientKey } from "./client-key.js";

/** Other /api requests (reading an event, polling a ticket) may be this many times as frequent. */
export const API_LIMIT_FACTOR = 5;

/** A join: counted by its own Lua step, at RATE_LIMIT_PER_SECOND per client and event. */
const isJoin = (req: Request) => req.method === "POST" && /^\/events\/[^/]+\/tickets\/?$/.test(req.path);

/** What a client over its limit is told. */
export const rateLimited = (perSecond: number, retryAfterSeconds = 1) =>
  new AppError({
    code: "RATE_LIMITED",
    message: "Too many requests, slow down",
    retryAfterSeconds,
    details: { limit: perSecond, windowSeconds: 1 },
  });

/** A looser limit on every /api request but joins (mounted on /api). */
export const apiRateLimit = (deps: Deps): RequestHandler =>
  rateLimit(deps, "api", deps.config.defaults.rateLimitPerSecond * API_LIMIT_FACTOR, isJoin);

function rateLimit(
  deps: Deps,
  scope: string,
  perSecond: number,
  skip: (req: Request) => boolean,
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
    if (skip(req)) return next();
    limiter.consume(clientKey(req)).then(
      () => next(),
      (reason: unknown) => {
        if (!(reason instanceof RateLimiterRes)) return next(reason);
        next(rateLimited(perSecond, Math.max(1, Math.ceil(reason.msBeforeNext / 1000))));
      },
    );
  };
}
