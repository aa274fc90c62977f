// `seed`: the first-come sale of the surge tool (1,000 users, 10,000 join requests, 4
// products × 100 units) against a fresh stack: wall time until every outcome is delivered
// over Socket.IO, join and result latencies, and the invariants it checks.
import { Admin, bootStack } from "../lib/dropqueue.js";
import { BENCH_DATABASE_URL, BENCH_REDIS_URL } from "../lib/env.js";
import { fmt, pct, progress, table } from "../lib/report.js";
import { runSurge, type SurgeReport, surgeHeld } from "../lib/surge-run.js";
import type { Scenario } from "./types.js";

const SEED = { users: 1000, requests: 10_000, products: 4, stock: 100 };

export const seed: Scenario<SurgeReport> = {
  name: "seed",
  describe: "the first-come sale (1,000 users, 10,000 requests, 4 × 100 units) with its invariant checks",
  async run() {
    const stack = await bootStack({ apis: 1, workers: 1, workerConcurrency: 16 });
    const admin = new Admin(stack.apiUrls[0] ?? "", stack.adminToken);
    let report: SurgeReport | undefined;
    try {
      report = await runSurge({
        apiUrls: stack.apiUrls,
        adminToken: stack.adminToken,
        redisUrl: BENCH_REDIS_URL,
        databaseUrl: BENCH_DATABASE_URL,
        ...SEED,
        onProgress: (p) =>
          progress(
            "seed",
            `${p.phase}: ${fmt(p.sent)}/${fmt(p.requests)} requests · ${fmt(p.tickets)} tickets · ${fmt(p.outcomes)} outcomes`,
          ),
      });
      stack.assertRunning("during the sale");
      return report;
    } finally {
      if (report) await admin.stopQuietly(report.eventId);
      await stack.stop();
    }
  },
  tables(r, ctx) {
    const clean = surgeHeld(r);
    const ms = (p: { p50: number; p95: number; p99: number; max: number }) => [
      fmt(p.p50, 1),
      fmt(p.p95, 1),
      fmt(p.p99, 1),
      fmt(p.max, 1),
    ];
    return [
      table(
        `Seed: first-come sale, ${fmt(SEED.users)} users, ${fmt(SEED.requests)} requests, ${SEED.products} × ${SEED.stock} units (1 API, 1 worker × 16)`,
        ["figure", "p50 ms", "p95 ms", "p99 ms", "max ms"],
        [
          ["join latency (closed loop, 256 in flight)", ...ms(r.joinLatencyMs)],
          ["result latency (join answered → ticket:result)", ...ms(r.resultLatencyMs)],
        ],
      ),
      [
        `Wall until every outcome is delivered: ${fmt(r.wallSeconds, 2)} s; joins ${fmt(r.joinsPerSecond)}/s (${pct(r.joinsPerSecond, ctx.walls?.expressRps)} of the Express wall)`,
        `${fmt(r.requests)} requests → ${fmt(r.tickets)} tickets, ${fmt(r.handedBack)} handed back, at the door ${JSON.stringify(r.doorRejections)}, HTTP errors ${r.httpErrors}`,
        `Outcomes ${JSON.stringify(r.outcomes)} ${JSON.stringify(r.reasons)}; confirmed ${fmt(r.confirmed)} of ${fmt(SEED.products * SEED.stock)} units`,
        `Checks: oversold ${r.oversold}, users over limit ${r.overLimitUsers}, missing outcomes ${r.missingOutcomes}, duplicated ${r.duplicateOutcomes}, tickets not final ${r.ticketsNotFinal}, fairness inversions ${r.fairnessInversions}, Redis = PostgreSQL ${r.redisPostgresAgree}, ledger ${r.ledgerAgrees} → ${clean ? "ok" : "BAD"}`,
      ].join("\n"),
    ];
  },
};
