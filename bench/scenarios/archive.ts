// `archive`: the background loops do not slow down as ended sales pile up. Ended sales are
// archived (their Redis state deleted, src/recovery/archive.ts), so the convergence loop,
// the worker pool's sync and the lifecycle sweep look only at the sales still open. This
// times one pass of each over the same live events, first with no ended event, then with
// 10,000 archived ones in PostgreSQL — and, for scale, what one pass costs per event it
// has to look at (the price 10,000 ended events would cost if they stayed in the loop).
import { closeDeps, createDeps } from "../../src/bootstrap.js";
import { loadConfig } from "../../src/config.js";
import type { Deps } from "../../src/deps.js";
import { createEvent, transition } from "../../src/events/events.service.js";
import { sweep } from "../../src/events/scheduler.js";
import { eventsToConverge } from "../../src/recovery/converge.js";
import { runMaintenance } from "../../src/recovery/maintenance.js";
import { eventStock, keys } from "../../src/redis/keys.js";
import { BENCH_DATABASE_URL, BENCH_REDIS_URL } from "../lib/env.js";
import { percentiles } from "../lib/percentiles.js";
import { fmt, progress, table } from "../lib/report.js";
import type { Scenario } from "./types.js";

const LIVE_EVENTS = 20;
const ENDED_EVENTS = 10_000;
const PASSES = 7;

export interface LoopTimes {
  /** Events the convergence loop looked at in one pass. */
  looked: number;
  /** Median milliseconds of one pass. */
  maintenanceMs: number;
  sweepMs: number;
  /** Reading the set of events Redis holds, as the worker pool's sync does each second. */
  activeSetMs: number;
  activeSetSize: number;
}

export interface ArchiveResult {
  liveEvents: number;
  endedEvents: number;
  before: LoopTimes;
  after: LoopTimes;
  /** after / before of the convergence pass (goal: within noise, ≤ 1.25). */
  ratio: number;
}

async function median(times: number, task: () => Promise<unknown>): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await task();
    ms.push(performance.now() - t0);
  }
  return percentiles(ms).p50;
}

async function timeLoops(deps: Deps): Promise<LoopTimes> {
  const looked = (await eventsToConverge(deps)).length;
  const maintenanceMs = await median(PASSES, () => runMaintenance(deps));
  const sweepMs = await median(PASSES, () => sweep(deps));
  const activeSetMs = await median(PASSES, () => deps.redis.smembers(keys.activeEvents()));
  const activeSetSize = await deps.redis.scard(keys.activeEvents());
  return { looked, maintenanceMs, sweepMs, activeSetMs, activeSetSize };
}

export const archive: Scenario<ArchiveResult> = {
  name: "archive",
  describe: `the loops' pass time with ${LIVE_EVENTS} live sales, before and after ${ENDED_EVENTS.toLocaleString("en")} archived ended ones`,
  async run() {
    const config = loadConfig({
      ...process.env,
      NODE_ENV: "test",
      REDIS_URL: BENCH_REDIS_URL,
      DATABASE_URL: BENCH_DATABASE_URL,
      LOG_LEVEL: "error",
    });
    const deps = createDeps(config, { name: "bench-archive" });
    try {
      progress("archive", `creating ${LIVE_EVENTS} live sales`, true);
      for (let i = 0; i < LIVE_EVENTS; i++) {
        const event = await createEvent(deps, {
          name: `Live ${i}`,
          products: [{ sku: "A", name: "Sneaker", priceCents: 100, stock: 100 }],
        });
        await transition(deps, event.id, "start");
      }
      progress("archive", "timing the loops with no ended sale", true);
      const before = await timeLoops(deps);

      progress("archive", `writing ${ENDED_EVENTS.toLocaleString("en")} archived ended sales`, true);
      await deps.prisma.$executeRaw`
        INSERT INTO "Event" (id, name, status, "admissionRate", "archivedAt", "updatedAt")
        SELECT 'ev_archived_' || g, 'Ended ' || g, 'ENDED', 100, now(), now()
        FROM generate_series(1, ${ENDED_EVENTS}) AS g`;
      // Each product with its core stock (CLOSED, as an archived sale's).
      const stocks = Array.from({ length: ENDED_EVENTS }, (_, i) => eventStock(`ev_archived_${i + 1}`, "A"));
      await deps.prisma.$executeRaw`
        INSERT INTO "Stock" (id, name, kind, "group", status, total, "liveTotal", "archivedAt", "updatedAt")
        SELECT id, 'Sneaker', 'EVENT', grp, 'CLOSED', 100, 100, now(), now()
        FROM unnest(${stocks.map((s) => s.stockId)}::text[], ${stocks.map((s) => s.group)}::text[]) AS s(id, grp)`;
      await deps.prisma.$executeRaw`
        INSERT INTO "Product" ("eventId", sku, name, "priceCents", "stockId")
        SELECT 'ev_archived_' || g, 'A', 'Sneaker', 100, (${stocks.map((s) => s.stockId)}::text[])[g]
        FROM generate_series(1, ${ENDED_EVENTS}) AS g`;
      progress("archive", "timing the loops again", true);
      const after = await timeLoops(deps);
      return {
        liveEvents: LIVE_EVENTS,
        endedEvents: ENDED_EVENTS,
        before,
        after,
        ratio: after.maintenanceMs / Math.max(before.maintenanceMs, 0.001),
      };
    } finally {
      await closeDeps(deps);
    }
  },
  tables(r) {
    const row = (what: string, t: LoopTimes) => [
      what,
      fmt(t.looked),
      fmt(t.maintenanceMs, 1),
      fmt(t.sweepMs, 1),
      `${fmt(t.activeSetMs, 2)} (${fmt(t.activeSetSize)} ids)`,
    ];
    return [
      table(
        `Archived sales stay out of the loops (${r.liveEvents} live sales; goal: the pass with ${r.endedEvents.toLocaleString("en")} archived ones within noise, ≤ 1.25× — measured ${fmt(r.ratio, 2)}×)`,
        [
          "ended sales in PostgreSQL",
          "events the loop looks at",
          "convergence pass ms (p50)",
          "lifecycle sweep ms",
          "worker sync read ms",
        ],
        [row("none", r.before), row(`${r.endedEvents.toLocaleString("en")} archived`, r.after)],
      ),
    ];
  },
};
