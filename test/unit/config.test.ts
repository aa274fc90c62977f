// The config schema (src/config.ts): defaults, blank numbers, booleans, the production
// rules and their messages. No I/O.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

const SECRET = "a-token-secret-of-at-least-32-characters!";
const ADMIN = "an-admin-token-0123";

/** The ConfigError `loadConfig` throws for `env`. */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected the configuration to be refused");
}

describe("config", () => {
  it("ORDER_STOCK_MODE: redis by default, rowlock for the comparison, nothing else", () => {
    expect(loadConfig({ ORDER_STOCK_MODE: "rowlock" }).orderStockMode).toBe("rowlock");
    expect(configError({ ORDER_STOCK_MODE: "postgres" }).message).toMatch(/ORDER_STOCK_MODE/);
  });

  it("has a working default for everything outside production", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: "development",
      http: { port: 3000, host: "0.0.0.0" },
      redisUrl: "redis://127.0.0.1:6379",
      databaseUrl: "postgresql://postgres@127.0.0.1:5432/dropqueue",
      ticketTokenTtlSeconds: 21600,
      worker: { concurrency: 32, attempts: 8, backoffMs: 200 },
      defaults: { admissionRate: 500, waitingCapacity: 100_000, rateLimitPerSecond: 50 },
      lifecycle: { soldOutEndAfterSeconds: 30 },
      orderStockMode: "redis",
      logLevel: "info",
      // The contract's 20 failed authentications a minute; a service key's own 5000 a second.
      security: { adminFailuresPerMinute: 20, serviceRequestsPerSecond: 5000 },
    });
    // Made up per process when missing, and long enough to be accepted as secrets.
    expect(config.adminToken.length).toBeGreaterThanOrEqual(12);
    expect(config.tokenSecret.length).toBeGreaterThanOrEqual(32);
    expect(loadConfig({}).tokenSecret).not.toBe(config.tokenSecret);
  });

  it("reads numbers, and treats a blank number as unset (not as 0)", () => {
    const set = loadConfig({
      PORT: "8080",
      WORKER_CONCURRENCY: "4",
      RATE_LIMIT_PER_SECOND: "0",
      SOLD_OUT_END_AFTER_SECONDS: "0",
      DEFAULT_WAITING_CAPACITY: "7",
    });
    expect(set.http.port).toBe(8080);
    expect(set.worker.concurrency).toBe(4);
    expect(set.defaults.rateLimitPerSecond).toBe(0);
    expect(set.defaults.waitingCapacity).toBe(7);
    expect(set.lifecycle.soldOutEndAfterSeconds).toBe(0);

    const blank = loadConfig({
      PORT: "",
      WORKER_CONCURRENCY: "",
      RATE_LIMIT_PER_SECOND: "",
      SOLD_OUT_END_AFTER_SECONDS: "",
      TICKET_TOKEN_TTL_SECONDS: "",
    });
    expect(blank.http.port).toBe(3000);
    expect(blank.worker.concurrency).toBe(32);
    expect(blank.defaults.rateLimitPerSecond).toBe(50);
    expect(blank.lifecycle.soldOutEndAfterSeconds).toBe(30);
    expect(blank.ticketTokenTtlSeconds).toBe(21600);
  });

  it("refuses numbers that are not numbers or out of range, naming the variable", () => {
    expect(configError({ PORT: "http" }).message).toMatch(/PORT/);
    expect(configError({ PORT: "70000" }).message).toMatch(/PORT/);
    expect(configError({ WORKER_CONCURRENCY: "0" }).message).toMatch(/WORKER_CONCURRENCY/);
    expect(configError({ WORKER_CONCURRENCY: "1.5" }).message).toMatch(/WORKER_CONCURRENCY/);
    expect(configError({ RATE_LIMIT_PER_SECOND: "-1" }).message).toMatch(/RATE_LIMIT_PER_SECOND/);
    expect(configError({ SERVICE_RATE_LIMIT: "-1" }).message).toMatch(/SERVICE_RATE_LIMIT/);
    expect(loadConfig({ SERVICE_RATE_LIMIT: "0" }).security.serviceRequestsPerSecond).toBe(0);
    expect(configError({ REDIS_URL: "not a url" }).message).toMatch(/REDIS_URL/);
    expect(configError({ LOG_LEVEL: "loud" }).message).toMatch(/LOG_LEVEL/);
  });

  it('reads booleans by their words: "false" is false', () => {
    // DEMO waives the production secrets, so its truth shows in whether production loads.
    const production = { NODE_ENV: "production" };
    for (const yes of ["true", "1", "yes"])
      expect(() => loadConfig({ ...production, DEMO: yes })).not.toThrow();
    for (const no of ["false", "0", "no", ""]) {
      expect(() => loadConfig({ ...production, DEMO: no }), `DEMO=${no}`).toThrow(ConfigError);
    }
    expect(configError({ DEMO: "maybe" }).message).toMatch(/DEMO/);
  });

  it("requires ADMIN_TOKEN and TOKEN_SECRET in production, with a message naming each", () => {
    const both = configError({ NODE_ENV: "production" }).message;
    expect(both).toContain("Invalid configuration");
    expect(both).toMatch(/ADMIN_TOKEN: required in production/);
    expect(both).toMatch(/TOKEN_SECRET: required in production/);

    const noSecret = configError({ NODE_ENV: "production", ADMIN_TOKEN: ADMIN }).message;
    expect(noSecret).toMatch(/TOKEN_SECRET/);
    expect(noSecret).not.toMatch(/ADMIN_TOKEN/);

    const noAdmin = configError({ NODE_ENV: "production", TOKEN_SECRET: SECRET }).message;
    expect(noAdmin).toMatch(/ADMIN_TOKEN/);
    expect(noAdmin).not.toMatch(/TOKEN_SECRET/);

    const config = loadConfig({ NODE_ENV: "production", ADMIN_TOKEN: ADMIN, TOKEN_SECRET: SECRET });
    expect(config).toMatchObject({ env: "production", adminToken: ADMIN, tokenSecret: SECRET });
  });

  it("refuses short secrets, in production or not", () => {
    for (const env of [{}, { NODE_ENV: "production" }]) {
      const shortSecret = configError({ ...env, ADMIN_TOKEN: ADMIN, TOKEN_SECRET: "too-short" }).message;
      expect(shortSecret).toMatch(/TOKEN_SECRET: must be at least 32 characters/);
      const shortAdmin = configError({ ...env, ADMIN_TOKEN: "short", TOKEN_SECRET: SECRET }).message;
      expect(shortAdmin).toMatch(/ADMIN_TOKEN: must be at least 12 characters/);
    }
  });
});
