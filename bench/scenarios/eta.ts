// `eta`: is the wait a shopper is told at join honest from a sale's first second? As new
// users would try it: 1,000 shoppers joining within 1.5 s an event admitting 50/s, and
// 2,000 joining within 2.3 s one admitting 200/s (1 API, 1 worker × 16, stock for all).
// Per run: the etaSeconds each was told against the time from its join answer to its
// ticket:result, as a relative error (p50, p90, share off by more than half).
import { bootStack } from "../lib/dropqueue.js";
import { BENCH_DATABASE_URL, BENCH_REDIS_URL } from "../lib/env.js";
import { fmt, progress, table } from "../lib/report.js";
import { runSurge, type SurgeReport, surgeHeld } from "../lib/surge-run.js";
import type { Scenario } from "./types.js";

export const ETA_CASES = [
  { shoppers: 1000, spreadMs: 1500, admissionRate: 50 },
  { shoppers: 2000, spreadMs: 2300, admissionRate: 200 },
];
/** Goal: p90 of the relative error within ±20 %. */
export const ETA_P90_GOAL = 0.2;

export interface EtaRun {
  shoppers: number;
  spreadMs: number;
  admissionRate: number;
  report: SurgeReport;
}

export const eta: Scenario<{ runs: EtaRun[] }> = {
  name: "eta",
  describe:
    "1,000 shoppers in 1.5 s at 50/s admitted, 2,000 in 2.3 s at 200/s: the ETA told at join vs the wait",
  async run() {
    const runs: EtaRun[] = [];
    for (const c of ETA_CASES) {
      const stack = await bootStack({ apis: 1, workers: 1, workerConcurrency: 16 });
      try {
        const report = await runSurge({
          apiUrls: stack.apiUrls,
          adminToken: stack.adminToken,
          redisUrl: BENCH_REDIS_URL,
          databaseUrl: BENCH_DATABASE_URL,
          users: c.shoppers,
          requests: c.shoppers,
          distinctUsers: true,
          spreadMs: c.spreadMs,
          products: 1,
          stock: c.shoppers * 2,
          admissionRate: c.admissionRate,
          onProgress: (p) =>
            progress(
              "eta",
              `${c.admissionRate}/s: ${p.phase} ${fmt(p.sent)} joins · ${fmt(p.outcomes)} outcomes`,
            ),
        });
        stack.assertRunning("during the sale");
        runs.push({ ...c, report });
      } finally {
        await stack.stop();
      }
    }
    return { runs };
  },
  tables(r) {
    const pc = (x: number) => `${Math.round(100 * x)} %`;
    return [
      table(
        "ETA: etaSeconds told at join vs the wait until ticket:result (relative error |told − waited| / waited)",
        [
          "shoppers",
          "joined within",
          "admission",
          "tickets",
          "p50",
          "p90",
          "off by > ½",
          "median signed",
          "goal p90 ≤ 20 %",
          "checks",
        ],
        r.runs.map((x) => [
          fmt(x.shoppers),
          `${fmt(x.spreadMs / 1000, 1)} s`,
          `${fmt(x.admissionRate)}/s`,
          fmt(x.report.eta.samples),
          pc(x.report.eta.p50),
          pc(x.report.eta.p90),
          pc(x.report.eta.offByHalf),
          pc(x.report.eta.medianSigned),
          x.report.eta.p90 <= ETA_P90_GOAL ? "met" : "not met",
          surgeHeld(x.report) ? "ok" : "BAD",
        ]),
      ),
    ];
  },
};
