// `seed`: the first-come sale of the surge tool (1,000 users, 10,000 join requests, 4
// products × 100 units) against a fresh stack, once with every payment accepted and once
// with 10 % declined (the seed's failures): wall time until every outcome is delivered over
// Socket.IO, join and result latencies, the ETA's error, and the invariants it checks.
import { Admin, bootStack } from "../lib/dropqueue.js";
import { BENCH_DATABASE_URL, BENCH_REDIS_URL } from "../lib/env.js";
import { fmt, pct, progress, table } from "../lib/report.js";
import { runSurge, type SurgeReport, surgeHeld } from "../lib/surge-run.js";
import type { Scenario } from "./types.js";

const SEED = { users: 1000, requests: 10_000, products: 4, stock: 100 };
export const SEED_FAILURE_RATES = [0, 0.1];
/** Goals: every outcome within 2 s of the first join; result latency p99 within 500 ms. */
export const SEED_WALL_GOAL_S = 2;
export const SEED_RESULT_P99_GOAL_MS = 500;

export interface SeedRun {
  paymentFailureRate: number;
  report: SurgeReport;
}

export interface SeedResult {
  runs: SeedRun[];
}

export const seed: Scenario<SeedResult> = {
  name: "seed",
  describe:
    "the first-come sale (1,000 users, 10,000 requests, 4 × 100 units), with 0 % and 10 % payments declined, with its invariant checks",
  async run() {
    const runs: SeedRun[] = [];
    for (const paymentFailureRate of SEED_FAILURE_RATES) {
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
          paymentFailureRate,
          onProgress: (p) =>
            progress(
              "seed",
              `${paymentFailureRate * 100} % declined, ${p.phase}: ${fmt(p.sent)}/${fmt(p.requests)} requests · ${fmt(p.tickets)} tickets · ${fmt(p.outcomes)} outcomes`,
            ),
        });
        stack.assertRunning("during the sale");
        runs.push({ paymentFailureRate, report });
      } finally {
        if (report) await admin.stopQuietly(report.eventId);
        await stack.stop();
      }
    }
    return { runs };
  },
  tables(r, ctx) {
    const ms = (p: { p50: number; p95: number; p99: number; max: number }) => [
      fmt(p.p50, 1),
      fmt(p.p95, 1),
      fmt(p.p99, 1),
      fmt(p.max, 1),
    ];
    const pc = (x: number) => `${Math.round(100 * x)} %`;
    return (r.runs ?? []).flatMap(({ paymentFailureRate, report: s }) => {
      const clean = surgeHeld(s);
      const resultMet = s.resultLatencyMs.p99 <= SEED_RESULT_P99_GOAL_MS ? "met" : "not met";
      const wallMet = s.wallSeconds <= SEED_WALL_GOAL_S ? "met" : "not met";
      return [
        table(
          `Seed: first-come sale, ${fmt(SEED.users)} users, ${fmt(SEED.requests)} requests, ${SEED.products} × ${SEED.stock} units, ${paymentFailureRate * 100} % of payments declined (1 API, 1 worker × 16)`,
          ["figure", "p50 ms", "p95 ms", "p99 ms", "max ms", "goal"],
          [
            ["join latency (closed loop, 256 in flight)", ...ms(s.joinLatencyMs), ""],
            [
              "result latency (join answered → ticket:result)",
              ...ms(s.resultLatencyMs),
              `p99 ≤ ${SEED_RESULT_P99_GOAL_MS} ms: ${resultMet}`,
            ],
          ],
        ),
        [
          `Wall until every outcome is delivered: ${fmt(s.wallSeconds, 2)} s (goal ≤ ${SEED_WALL_GOAL_S} s: ${wallMet}); joins ${fmt(s.joinsPerSecond)}/s (${pct(s.joinsPerSecond, ctx.walls?.expressRps)} of the Express wall)`,
          `${fmt(s.requests)} requests → ${fmt(s.tickets)} tickets, ${fmt(s.handedBack)} handed back, at the door ${JSON.stringify(s.doorRejections)}, HTTP errors ${s.httpErrors}`,
          `Outcomes ${JSON.stringify(s.outcomes)} ${JSON.stringify(s.reasons)}; confirmed ${fmt(s.confirmed)} of ${fmt(SEED.products * SEED.stock)} units`,
          s.eta
            ? `ETA told at join vs wait: relative error p50 ${pc(s.eta.p50)}, p90 ${pc(s.eta.p90)}, off by more than half ${pc(s.eta.offByHalf)} (${fmt(s.eta.samples)} tickets)`
            : "",
          `Checks: oversold ${s.oversold}, users over limit ${s.overLimitUsers}, missing outcomes ${s.missingOutcomes}, duplicated ${s.duplicateOutcomes}, tickets not final ${s.ticketsNotFinal}, fairness inversions ${s.fairnessInversions}, Redis = PostgreSQL ${s.redisPostgresAgree}, ledger ${s.ledgerAgrees}, refused RATE_LIMITED ${s.rateLimited ?? 0} → ${clean ? "ok" : "BAD"}`,
        ]
          .filter(Boolean)
          .join("\n"),
      ];
    });
  },
};
