// One table of the headline figures of a run, each beside the wall it runs into.

import { fmt, pct, table } from "../lib/report.js";
import type { DbLockResult } from "./db-lock.js";
import { ETA_P90_GOAL, type EtaRun } from "./eta.js";
import { HELD_GOAL, type JoinResult, PEAK_GOAL } from "./join.js";
import { KEEP_PACE_GOAL_S, type KeepPaceResult } from "./keep-pace.js";
import type { PurchaseResult } from "./purchase.js";
import { SEED_RESULT_P99_GOAL_MS, SEED_WALL_GOAL_S, type SeedResult } from "./seed.js";
import type { Context } from "./types.js";
import type { WaitingRoomResult } from "./waiting-room.js";

/** The headline figures of the scenarios run now (`names`), beside their walls. */
export function summary(ctx: Context, names: string[]): string | undefined {
  const w = ctx.walls;
  const r = Object.fromEntries(names.map((n) => [n, ctx.results[n]]));
  const rows: (string | number)[][] = [];
  const met = (ok: boolean) => (ok ? "met" : "not met");
  const shareGoal = (value: number, wall: number | undefined, share: number) =>
    `≥ ${share * 100} %${wall ? `: ${met(value >= wall * share)}` : ""}`;
  for (const name of ["join", "join-limits"]) {
    const join = r[name] as JoinResult | undefined;
    if (!join) continue;
    const tag = name === "join" ? "limits off" : "limits on";
    rows.push([
      `join (${tag}): held, p99 ≤ 50 ms`,
      `${fmt(join.heldRate)}/s`,
      "Express hello-world",
      `${fmt(w?.expressRps)}/s`,
      pct(join.heldRate, w?.expressRps),
      shareGoal(join.heldRate, w?.expressRps, HELD_GOAL),
    ]);
    rows.push([
      `join (${tag}): peak answered`,
      `${fmt(join.peakRate)}/s`,
      "Express hello-world",
      `${fmt(w?.expressRps)}/s`,
      pct(join.peakRate, w?.expressRps),
      shareGoal(join.peakRate, w?.expressRps, PEAK_GOAL),
    ]);
    const step = join.steps.find((x) => x.rate === 1600);
    if (step)
      rows.push([
        `join (${tag}): 1,600/s step`,
        `${fmt(step.okPerSecond)}/s, p95 ${fmt(step.latencyMs.p95, 1)} · p99 ${fmt(step.latencyMs.p99, 1)} ms`,
        "reference",
        "1,591/s, p95 15 · p99 140 ms",
        "",
        "",
      ]);
  }
  const purchase = r.purchase as PurchaseResult | undefined;
  for (const run of purchase?.runs ?? []) {
    const label = `purchase: ${run.workers} worker${run.workers > 1 ? "s" : ""} × ${run.concurrency}`;
    rows.push([
      label,
      `${fmt(run.perSecond)}/s`,
      "PostgreSQL INSERT, 8 clients",
      `${fmt(w?.pgInsertTps)}/s`,
      pct(run.perSecond, w?.pgInsertTps),
      run.workers === 1 ? shareGoal(run.perSecond, w?.pgInsertTps, 0.3) : "",
    ]);
    rows.push([
      "",
      "",
      "BullMQ worker, empty jobs",
      `${fmt(w?.bullmqWorkerPerSecond)}/s`,
      pct(run.perSecond, w?.bullmqWorkerPerSecond),
      "",
    ]);
    rows.push([
      "",
      `${fmt(run.perOrder.redisCommands, 1)} Redis cmds/order`,
      "",
      "",
      "",
      `≤ 20: ${met(run.perOrder.redisCommands <= 20)}`,
    ]);
  }
  const dbLock = r["db-lock"] as DbLockResult | undefined;
  for (const run of dbLock?.runs ?? []) {
    rows.push([
      `db-lock: ${run.processes} process(es) × ${run.concurrency}`,
      `${fmt(run.perSecond)}/s`,
      "PostgreSQL INSERT, 8 clients",
      `${fmt(w?.pgInsertTps)}/s`,
      pct(run.perSecond, w?.pgInsertTps),
      "dropqueue ≥ 5 × this",
    ]);
  }
  const seed = r.seed as SeedResult | undefined;
  for (const { paymentFailureRate, report } of seed?.runs ?? []) {
    const tag = `seed (${paymentFailureRate * 100} % declined)`;
    rows.push([
      `${tag}: joins (closed loop, 256)`,
      `${fmt(report.joinsPerSecond)}/s`,
      "Express hello-world",
      `${fmt(w?.expressRps)}/s`,
      pct(report.joinsPerSecond, w?.expressRps),
      "",
    ]);
    rows.push([
      `${tag}: every outcome delivered in`,
      `${fmt(report.wallSeconds, 1)} s`,
      "",
      "",
      "",
      `≤ ${SEED_WALL_GOAL_S} s: ${met(report.wallSeconds <= SEED_WALL_GOAL_S)}`,
    ]);
    rows.push([
      `${tag}: result latency p99`,
      `${fmt(report.resultLatencyMs.p99)} ms`,
      "",
      "",
      "",
      `≤ ${SEED_RESULT_P99_GOAL_MS} ms: ${met(report.resultLatencyMs.p99 <= SEED_RESULT_P99_GOAL_MS)}`,
    ]);
  }
  const pace = r["keep-pace"] as KeepPaceResult | undefined;
  if (pace)
    rows.push([
      "keep-pace: last order − last join",
      `${fmt(pace.lagSeconds, 2)} s`,
      "",
      "",
      "",
      `≤ ${KEEP_PACE_GOAL_S} s: ${met(pace.lagSeconds <= KEEP_PACE_GOAL_S)}`,
    ]);
  const etaRuns = (r.eta as { runs: EtaRun[] } | undefined)?.runs ?? [];
  for (const run of etaRuns)
    rows.push([
      `eta: ${fmt(run.shoppers)} in ${run.spreadMs / 1000} s at ${run.admissionRate}/s`,
      `p90 ${Math.round(100 * run.report.eta.p90)} %, p50 ${Math.round(100 * run.report.eta.p50)} %`,
      "",
      "",
      `> ½ off: ${Math.round(100 * run.report.eta.offByHalf)} %`,
      `p90 ≤ ${ETA_P90_GOAL * 100} %: ${met(run.report.eta.p90 <= ETA_P90_GOAL)}`,
    ]);
  const room = r["waiting-room"] as WaitingRoomResult | undefined;
  if (room) {
    const sio = w?.socketio;
    rows.push([
      "waiting-room: memory per socket",
      `${fmt(room.bytesPerConnection / 1024, 1)} KB`,
      "bare Socket.IO",
      sio ? `${fmt(sio.bytesPerConnection / 1024, 1)} KB` : "—",
      pct(room.bytesPerConnection, sio?.bytesPerConnection),
      "",
    ]);
    rows.push([
      "waiting-room: updated each second",
      `min ${(100 * room.minShare).toFixed(1)} %`,
      "goal",
      "99 %",
      "",
      "",
    ]);
  }
  if (rows.length === 0) return undefined;
  return table(
    `Summary (shares of the walls ${ctx.wallsSource === "this run" ? "measured in this run" : `of ${ctx.wallsSource ?? "—"}`})`,
    ["figure", "value", "wall", "wall value", "share", "goal"],
    rows,
  );
}
