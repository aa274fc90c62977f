// The guard every authenticated entry point shares (the admin API, the dashboard sign-in,
// the /admin socket handshake, /metrics, service keys: src/http/service-auth.ts): a client
// (client-key.ts) that fails to authenticate ADMIN_FAILURES_PER_MINUTE (default 20) times,
// whatever it tried, is refused for the rest of that minute, valid token or key or not, so
// neither can be guessed at speed. Only failures count; a valid admin or service call never
// spends the per-address budget shoppers share (see src/http/rate-limit.ts).
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import { keys } from "../redis/keys.js";
import { sameSecret } from "./secrets.js";

/** The admin guard of one Redis: failed authentications per client, shared by every API process. */
export class AdminGuard {
  readonly #failures: RateLimiterRedis;

  constructor(
    private readonly deps: Pick<Deps, "redis" | "config">,
    failuresPerMinute = deps.config.security.adminFailuresPerMinute,
  ) {
    this.#failures = new RateLimiterRedis({
      storeClient: deps.redis,
      keyPrefix: keys.rateLimit("admin-failed"),
      points: failuresPerMinute,
      duration: 60,
      insuranceLimiter: new RateLimiterMemory({ points: failuresPerMinute, duration: 60 }),
    });
  }

  /** True for the admin token. */
  isAdmin(token: string | undefined): boolean {
    return token !== undefined && sameSecret(token, this.deps.config.adminToken);
  }

  /**
   * Resolves when `valid` holds for a client that is not refused; otherwise counts a
   * failure and throws 401 UNAUTHORIZED, or 429 RATE_LIMITED once the client has failed
   * too often (then even a right token waits: a guesser learns nothing from it).
   */
  async authenticate(
    client: string,
    valid: boolean | (() => Promise<boolean>),
    message = "A valid admin token is required",
  ): Promise<void> {
    const seen = await this.#failures.get(client).catch(() => null);
    if (seen && seen.consumedPoints >= this.#failures.points) throw tooManyFailures(seen);
    // A check that costs a lookup (a service key) runs only for a client that is not refused.
    if (typeof valid === "boolean" ? valid : await valid()) return;
    const after = await this.#failures.penalty(client, 1).catch((reason: unknown) => reason);
    if (after instanceof RateLimiterRes && after.consumedPoints > this.#failures.points)
      throw tooManyFailures(after);
    throw new AppError({ code: "UNAUTHORIZED", message });
  }
}

function tooManyFailures(res: RateLimiterRes): AppError {
  return new AppError({
    code: "RATE_LIMITED",
    message: "Too many failed sign-ins from this address, wait a minute",
    retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  });
}

const guards = new WeakMap<object, AdminGuard>();
/** The guard of a process's Redis (one per client connection, so its limiter is built once). */
export function adminGuard(deps: Pick<Deps, "redis" | "config">): AdminGuard {
  let guard = guards.get(deps.redis);
  if (!guard) {
    guard = new AdminGuard(deps);
    guards.set(deps.redis, guard);
  }
  return guard;
}
