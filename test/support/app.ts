// An in-process dropqueue for integration and e2e tests: real Redis, real PostgreSQL
// (the migrated test database), the API on an ephemeral port and purchase workers.
import { inject } from "vitest";
import { closeDeps, createDeps } from "../../src/bootstrap.js";
import { type Config, loadConfig } from "../../src/config.js";
import type { Deps } from "../../src/deps.js";
import { type CreateEventInput, createEventInput } from "../../src/events/event.schemas.js";
import { createEvent, transition } from "../../src/events/events.service.js";
import { LifecycleWorker } from "../../src/events/scheduler.js";
import { type ApiServer, startApiServer } from "../../src/http/api-server.js";
import { type PaymentStep, SimulatedPayment } from "../../src/purchase/payment.js";
import { RefundWorker } from "../../src/purchase/refunds.js";
import { PurchaseWorkerPool } from "../../src/purchase/worker-pool.js";
import { MaintenanceWorker } from "../../src/recovery/maintenance.js";

export const ADMIN_TOKEN = "test-admin-token-0123456789";

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: "test",
    REDIS_URL: inject("redisUrl"),
    // The processes log in as the least-privilege role the migrations create, as in production.
    DATABASE_URL: asAppRole(inject("databaseUrl")),
    ADMIN_TOKEN,
    TOKEN_SECRET: "test-token-secret-0123456789abcdef0123456789",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "silent",
    PURCHASE_BACKOFF_MS: "20",
    RATE_LIMIT_PER_SECOND: "0",
    SOCKETS_PER_CLIENT: "0",
    // Tests send wrong admin tokens on purpose from one address (test/e2e/abuse.test.ts sets 10).
    ADMIN_FAILURES_PER_MINUTE: "100000",
    ...env,
  });
}

/** The same database, logged in as dropqueue_app (trust auth here; a password elsewhere). */
export function asAppRole(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  url.username = "dropqueue_app";
  url.password = "";
  return url.toString();
}

export interface TestStack {
  deps: Deps;
  api: ApiServer;
  workers: PurchaseWorkerPool[];
  /** Starts and ends scheduled events, as in a worker process. */
  lifecycle: LifecycleWorker;
  url: string;
  close(): Promise<void>;
}

/** Starts the API and `workerPools` purchase worker pools (each as a worker process would run it). */
export async function startTestStack(
  opts: {
    workerPools?: number;
    concurrency?: number;
    payment?: PaymentStep;
    env?: Record<string, string>;
    /** Also run the maintenance job (rebuild after a Redis loss, reconcile), every `tickMs`. */
    maintenance?: { tickMs: number };
  } = {},
): Promise<TestStack> {
  const deps = createDeps(testConfig(opts.env), { name: "test" });
  const api = await startApiServer(deps, { port: 0, host: "127.0.0.1", realtime: { positionEveryMs: 200 } });
  const workers: PurchaseWorkerPool[] = [];
  for (let i = 0; i < (opts.workerPools ?? 1); i++) {
    const pool = new PurchaseWorkerPool(deps, opts.payment ?? new SimulatedPayment(), {
      concurrency: opts.concurrency ?? 8,
      syncEveryMs: 100,
    });
    await pool.start();
    workers.push(pool);
  }
  const lifecycle = new LifecycleWorker(deps);
  await lifecycle.start();
  const refunds = new RefundWorker(deps, opts.payment ?? new SimulatedPayment());
  await refunds.start();
  const maintenance = opts.maintenance ? new MaintenanceWorker(deps, opts.maintenance) : undefined;
  await maintenance?.start();
  return {
    deps,
    api,
    workers,
    lifecycle,
    url: api.url,
    async close() {
      await Promise.all([
        ...workers.map((w) => w.close()),
        lifecycle.close(),
        maintenance?.close(),
        refunds.close(),
      ]);
      await api.close();
      await closeDeps(deps);
    },
  };
}

/** Creates an event (validated like the admin API would) and, unless told otherwise, starts it. */
export async function liveEvent(
  deps: Deps,
  input: Partial<CreateEventInput> & Pick<CreateEventInput, "products">,
  opts: { start?: boolean } = {},
) {
  const event = await createEvent(
    deps,
    createEventInput.parse({ name: "Test drop", admissionRate: 10_000, ...input }),
  );
  return opts.start === false ? event : transition(deps, event.id, "start");
}

/** Polls until `check` holds (or fails the test after `timeoutMs`). */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
