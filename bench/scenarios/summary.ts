// One table of the headline figures of a run, each beside the wall it runs into.

import { fmt, pct, table } from "../lib/report.js";
import type { SurgeReport } from "../lib/surge-run.js";
import type { DbLockResult } from "./db-lock.js";
import type { JoinResult } from "./join.js";
import type { PurchaseResult } from "./purchase.js";
import type { Context } from "./types.js";
import type { WaitingRoomResult } from "./waiting-room.js";

/** The headline figures of the scenarios run now (`names`), beside their walls. */
export function summary(ctx: Context, names: string[]): string | undefined {
  const w = ctx.walls;
  const r = Object.fromEntries(names.map((n) => [n, ctx.results[n]]));
  const rows: (string | number)[][] = [];
  const join = r.join as JoinResult | undefined;
  if (join) {
    rows.push([
      "join: peak answered",
      `${fmt(join.peakRate)}/s`,
      "Express hello-world",
      `${fmt(w?.expressRps)}/s`,
      pct(join.peakRate, w?.expressRps),
    ]);
    rows.push([
      "join: held with p99 ≤ 50 ms",
      `${fmt(join.heldRate)}/s`,
      "Express hello-world",
      `${fmt(w?.expressRps)}/s`,
      pct(join.heldRate, w?.expressRps),
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
    ]);
    rows.push([
      "",
      "",
      "BullMQ worker, empty jobs",
      `${fmt(w?.bullmqWorkerPerSecond)}/s`,
      pct(run.perSecond, w?.bullmqWorkerPerSecond),
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
    ]);
  }
  const seed = r.seed as SurgeReport | undefined;
  if (seed) {
    rows.push([
      "seed: joins (closed loop, 256)",
      `${fmt(seed.joinsPerSecond)}/s`,
      "Express hello-world",
      `${fmt(w?.expressRps)}/s`,
      pct(seed.joinsPerSecond, w?.expressRps),
    ]);
    rows.push(["seed: every outcome delivered in", `${fmt(seed.wallSeconds, 1)} s`, "", "", ""]);
  }
  const room = r["waiting-room"] as WaitingRoomResult | undefined;
  if (room) {
    const sio = w?.socketio;
    rows.push([
      "waiting-room: memory per socket",
      `${fmt(room.bytesPerConnection / 1024, 1)} KB`,
      "bare Socket.IO",
      sio ? `${fmt(sio.bytesPerConnection / 1024, 1)} KB` : "—",
      pct(room.bytesPerConnection, sio?.bytesPerConnection),
    ]);
    rows.push([
      "waiting-room: updated each second",
      `min ${(100 * room.minShare).toFixed(1)} %`,
      "goal",
      "99 %",
      "",
    ]);
  }
  if (rows.length === 0) return undefined;
  return table(
    `Summary (shares of the walls ${ctx.wallsSource === "this run" ? "measured in this run" : `of ${ctx.wallsSource ?? "—"}`})`,
    ["figure", "value", "wall", "wall value", "share"],
    rows,
  );
}
