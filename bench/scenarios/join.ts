// `join`: the join path under open-loop load at rising offered rates. One API process,
// no worker (nothing is admitted: this measures joining), a product with plenty of stock,
// a distinct user per request so every join creates a ticket. Per rate: what was answered
// per second, latency from when each request was due, errors and drops.
// `join-limits`: the same with the per-client rate limits on, as shipped
// (RATE_LIMIT_PER_SECOND 50), behind a trusted proxy (TRUST_PROXY=loopback): each simulated
// shopper sends its own client address in X-Forwarded-For, as nginx would.
import { type Counters, perUnit, readCounters } from "../lib/counters.js";
import { type CpuShares, cpuSampler, formatCpu } from "../lib/cpu.js";
import { Admin, bootStack } from "../lib/dropqueue.js";
import { leafPid } from "../lib/env.js";
import { createPool, type LoadResult, openLoop } from "../lib/load.js";
import { fmt, pct, progress, table } from "../lib/report.js";
import { clientAddressOf } from "../lib/surge-run.js";
import type { Scenario } from "./types.js";

export const JOIN_RATES = [100, 250, 500, 1000, 1600, 2000, 5000, 10_000];
/** Goals, as shares of the Express hello-world wall measured in the same run. */
export const HELD_GOAL = 0.6;
export const PEAK_GOAL = 0.75;
/** The per-client join limit as shipped (RATE_LIMIT_PER_SECOND's default). */
const SHIPPED_RATE_LIMIT = 50;
const WARM_UP_MS = 5000;
const STEP_MS = 3000;
const MAX_IN_FLIGHT = 2000;
const P99_GOAL_MS = 50;

export interface JoinStep extends LoadResult {
  rate: number;
  cpu: CpuShares;
  /** Redis commands, PostgreSQL commits and rows inserted per answered join. */
  perJoin: Counters;
}

export interface JoinResult {
  steps: JoinStep[];
  /** Highest offered rate answered in full (≥ 99 % 2xx, nothing dropped) with p99 ≤ 50 ms. */
  heldRate: number;
  /** Most joins answered per second at any step. */
  peakRate: number;
  ticketsCreated: number;
}

const failures = (s: LoadResult) =>
  Object.values(s.statusErrors).reduce((a, b) => a + b, 0) + s.transportErrors + s.unanswered;

export const join = joinScenario(false);
export const joinLimits = joinScenario(true);

function joinScenario(limits: boolean): Scenario<JoinResult> {
  const name = limits ? "join-limits" : "join";
  const label = limits
    ? `per-client limits on (${SHIPPED_RATE_LIMIT}/s), a client address per shopper via X-Forwarded-For`
    : "per-client limits off";
  return {
    name,
    describe: `open-loop joins at ${JOIN_RATES.map((r) => fmt(r)).join(", ")} /s, ${STEP_MS / 1000} s each (${label}): achieved rate, latency, errors`,
    async run(ctx) {
      const stack = await bootStack({
        apis: 1,
        workers: 0,
        env: limits
          ? { RATE_LIMIT_PER_SECOND: String(SHIPPED_RATE_LIMIT), TRUST_PROXY: "loopback" }
          : undefined,
        nodeArgs: ctx.cpuProfDir
          ? { api: ["--cpu-prof", `--cpu-prof-dir=${ctx.cpuProfDir}/${name}`] }
          : undefined,
      });
      const url = stack.apiUrls[0] ?? "";
      const admin = new Admin(url, stack.adminToken);
      const pool = createPool(url, 256);
      let eventId = "";
      try {
        eventId = await admin.createEvent({
          name: `bench join ${new Date().toISOString()}`,
          admissionRate: 1,
          products: [{ sku: "P1", stock: 10_000_000 }],
        });
        await admin.action(eventId, "start");
        const request = (prefix: string) => (i: number) => ({
          path: `/api/events/${eventId}/tickets`,
          method: "POST" as const,
          headers: {
            "content-type": "application/json",
            ...(limits ? { "x-forwarded-for": clientAddressOf(`${prefix}-${i}`) } : {}),
          },
          body: JSON.stringify({ userId: `${prefix}-${i}`, sku: "P1" }),
        });
        // Long enough for V8 to optimise the hot paths on this machine: with 1 s, the first
        // steps measured the compiler's threads as much as the joins.
        progress(name, `warming up: ${WARM_UP_MS / 1000} s at 500 joins/s`, true);
        await openLoop({
          pool,
          rate: 500,
          durationMs: WARM_UP_MS,
          maxInFlight: MAX_IN_FLIGHT,
          request: request("warm"),
        });

        const apiPid = leafPid(stack.processes[0]?.child.pid ?? 0);
        const steps: JoinStep[] = [];
        for (const rate of JOIN_RATES) {
          const before = await readCounters();
          const cpu = cpuSampler({ api: [apiPid] });
          const r = await openLoop({
            pool,
            rate,
            durationMs: STEP_MS,
            maxInFlight: MAX_IN_FLIGHT,
            drainMs: 10_000,
            request: request(`r${rate}`),
            onTick: (t) =>
              progress(
                name,
                `${fmt(rate)}/s offered: ${fmt(t.offered)} sent, ${fmt(t.ok)} answered, ${fmt(t.inFlight)} in flight`,
              ),
          });
          const cpuShares = cpu.stop();
          progress(
            name,
            `${fmt(rate)}/s offered → ${fmt(r.okPerSecond)}/s answered, p99 ${r.latencyMs.p99} ms`,
            true,
          );
          // PostgreSQL's statistics reach pg_stat_database about once a second.
          await new Promise((resolve) => setTimeout(resolve, 1200));
          steps.push({ rate, ...r, cpu: cpuShares, perJoin: perUnit(before, await readCounters(), r.ok) });
          stack.assertRunning(`during the ${fmt(rate)}/s step`);
        }
        const held = steps.filter(
          (s) =>
            s.latencyMs.p99 <= P99_GOAL_MS &&
            s.dropped === 0 &&
            failures(s) <= s.offered * 0.01 &&
            s.ok >= s.offered * 0.99,
        );
        return {
          steps,
          heldRate: Math.max(0, ...held.map((s) => s.rate)),
          peakRate: Math.max(0, ...steps.map((s) => s.okPerSecond)),
          ticketsCreated: steps.reduce((sum, s) => sum + s.ok, 0),
        };
      } finally {
        await pool.close();
        if (eventId) await admin.stopQuietly(eventId);
        await stack.stop();
      }
    },
    tables(r, ctx) {
      const wall = ctx.walls?.expressRps;
      const rows = r.steps.map((s) => [
        fmt(s.rate),
        fmt(s.okPerSecond),
        fmt(s.latencyMs.p50, 1),
        fmt(s.latencyMs.p95, 1),
        fmt(s.latencyMs.p99, 1),
        fmt(s.latencyMs.max, 1),
        fmt(failures(s)),
        fmt(s.dropped),
        pct(s.okPerSecond, wall),
        `${s.cpu.api ?? "—"} %`,
        fmt(s.perJoin.redisCommands, 1),
        fmt(s.perJoin.pgCommits, 2),
      ]);
      return [
        table(
          `Join, ${label} (open loop, ${STEP_MS / 1000} s per rate, ≤ ${fmt(MAX_IN_FLIGHT)} in flight; latency from when each request was due)`,
          [
            "offered/s",
            "answered/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "errors",
            "dropped",
            "of Express wall",
            "API CPU",
            "Redis cmds/join",
            "PG commits/join",
          ],
          rows,
        ),
        [
          `Highest rate held with p99 ≤ ${P99_GOAL_MS} ms: ${fmt(r.heldRate)} joins/s (${pct(r.heldRate, wall)} of the Express hello-world wall, ${fmt(wall)} req/s; goal ≥ ${HELD_GOAL * 100} %${goalMet(r.heldRate, wall, HELD_GOAL)})`,
          `Peak answered: ${fmt(r.peakRate)} joins/s (${pct(r.peakRate, wall)} of Express, ${pct(r.peakRate, ctx.walls?.nodeHttpRps)} of node:http; goal ≥ ${PEAK_GOAL * 100} % of Express${goalMet(r.peakRate, wall, PEAK_GOAL)})`,
          ...r.steps.map((s) => `CPU at ${fmt(s.rate)}/s offered (% of one core): ${formatCpu(s.cpu)}`),
        ].join("\n"),
      ];
    },
  };
}

/** ": met" / ": not met" beside a goal stated as a share of a wall. */
export function goalMet(value: number, wall: number | undefined, share: number): string {
  if (!wall) return "";
  return value >= wall * share ? ": met" : ": not met";
}
