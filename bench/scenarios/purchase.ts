// `purchase`: the worker's throughput with the admission limit lifted. 20,000 tickets of
// distinct users wait in a paused event (stock 50,000), then the event resumes and we count
// orders CONFIRMED and committed in PostgreSQL per second, end to end, with 1 and 2 worker
// processes (concurrency 50 each).
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import pg from "pg";
import { PURCHASE_QUEUE } from "../../src/purchase/jobs.js";
import { keys, queuePrefix } from "../../src/redis/keys.js";
import { type Counters, perUnit, readCounters } from "../lib/counters.js";
import { type CpuShares, cpuSampler, formatCpu } from "../lib/cpu.js";
import { Admin, bootStack, joinMany } from "../lib/dropqueue.js";
import { BENCH_DATABASE_URL, BENCH_REDIS_URL, leafPid } from "../lib/env.js";
import { formatWaits, pgWaitSampler, type WaitShares } from "../lib/pg-waits.js";
import { fmt, pct, progress, table } from "../lib/report.js";
import type { Scenario } from "./types.js";

export const PURCHASE_TICKETS = 5_000;
export const PURCHASE_STOCK = 50_000;
export const WORKER_CONCURRENCY = 50;
export const WORKER_COUNTS = [1, 2];
const DEADLINE_MS = 90_000;

export interface PurchaseRun {
  workers: number;
  concurrency: number;
  tickets: number;
  preloadPerSecond: number;
  confirmed: number;
  /** From the resume to the last order committed. */
  seconds: number;
  perSecond: number;
  /** Between 10 % and 90 % of the orders: the rate once running. */
  steadyPerSecond: number;
  /** Orders committed at each second after the resume. */
  timeline: number[];
  cpu: CpuShares;
  /** Average number of the bench database's connections in each state while running. */
  pgConnections: WaitShares;
  /** Redis commands, PostgreSQL commits and rows inserted per confirmed order. */
  perOrder: Counters;
  check: {
    redisSold: number;
    redisRemaining: number;
    redisReserved: number;
    pgConfirmed: number;
    ok: boolean;
  };
}

export interface PurchaseResult {
  runs: PurchaseRun[];
}

async function workersListening(eventId: string, count: number): Promise<void> {
  const connection = new Redis(BENCH_REDIS_URL);
  const queue = new Queue(PURCHASE_QUEUE, { connection, prefix: queuePrefix(eventId) });
  try {
    const deadline = Date.now() + 30_000;
    while ((await queue.getWorkersCount()) < count) {
      if (Date.now() > deadline) throw new Error(`${count} purchase worker(s) did not pick up the event`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/** Time at which `target` was reached, interpolated between two polls. */
function reachedAt(samples: [number, number][], target: number): number {
  for (let i = 1; i < samples.length; i++) {
    const [t1, c1] = samples[i] as [number, number];
    const [t0, c0] = samples[i - 1] as [number, number];
    if (c1 >= target) return c1 === c0 ? t1 : t0 + ((t1 - t0) * (target - c0)) / (c1 - c0);
  }
  return samples.at(-1)?.[0] ?? 0;
}

async function runOnce(workers: number, cpuProfDir: string | undefined): Promise<PurchaseRun> {
  const stack = await bootStack({
    apis: 1,
    workers,
    workerConcurrency: WORKER_CONCURRENCY,
    nodeArgs: cpuProfDir ? { worker: ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}/worker`] } : undefined,
  });
  const url = stack.apiUrls[0] ?? "";
  const admin = new Admin(url, stack.adminToken);
  const db = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  const redis = new Redis(BENCH_REDIS_URL);
  await db.connect();
  let eventId = "";
  try {
    eventId = await admin.createEvent({
      name: `bench purchase ${workers}w ${new Date().toISOString()}`,
      admissionRate: 1_000_000,
      products: [{ sku: "P1", stock: PURCHASE_STOCK }],
    });
    await admin.action(eventId, "start");
    await admin.action(eventId, "pause");
    const tag = `${workers} worker${workers > 1 ? "s" : ""}`;
    const preload = await joinMany({
      url,
      eventId,
      sku: "P1",
      count: PURCHASE_TICKETS,
      userPrefix: `buyer${workers}`,
      onProgress: (n) =>
        progress("purchase", `${tag}: joining ${fmt(n)}/${fmt(PURCHASE_TICKETS)} (event paused)`),
    });
    const tickets = preload.tickets.length;
    if (tickets < PURCHASE_TICKETS)
      progress("purchase", `only ${tickets} tickets: ${JSON.stringify(preload.failures)}`, true);
    await workersListening(eventId, workers);

    const count = async () =>
      Number(
        (
          await db.query<{ n: string }>(
            `SELECT count(*) AS n FROM "Order" WHERE "eventId" = $1 AND status = 'CONFIRMED'`,
            [eventId],
          )
        ).rows[0]?.n ?? 0,
      );
    const pids = stack.processes.filter((p) => p.role === "worker").map((p) => leafPid(p.child.pid ?? 0));
    const apiPid = leafPid(stack.processes.find((p) => p.role === "api")?.child.pid ?? 0);
    const before = await readCounters();
    const cpu = cpuSampler({ api: [apiPid], workers: pids });
    const waits = await pgWaitSampler();
    const t0 = performance.now();
    await admin.action(eventId, "resume");
    const samples: [number, number][] = [[0, 0]];
    let stalledSince = performance.now();
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const now = performance.now();
      const n = await count();
      if (n > (samples.at(-1)?.[1] ?? 0)) stalledSince = now;
      samples.push([(now - t0) / 1000, n]);
      progress("purchase", `${tag}: ${fmt(n)}/${fmt(tickets)} orders confirmed in PostgreSQL`);
      if (n >= tickets || now - t0 > DEADLINE_MS || now - stalledSince > 15_000) break;
    }
    const cpuShares = cpu.stop();
    const pgConnections = await waits.stop();
    stack.assertRunning("while purchasing");
    const confirmed = samples.at(-1)?.[1] ?? 0;
    const seconds = reachedAt(samples, confirmed);
    const steady =
      (0.8 * confirmed) /
      Math.max(0.001, reachedAt(samples, 0.9 * confirmed) - reachedAt(samples, 0.1 * confirmed));
    const timeline: number[] = [];
    const countAt = (t: number) => samples.filter(([at]) => at <= t).at(-1)?.[1] ?? 0;
    for (let s = 0; s < Math.ceil(seconds); s++) timeline.push(countAt(s + 1) - countAt(s));
    // PostgreSQL's statistics reach pg_stat_database about once a second.
    await new Promise((r) => setTimeout(r, 1200));
    const perOrder = perUnit(before, await readCounters(), confirmed);
    const stock = await redis.hmget(keys.stock(eventId, "P1"), "sold", "remaining", "reserved");
    const [sold, remaining, reserved] = stock.map(Number) as [number, number, number];
    progress("purchase", `${tag}: ${fmt(confirmed)} orders in ${seconds.toFixed(1)} s`, true);
    return {
      workers,
      concurrency: WORKER_CONCURRENCY,
      tickets,
      preloadPerSecond: Math.round(tickets / preload.seconds),
      confirmed,
      seconds: Math.round(seconds * 100) / 100,
      perSecond: Math.round(confirmed / seconds),
      steadyPerSecond: Math.round(steady),
      timeline,
      cpu: cpuShares,
      pgConnections,
      perOrder,
      check: {
        redisSold: sold,
        redisRemaining: remaining,
        redisReserved: reserved,
        pgConfirmed: confirmed,
        ok: sold === confirmed && sold + remaining + reserved === PURCHASE_STOCK && confirmed === tickets,
      },
    };
  } finally {
    if (eventId) await admin.stopQuietly(eventId);
    await db.end();
    redis.disconnect();
    await stack.stop();
  }
}

export const purchase: Scenario<PurchaseResult> = {
  name: "purchase",
  describe: `${fmt(PURCHASE_TICKETS)} waiting tickets, stock ${fmt(PURCHASE_STOCK)}, no admission limit: orders confirmed in PostgreSQL per second, 1 and 2 workers`,
  async run(ctx) {
    const runs: PurchaseRun[] = [];
    for (const workers of WORKER_COUNTS) runs.push(await runOnce(workers, ctx.cpuProfDir));
    return { runs };
  },
  tables(r, ctx) {
    const w = ctx.walls;
    return [
      table(
        `Purchase (${fmt(PURCHASE_TICKETS)} tickets waiting, then resumed; orders CONFIRMED and committed in PostgreSQL)`,
        [
          "workers × concurrency",
          "orders",
          "seconds",
          "orders/s",
          "steady/s",
          "of PG insert wall",
          "of BullMQ worker wall",
          "checks",
        ],
        r.runs.map((run) => [
          `${run.workers} × ${run.concurrency}`,
          fmt(run.confirmed),
          fmt(run.seconds, 1),
          fmt(run.perSecond),
          fmt(run.steadyPerSecond),
          pct(run.perSecond, w?.pgInsertTps),
          pct(run.perSecond, w?.bullmqWorkerPerSecond),
          run.check.ok ? "ok" : "BAD",
        ]),
      ),
      r.runs
        .flatMap((run) => [
          `${run.workers} worker(s): CPU (% of one core) ${formatCpu(run.cpu)}`,
          `  PostgreSQL connections (average number): ${formatWaits(run.pgConnections)}`,
          `  per order: ${run.perOrder.redisCommands} Redis commands, ${run.perOrder.pgCommits} PostgreSQL commits, ${run.perOrder.pgRowsInserted} rows inserted`,
          `  Redis sold ${fmt(run.check.redisSold)}, remaining ${fmt(run.check.redisRemaining)}, reserved ${fmt(run.check.redisReserved)}; joins to preload ${fmt(run.preloadPerSecond)}/s`,
        ])
        .join("\n"),
    ];
  },
};
