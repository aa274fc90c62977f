// Per-client request limits: joins at RATE_LIMIT_PER_SECOND, the rest of /api at a looser
// multiple of it. Clients are told apart by IP (behind a load balancer, set TRUST_PROXY so
// that is the shopper's address, not the balancer's), and counted in Redis, so the limit holds
// across any number of API processes. Over the limit: 429 RATE_LIMITED with Retry-After.
import type { RequestHandler } from "express";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import { keys } from "../redis/keys.js";

/** Other /api requests (reading an event, polling a ticket) may be this many times as frequent. */
export const API_LIMIT_FACTOR = 5;

/** At most RATE_LIMIT_PER_SECOND joins per second per client. */
export const joinRateLimit = (deps: Deps): RequestHandler =>
  rateLimit(deps, "join", deps.config.defaults.rateLimitPerSecond);

/** A looser limit on every /api request. */
export const apiRateLimit = (deps: Deps): RequestHandler =>
  rateLimit(deps, "api", deps.config.defaults.rateLimitPerSecond * API_LIMIT_FACTOR);

function rateLimit(deps: Deps, scope: string, perSecond: number): RequestHandler {
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
    limiter.consume(req.ip ?? req.socket.remoteAddress ?? "unknown").then(
      () => next(),
      (reason: unknown) => {
        if (!(reason instanceof RateLimiterRes)) return next(reason);
        next(
          new AppError({
            code: "RATE_LIMITED",
            message: "Too many requests, slow down",
            retryAfterSeconds: Math.max(1, Math.ceil(reason.msBeforeNext / 1000)),
            details: { limit: perSecond, windowSeconds: 1 },
          }),
        );
      },
    );
  };
}
