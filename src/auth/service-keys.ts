// Service keys: how other services (a shop's checkout, a store's till) authenticate, and
// what they may do (API.md "Service keys"). A key is `dqk_` + 32 random bytes (base64url),
// shown once; PostgreSQL keeps its sha256 (hex) and its first 8 characters.
//
// Looking a key up: each process caches what a hash resolved to (a key, or nothing) for at
// most CACHE_MS, and only while the Redis counter keys.serviceKeysEpoch() is what it was when
// the entry was made. Revoking writes revokedAt and then bumps that counter, before the 204:
// every later call, on every API process, reads the new value and goes back to PostgreSQL.
// (A pub/sub message would arrive some time after the 204; the counter costs one GET per
// call and has no such window.) Redis unreachable: no cache, every call asks PostgreSQL.
// lastUsedAt is written at most once a minute per key, never awaited by the call.
import { createHash, randomBytes } from "node:crypto";
import type { Request } from "express";
import type { Deps } from "../deps.js";
import { AppError, notFound } from "../errors.js";
import { keys } from "../redis/keys.js";
import { bearer } from "./secrets.js";
import type { ServiceKeyInput, ServiceKeyView } from "./service-key.schemas.js";

/** Who is calling: the key's id, its name and its scopes. */
export interface ServicePrincipal {
  keyId: string;
  name: string;
  scopes: string[];
}

export const SERVICE_KEY_PREFIX = "dqk_";
/** How long a cached lookup may be used at most, whatever the epoch says. */
export const CACHE_MS = 3_000;
const CACHE_ENTRIES = 10_000;
const TOUCH_EVERY_MS = 60_000;

export const hashKey = (key: string) => createHash("sha256").update(key).digest("hex");
const newKey = () => `${SERVICE_KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
const newKeyId = () => `sk_${randomBytes(9).toString("base64url")}`;

/** True when the token looks like a service key (cheap: no lookup). */
export const looksLikeServiceKey = (token: string | undefined): boolean =>
  typeof token === "string" && token.startsWith(SERVICE_KEY_PREFIX) && token.length <= 100;

/** Does `scope`, held by a key, allow what `needed` names? */
function covers(scope: string, needed: string): boolean {
  if (scope === needed) return true;
  if (scope === "stocks") return needed.startsWith("stock:");
  if (scope === "orders") return needed.startsWith("store:");
  return false;
}

/**
 * Whether the principal holds every scope of `needed` (one scope, or a list that must all
 * hold). `stocks` covers every `stock:<id>`, `orders` every `store:<id>`. An empty list: yes.
 */
export function hasScope(principal: Pick<ServicePrincipal, "scopes">, needed: string | string[]): boolean {
  const list = typeof needed === "string" ? [needed] : needed;
  return list.every((n) => principal.scopes.some((s) => covers(s, n)));
}

interface Cached {
  principal: ServicePrincipal | null;
  epoch: string | null;
  until: number;
}

export class ServiceKeyGuard {
  readonly #cache = new Map<string, Cached>();
  /** keyId → when lastUsedAt was last written (or read as written), in ms. */
  readonly #touched = new Map<string, number>();
  /** What a request's key resolved to, so the rate limit and the route look it up once. */
  readonly #ofRequest = new WeakMap<Request, Promise<ServicePrincipal | null>>();

  constructor(private readonly deps: Pick<Deps, "redis" | "prisma" | "log">) {}

  /** The principal of an `Authorization` header, or 401 UNAUTHORIZED. */
  async authenticate(header: string | undefined): Promise<ServicePrincipal> {
    const principal = await this.lookup(header);
    if (!principal) throw new AppError({ code: "UNAUTHORIZED", message: "A valid service key is required" });
    return principal;
  }

  /** The principal of a request's `Authorization` header (looked up once per request), or null. */
  principalOf(req: Request): Promise<ServicePrincipal | null> {
    let found = this.#ofRequest.get(req);
    if (!found) {
      found = this.lookup(req.get("authorization"));
      this.#ofRequest.set(req, found);
    }
    return found;
  }

  /** The principal of an `Authorization` header, or null: missing, unknown or revoked key. */
  async lookup(header: string | undefined): Promise<ServicePrincipal | null> {
    const token = bearer(header);
    if (token === undefined || !looksLikeServiceKey(token)) return null;
    const hash = hashKey(token);
    const epoch = await this.deps.redis.get(keys.serviceKeysEpoch()).then(
      (value) => value,
      () => undefined, // Redis away: no cache
    );
    const now = Date.now();
    const hit = this.#cache.get(hash);
    if (hit && epoch !== undefined && hit.epoch === epoch && hit.until > now) {
      if (hit.principal) this.#touch(hit.principal.keyId, now);
      return hit.principal;
    }
    const row = await this.deps.prisma.serviceKey.findUnique({ where: { keyHash: hash } });
    const principal =
      row && row.revokedAt === null ? { keyId: row.id, name: row.name, scopes: row.scopes } : null;
    if (epoch !== undefined) this.#remember(hash, { principal, epoch, until: now + CACHE_MS });
    if (row?.lastUsedAt) {
      const seen = row.lastUsedAt.getTime();
      if (seen > (this.#touched.get(row.id) ?? 0)) this.#touched.set(row.id, seen);
    }
    if (principal) this.#touch(principal.keyId, now);
    return principal;
  }

  /** Forget every cached lookup (this process only; revoke() reaches every process). */
  clear(): void {
    this.#cache.clear();
  }

  #remember(hash: string, entry: Cached): void {
    // A bounded map: beyond it the oldest entries go (a spray of made-up keys cannot grow it).
    if (this.#cache.size >= CACHE_ENTRIES) {
      for (const old of this.#cache.keys()) {
        this.#cache.delete(old);
        if (this.#cache.size < CACHE_ENTRIES / 2) break;
      }
    }
    this.#cache.set(hash, entry);
  }

  /** lastUsedAt at most once a minute per key: in this process, and by the WHERE across processes. */
  #touch(keyId: string, now: number): void {
    if (now - (this.#touched.get(keyId) ?? 0) < TOUCH_EVERY_MS) return;
    this.#touched.set(keyId, now);
    const stale = new Date(now - TOUCH_EVERY_MS);
    this.deps.prisma.serviceKey
      .updateMany({
        where: { id: keyId, OR: [{ lastUsedAt: null }, { lastUsedAt: { lt: stale } }] },
        data: { lastUsedAt: new Date(now) },
      })
      .catch((err: unknown) => this.deps.log.warn({ err, keyId }, "service key lastUsedAt not written"));
  }
}

const guards = new WeakMap<object, ServiceKeyGuard>();
/** The guard of a process's Redis (one per client connection, so its cache is shared by the app). */
export function serviceKeyGuard(deps: Pick<Deps, "redis" | "prisma" | "log">): ServiceKeyGuard {
  let guard = guards.get(deps.redis);
  if (!guard) {
    guard = new ServiceKeyGuard(deps);
    guards.set(deps.redis, guard);
  }
  return guard;
}

/** Convenience for callers holding deps: the principal of a header, or 401. */
export const authenticateService = (
  deps: Pick<Deps, "redis" | "prisma" | "log">,
  header: string | undefined,
) => serviceKeyGuard(deps).authenticate(header);

// ---------------------------------------------------------------------------------------
// The admin's side: make, list, revoke
// ---------------------------------------------------------------------------------------

type Row = Awaited<ReturnType<Deps["prisma"]["serviceKey"]["findUniqueOrThrow"]>>;

const viewOf = (row: Row): ServiceKeyView => ({
  id: row.id,
  name: row.name,
  scopes: row.scopes,
  prefix: row.prefix,
  createdAt: row.createdAt.toISOString(),
  revokedAt: row.revokedAt?.toISOString() ?? null,
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
});

/** A new key: the row with its hash, and the key itself (the only time it is seen). */
export async function createServiceKey(deps: Pick<Deps, "prisma">, input: ServiceKeyInput) {
  const key = newKey();
  const row = await deps.prisma.serviceKey.create({
    data: {
      id: newKeyId(),
      name: input.name,
      scopes: input.scopes,
      keyHash: hashKey(key),
      prefix: key.slice(0, 8),
    },
  });
  return { id: row.id, name: row.name, scopes: row.scopes, key, createdAt: row.createdAt.toISOString() };
}

/** Every key, newest first: never the key or its hash. */
export async function listServiceKeys(deps: Pick<Deps, "prisma">): Promise<ServiceKeyView[]> {
  const rows = await deps.prisma.serviceKey.findMany({ orderBy: [{ createdAt: "desc" }, { id: "asc" }] });
  return rows.map(viewOf);
}

/**
 * Revokes a key (again: nothing more happens; unknown: 404), then bumps the epoch so that
 * every API process stops accepting it at the next call. The epoch is bumped on a repeat too:
 * a first attempt that wrote revokedAt and then lost Redis is completed by the next.
 */
export async function revokeServiceKey(
  deps: Pick<Deps, "prisma" | "redis" | "log">,
  id: string,
): Promise<void> {
  await deps.prisma.serviceKey.updateMany({
    where: { id, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  const row = await deps.prisma.serviceKey.findUnique({ where: { id }, select: { id: true } });
  if (!row) throw notFound("service key", { id });
  try {
    await deps.redis.incr(keys.serviceKeysEpoch());
  } catch (err) {
    // Other processes then stop using their cache entries within CACHE_MS.
    deps.log.warn({ err, id }, "service key revoked, epoch not bumped (Redis unreachable)");
  }
  serviceKeyGuard(deps).clear();
}
