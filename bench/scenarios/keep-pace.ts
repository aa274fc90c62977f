// `keep-pace`: do purchases keep pace with the door? 50,000 distinct shoppers join as fast
// as the API answers (closed loop, 100 in flight, as autocannon's 100 connections), the
// admission rate lifted (1,000,000/s), one worker process × 50; the figure is the time from
// the last join answered to the last order committed in PostgreSQL (goal ≤ 1 s).
import pg from "pg";
import { type CpuShares, cpuSampler, formatCpu } from "../lib/cpu.js";
import { Admin, bootStack, joinMany } from "../lib/dropqueue.js";
import { BENCH_DATABASE_URL, leafPid } from "../lib/env.js";
import { fmt, pct, progress, table } from "../lib/report.js";
import type { Scenario } from "./types.js";

export const KEEP_PACE_SHOPPERS = 50_000;
const STOCK = 1_000_000;
const IN_FLIGHT = 100;
const WORKER_CONCURRENCY = 50;
export const KEEP_PACE_GOAL_S = 1;
const DEADLINE_MS = 240_000;

export interface KeepPaceResult {
  shoppers: number;
  tickets: number;
  failures: Record<string, number>;
  /** From the first join sent to the last answered. */
  joinSeconds: number;
  joinsPerSecond: number;
  /** From the first join sent to the last order committed. */
  ordersSeconds: number;
  confirmed: number;
  /** Last order committed − last join answered (s); negative: the orders were done first. */
  lagSeconds: number;
  cpu: CpuShares;
  ok: boolean;
}

export const keepPace: Scenario<KeepPaceResult> = {
  name: "keep-pace",
  describe: `${fmt(KEEP_PACE_SHOPPERS)} distinct shoppers join as fast as answered, admission lifted, 1 worker × ${WORKER_CONCURRENCY}: last order committed vs last join answered`,
  async run() {
    const stack = await bootStack({ apis: 1, workers: 1, workerConcurrency: WORKER_CONCURRENCY });
    const url = stack.apiUrls[0] ?? "";
    const admin = new Admin(url, stack.adminToken);
    const db = new pg.Client({ connectionString: BENCH_DATABASE_URL });
    await db.connect();
    let eventId = "";
    try {
      eventId = await admin.createEvent({
        name: `bench keep-pace ${new Date().toISOString()}`,
        admissionRate: 1_000_000,
        products: [{ sku: "P1", stock: STOCK }],
      });
      await admin.action(eventId, "start");
      const count = async () =>
        Number(
          (
            await db.query<{ n: string }>(
              `SELECT count(*) AS n FROM "Order" WHERE "eventId" = $1 AND status = 'CONFIRMED'`,
              [eventId],
            )
          ).rows[0]?.n ?? 0,
        );
      const pids = stack.processes.map((p) => leafPid(p.child.pid ?? 0));
      const cpu = cpuSampler({ api: [pids[0] ?? 0], workers: pids.slice(1) });
      const t0 = performance.now();
      let confirmed = 0;
      let joining = true;
      // Orders are counted while the shoppers join: the last commit is seen within 100 ms.
      let lastCountAt = 0;
      const ticketsRef = { value: 0 };
      const counting = (async () => {
        let stalledSince = performance.now();
        let target = Number.POSITIVE_INFINITY;
        for (;;) {
          await new Promise((r) => setTimeout(r, 100));
          const n = await count();
          const now = performance.now();
          if (n > confirmed) {
            confirmed = n;
            lastCountAt = now;
            stalledSince = now;
          }
          if (!joining && target === Number.POSITIVE_INFINITY) target = ticketsRef.value;
          if (confirmed >= target || now - t0 > DEADLINE_MS || (!joining && now - stalledSince > 15_000))
            return;
        }
      })();
      const joined = await joinMany({
        url,
        eventId,
        sku: "P1",
        count: KEEP_PACE_SHOPPERS,
        userPrefix: "pace",
        concurrency: IN_FLIGHT,
        deadlineMs: DEADLINE_MS,
        onProgress: (n) =>
          n % 500 === 0 &&
          progress(
            "keep-pace",
            `${fmt(n)}/${fmt(KEEP_PACE_SHOPPERS)} joined · ${fmt(confirmed)} orders committed`,
          ),
      });
      const joinsDone = performance.now();
      ticketsRef.value = joined.tickets.length;
      joining = false;
      await counting;
      const cpuShares = cpu.stop();
      stack.assertRunning("while the shoppers joined and bought");
      const tickets = joined.tickets.length;
      const joinSeconds = (joinsDone - t0) / 1000;
      const ordersSeconds = (lastCountAt - t0) / 1000;
      progress(
        "keep-pace",
        `${fmt(tickets)} tickets in ${joinSeconds.toFixed(1)} s, ${fmt(confirmed)} orders by ${ordersSeconds.toFixed(1)} s`,
        true,
      );
      return {
        shoppers: KEEP_PACE_SHOPPERS,
        tickets,
        failures: joined.failures,
        joinSeconds: Math.round(joinSeconds * 100) / 100,
        joinsPerSecond: Math.round(tickets / joinSeconds),
        ordersSeconds: Math.round(ordersSeconds * 100) / 100,
        confirmed,
        lagSeconds: Math.round((ordersSeconds - joinSeconds) * 100) / 100,
        cpu: cpuShares,
        ok: confirmed === tickets && tickets === KEEP_PACE_SHOPPERS,
      };
    } finally {
      if (eventId) await admin.stopQuietly(eventId);
      await db.end();
      await stack.stop();
    }
  },
  tables(r, ctx) {
    const met = r.lagSeconds <= KEEP_PACE_GOAL_S ? "met" : "not met";
    return [
      table(
        `Purchases keep pace: ${fmt(r.shoppers)} distinct shoppers, ${IN_FLIGHT} joins in flight, admission lifted, 1 worker × ${WORKER_CONCURRENCY}`,
        ["figure", "value", "goal / wall"],
        [
          [
            "joins answered",
            `${fmt(r.tickets)} in ${fmt(r.joinSeconds, 1)} s (${fmt(r.joinsPerSecond)}/s)`,
            `${pct(r.joinsPerSecond, ctx.walls?.expressRps)} of Express (${fmt(ctx.walls?.expressRps)}/s)`,
          ],
          ["orders committed in PostgreSQL", `${fmt(r.confirmed)} by ${fmt(r.ordersSeconds, 1)} s`, ""],
          [
            "last order committed − last join answered",
            `${fmt(r.lagSeconds, 2)} s`,
            `goal ≤ ${KEEP_PACE_GOAL_S} s: ${met}`,
          ],
          [
            "check",
            r.ok ? "ok" : `BAD (${JSON.stringify(r.failures)})`,
            "every shopper a ticket, every ticket an order",
          ],
        ],
      ),
      `CPU (% of one core): ${formatCpu(r.cpu)}`,
    ];
  },
};
