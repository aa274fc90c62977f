// The one place that reads process.env. Every variable is declared, described and
// validated here; a bad value stops the process with a readable message.
import { isIP } from "node:net";
import { z } from "zod";

/** A number variable where "" means "not set" (plain coercion would turn "" into 0). */
const optionalNumber = <T extends z.ZodNumber>(schema: T) =>
  z.preprocess((v) => (v === "" || v === undefined ? undefined : Number(v)), schema.optional());

/** A boolean variable: "true"/"1"/"yes" or "false"/"0"/"no" ("false" must not coerce to true). */
const booleanFlag = z
  .enum(["true", "false", "1", "0", "yes", "no", ""])
  .optional()
  .transform((v) => v === "true" || v === "1" || v === "yes");

/**
 * CORS_ORIGINS: a comma list of origins (`https://shop.example`), or `*` for any. Each is
 * normalised the way a browser writes its Origin header (lower-case host, no default port).
 */
const originList = z
  .string()
  .default("")
  .transform((text, ctx) => {
    const origins: string[] = [];
    for (const item of text
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)) {
      if (item === "*") {
        origins.push(item);
        continue;
      }
      let url: URL | undefined;
      try {
        url = new URL(item);
      } catch {}
      if (
        !url ||
        !/^https?:$/.test(url.protocol) ||
        url.pathname !== "/" ||
        url.search ||
        url.hash ||
        url.username
      ) {
        ctx.addIssue({
          code: "custom",
          message: `${JSON.stringify(item)} is not an origin like https://shop.example`,
        });
        continue;
      }
      origins.push(url.origin);
    }
    if (origins.includes("*") && origins.length > 1)
      ctx.addIssue({ code: "custom", message: "`*` stands alone: it already allows every origin" });
    return origins;
  });

const PROXY_NAMES = new Set(["loopback", "linklocal", "uniquelocal"]);

/**
 * TRUST_PROXY: false (the default: req.ip is the peer's address), a number of proxies in
 * front, or a comma list of proxy addresses / subnets / loopback, linklocal, uniquelocal.
 * `true` is refused: trusting every hop lets any client pick its own req.ip (and so its
 * rate-limit key) with an X-Forwarded-For header.
 */
const trustProxy = z
  .string()
  .default("false")
  .transform((text, ctx): false | number | string[] => {
    const value = text.trim().toLowerCase();
    if (value === "" || value === "false" || value === "no" || value === "0") return false;
    if (/^\d+$/.test(value)) return Number(value);
    if (value === "true" || value === "yes") {
      ctx.addIssue({
        code: "custom",
        message:
          "trusting every proxy lets clients forge their address: give the number of proxies in front (e.g. 1)",
      });
      return z.NEVER;
    }
    const items = value.split(",").map((s) => s.trim());
    const bad = items.filter((item) => {
      if (PROXY_NAMES.has(item)) return false;
      const [address = "", bits, ...rest] = item.split("/");
      const family = isIP(address);
      if (family === 0 || rest.length > 0) return true;
      return bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
    });
    if (bad.length > 0) {
      ctx.addIssue({
        code: "custom",
        message: `expected false, a hop count or addresses/subnets; cannot read ${bad.map((b) => JSON.stringify(b)).join(", ")}`,
      });
      return z.NEVER;
    }
    return items;
  });

const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    PORT: optionalNumber(z.number().int().min(0).max(65535)).describe("HTTP port of the API process."),
    HOST: z.string().default("0.0.0.0").describe("Interface the API listens on."),
    CORS_ORIGINS: originList.describe(
      "Other sites whose pages may call the API and open sockets (comma list of origins, or *); empty: same origin only.",
    ),
    TRUST_PROXY: trustProxy.describe(
      "Proxies in front of the API whose X-Forwarded-For is believed (req.ip keys the rate limits): false, a hop count, or addresses/subnets.",
    ),
    REDIS_URL: z
      .string()
      .url()
      .default("redis://127.0.0.1:6379")
      .describe("Redis, the fast truth of a sale."),
    REDIS_CLUSTER_NODES: z
      .string()
      .optional()
      .describe(
        "A Redis Cluster instead of REDIS_URL: some of its nodes as host:port,host:port (the rest are discovered).",
      ),
    DATABASE_URL: z
      .string()
      .url()
      .default("postgresql://postgres@127.0.0.1:5432/dropqueue")
      .describe("PostgreSQL, the durable truth."),
    ADMIN_TOKEN: z.string().optional().describe("Bearer token of the admin API; required in production."),
    METRICS_TOKEN: z
      .string()
      .optional()
      .describe(
        "Bearer token Prometheus sends to GET /metrics (at least 12 characters); the admin token when unset.",
      ),
    TOKEN_SECRET: z
      .string()
      .optional()
      .describe("Secret that signs ticket tokens (at least 32 characters); required in production."),
    SHOPPER_JWT_SECRET: z
      .string()
      .optional()
      .describe(
        "Shared secret (HS256, at least 32 characters) the shop's backend signs shopper identity assertions with.",
      ),
    SHOPPER_JWKS_URL: z
      .string()
      .url()
      .optional()
      .describe(
        "The shop's JSON Web Key Set (RS256 / ES256 public keys) that verifies shopper identity assertions.",
      ),
    SHOPPER_JWT_ISSUER: z
      .string()
      .optional()
      .describe("The `iss` every shopper identity assertion must carry."),
    SHOPPER_JWT_AUDIENCE: z
      .string()
      .optional()
      .describe("The `aud` every shopper identity assertion must carry (this API)."),
    TICKET_TOKEN_TTL_SECONDS: optionalNumber(z.number().int().positive()).describe(
      "How long a ticket token stays valid.",
    ),
    METRICS_PORT: optionalNumber(z.number().int().min(0).max(65535)).describe(
      "Port of a worker process's Prometheus listener (GET /metrics on HOST); unset: none (the API serves /metrics on PORT).",
    ),
    WORKER_CONCURRENCY: optionalNumber(z.number().int().min(1).max(1000)).describe(
      "Purchases one worker process runs at once.",
    ),
    PURCHASE_ATTEMPTS: optionalNumber(z.number().int().min(1).max(100)).describe(
      "Attempts of a purchase before it ends PROCESSING_FAILED.",
    ),
    PURCHASE_BACKOFF_MS: optionalNumber(z.number().int().min(1)).describe(
      "First retry delay of a purchase; doubles each attempt, with jitter.",
    ),
    WORKER_LOCK_MS: optionalNumber(z.number().int().min(1000)).describe(
      "How long a purchase job's lock lasts; a worker that died is noticed (its jobs taken over) after about this long.",
    ),
    PAYMENT_LATENCY_MS: optionalNumber(z.number().int().min(0).max(60_000)).describe(
      "How long the built-in simulated payment step takes per charge, as a real provider would (0: instant).",
    ),
    DEFAULT_ADMISSION_RATE: optionalNumber(z.number().int().positive()).describe(
      "Tickets admitted per second when an event does not say.",
    ),
    DEFAULT_WAITING_CAPACITY: optionalNumber(z.number().int().positive()).describe(
      "Most tickets that may wait in one event when the event does not say.",
    ),
    RATE_LIMIT_PER_SECOND: optionalNumber(z.number().int().min(0)).describe(
      "Join requests per second one client (IP) may make; other /api requests may be 5 times as many (0 turns both limits off).",
    ),
    ADMIN_FAILURES_PER_MINUTE: optionalNumber(z.number().int().min(1)).describe(
      "Failed authentications (admin API, dashboard sign-in, /admin socket, /metrics, service keys) one client may make per minute before it is refused for the rest of it.",
    ),
    SERVICE_RATE_LIMIT: optionalNumber(z.number().int().min(0)).describe(
      "Requests per second one service key may make (its own budget, apart from the shoppers' per-client limit; 0: no limit).",
    ),
    SOCKETS_PER_CLIENT: optionalNumber(z.number().int().min(0)).describe(
      "Socket.IO connections one client (an IPv4 address, an IPv6 /64) may hold open on one API process (0: no limit).",
    ),
    SOLD_OUT_END_AFTER_SECONDS: optionalNumber(z.number().int().min(0)).describe(
      "A live event with every product sold out and nobody waiting ends by itself after this many seconds (0: never).",
    ),
    ORDER_STOCK_MODE: z
      .enum(["redis", "rowlock"])
      .default("redis")
      .describe(
        "How catalog orders take location stock: redis (the stock core's atomic Lua take, PostgreSQL recording the intent and outcome) or rowlock (the classic comparison path: one PostgreSQL transaction with SELECT … FOR UPDATE).",
      ),
    DRAIN_DELAY_MS: optionalNumber(z.number().int().min(0).max(600_000)).describe(
      "On SIGTERM, how long an API process answers joins and /readyz with 503 before it moves its sockets away and closes (give a load balancer time to notice).",
    ),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    DEMO: booleanFlag.describe("Demo mode: a missing ADMIN_TOKEN / TOKEN_SECRET is generated."),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === "production" && !env.DEMO) {
      if (!env.ADMIN_TOKEN)
        ctx.addIssue({ code: "custom", path: ["ADMIN_TOKEN"], message: "required in production" });
      if (!env.TOKEN_SECRET)
        ctx.addIssue({ code: "custom", path: ["TOKEN_SECRET"], message: "required in production" });
    }
    if (env.REDIS_CLUSTER_NODES !== undefined && env.REDIS_CLUSTER_NODES.trim() !== "") {
      const bad = env.REDIS_CLUSTER_NODES.split(",").filter(
        (node) => node.trim() !== "" && parseNode(node) === null,
      );
      if (bad.length > 0)
        ctx.addIssue({
          code: "custom",
          path: ["REDIS_CLUSTER_NODES"],
          message: `expected host:port,host:port; cannot read ${bad.map((n) => JSON.stringify(n.trim())).join(", ")}`,
        });
    }
    if (env.ADMIN_TOKEN !== undefined && env.ADMIN_TOKEN.length < 12) {
      ctx.addIssue({ code: "custom", path: ["ADMIN_TOKEN"], message: "must be at least 12 characters" });
    }
    if (env.SHOPPER_JWT_SECRET !== undefined && env.SHOPPER_JWT_SECRET.length < 32) {
      ctx.addIssue({
        code: "custom",
        path: ["SHOPPER_JWT_SECRET"],
        message: "must be at least 32 characters",
      });
    }
    if (env.SHOPPER_JWT_SECRET || env.SHOPPER_JWKS_URL) {
      for (const name of ["SHOPPER_JWT_ISSUER", "SHOPPER_JWT_AUDIENCE"] as const)
        if (!env[name])
          ctx.addIssue({
            code: "custom",
            path: [name],
            message: "required with SHOPPER_JWT_SECRET or SHOPPER_JWKS_URL",
          });
    }
    if (env.METRICS_TOKEN !== undefined && env.METRICS_TOKEN.length < 12) {
      ctx.addIssue({ code: "custom", path: ["METRICS_TOKEN"], message: "must be at least 12 characters" });
    }
    if (env.TOKEN_SECRET !== undefined && env.TOKEN_SECRET.length < 32) {
      ctx.addIssue({ code: "custom", path: ["TOKEN_SECRET"], message: "must be at least 32 characters" });
    }
  });

export type Env = z.input<typeof envSchema>;

/** One node of a Redis Cluster, as REDIS_CLUSTER_NODES names it. */
export interface RedisNode {
  host: string;
  port: number;
}

/** "host:port" (a bracketed IPv6 host allowed), or null when it is not one. */
function parseNode(text: string): RedisNode | null {
  const match = /^\s*(\[[^\]]+\]|[^\s:]+):(\d{1,5})\s*$/.exec(text);
  if (!match?.[1] || !match[2]) return null;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return null;
  return { host: match[1].replace(/^\[(.*)\]$/, "$1"), port };
}

export interface Config {
  env: "development" | "production" | "test";
  /** drainDelayMs: how long a draining API answers 503 before it closes (see server.ts). */
  http: { port: number; host: string; drainDelayMs: number };
  redisUrl: string;
  /** Non-empty: Redis is a Cluster reached through these nodes, and redisUrl is not used. */
  redisClusterNodes: RedisNode[];
  databaseUrl: string;
  adminToken: string;
  /** Bearer token of GET /metrics (METRICS_TOKEN, or the admin token). */
  metricsToken: string;
  tokenSecret: string;
  /** How shopper identity assertions are verified (null: no event can require them). */
  identity: { secret?: string; jwksUrl?: string; issuer: string; audience: string } | null;
  ticketTokenTtlSeconds: number;
  worker: {
    concurrency: number;
    attempts: number;
    backoffMs: number;
    lockMs: number;
    paymentLatencyMs: number;
    /** Port of the worker's /metrics listener; null: none. */
    metricsPort: number | null;
  };
  defaults: { admissionRate: number; waitingCapacity: number; rateLimitPerSecond: number };
  lifecycle: { soldOutEndAfterSeconds: number };
  /** How catalog orders take location stock (src/catalog/): the Redis way, or the row-lock comparison. */
  orderStockMode: "redis" | "rowlock";
  logLevel: string;
  /** Who may call from other origins, and which proxies tell the client's address (src/http/security.ts). */
  security: {
    corsOrigins: string[];
    trustProxy: false | number | string[];
    socketsPerClient: number;
    adminFailuresPerMinute: number;
    /** Requests per second one service key may make (0: no limit). */
    serviceRequestsPerSecond: number;
  };
}

export class ConfigError extends Error {}

/** Parses an environment (process.env by default) into the typed config, or throws ConfigError. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  // Outside production a missing secret is made up per process start: fine for a demo or
  // a test, wrong for several processes that must accept each other's tokens.
  const devSecret = () => `dev-${crypto.randomUUID()}-${crypto.randomUUID()}`;
  const adminToken = e.ADMIN_TOKEN ?? devSecret();
  return {
    env: e.NODE_ENV,
    http: { port: e.PORT ?? 3000, host: e.HOST, drainDelayMs: e.DRAIN_DELAY_MS ?? 0 },
    redisUrl: e.REDIS_URL,
    redisClusterNodes: (e.REDIS_CLUSTER_NODES ?? "").split(",").flatMap((node) => parseNode(node) ?? []),
    databaseUrl: e.DATABASE_URL,
    adminToken,
    metricsToken: e.METRICS_TOKEN ?? adminToken,
    tokenSecret: e.TOKEN_SECRET ?? devSecret(),
    identity:
      e.SHOPPER_JWT_SECRET || e.SHOPPER_JWKS_URL
        ? {
            ...(e.SHOPPER_JWT_SECRET ? { secret: e.SHOPPER_JWT_SECRET } : {}),
            ...(e.SHOPPER_JWKS_URL ? { jwksUrl: e.SHOPPER_JWKS_URL } : {}),
            issuer: e.SHOPPER_JWT_ISSUER ?? "",
            audience: e.SHOPPER_JWT_AUDIENCE ?? "",
          }
        : null,
    ticketTokenTtlSeconds: e.TICKET_TOKEN_TTL_SECONDS ?? 6 * 3600,
    worker: {
      concurrency: e.WORKER_CONCURRENCY ?? 32,
      attempts: e.PURCHASE_ATTEMPTS ?? 8,
      backoffMs: e.PURCHASE_BACKOFF_MS ?? 200,
      lockMs: e.WORKER_LOCK_MS ?? 30_000,
      paymentLatencyMs: e.PAYMENT_LATENCY_MS ?? 0,
      metricsPort: e.METRICS_PORT ?? null,
    },
    defaults: {
      admissionRate: e.DEFAULT_ADMISSION_RATE ?? 500,
      waitingCapacity: e.DEFAULT_WAITING_CAPACITY ?? 100_000,
      rateLimitPerSecond: e.RATE_LIMIT_PER_SECOND ?? 50,
    },
    lifecycle: { soldOutEndAfterSeconds: e.SOLD_OUT_END_AFTER_SECONDS ?? 30 },
    orderStockMode: e.ORDER_STOCK_MODE,
    logLevel: e.LOG_LEVEL,
    security: {
      corsOrigins: e.CORS_ORIGINS,
      trustProxy: e.TRUST_PROXY,
      socketsPerClient: e.SOCKETS_PER_CLIENT ?? 200,
      adminFailuresPerMinute: e.ADMIN_FAILURES_PER_MINUTE ?? 20,
      serviceRequestsPerSecond: e.SERVICE_RATE_LIMIT ?? 5000,
    },
  };
}

/** For entry points: the config, or a readable message and exit code 1. */
export function loadConfigOrExit(source: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(source);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee .env.example for every variable.\n`);
      process.exit(1);
    }
    throw err;
  }
}
