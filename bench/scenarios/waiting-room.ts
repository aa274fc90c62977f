// `waiting-room`: 10,000 waiting sockets on one API process. 10,000 tickets join an event
// with a low admission rate and no worker, a Socket.IO client connects per ticket with
// its token, and the bench moves the event's served counter 4 times a second (as
// admissions would), so every waiting position changes between two of the API's pushes
// (every 500 ms, when changed). For ~10 s we record, each second, the share of sockets that
// got at least one `queue:position` in that second, and the API's memory per connection.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { Redis } from "ioredis";
import { keys } from "../../src/redis/keys.js";
import { type CpuShares, cpuSampler, formatCpu } from "../lib/cpu.js";
import { Admin, bootStack, joinMany } from "../lib/dropqueue.js";
import { BENCH_REDIS_URL, leafPid, rssOf } from "../lib/env.js";
import { percentiles } from "../lib/percentiles.js";
import { fmt, pct, progress, table } from "../lib/report.js";
import { connectSockets } from "../lib/sockets.js";
import type { Scenario } from "./types.js";

const SOCKETS = 10_000;
const MEASURE_SECONDS = 10;
const SERVED_EVERY_MS = 250;
const GOAL = 0.99;

export interface WaitingRoomResult {
  tickets: number;
  connected: number;
  connectFailed: number;
  /** Sockets that disconnected while measuring. */
  disconnected: number;
  connectSeconds: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  bytesPerConnection: number;
  /** Sockets whose position kept changing all through (their place stays above the served counter). */
  eligible: number;
  perSecondShare: number[];
  minShare: number;
  meanShare: number;
  /** Gaps between consecutive updates of one socket while measuring (ms). */
  gapMs: { p50: number; p99: number; max: number };
  updatesPerSecond: number;
  cpu: CpuShares;
  benchLoopDelayP99Ms: number;
}

export const waitingRoom: Scenario<WaitingRoomResult> = {
  name: "waiting-room",
  describe: `${fmt(SOCKETS)} waiting sockets on one API process: share updated each second, memory per connection`,
  async run() {
    const stack = await bootStack({ apis: 1, workers: 0 });
    const url = stack.apiUrls[0] ?? "";
    const admin = new Admin(url, stack.adminToken);
    const redis = new Redis(BENCH_REDIS_URL);
    let eventId = "";
    let close: () => void = () => undefined;
    try {
      eventId = await admin.createEvent({
        name: `bench waiting-room ${new Date().toISOString()}`,
        admissionRate: 50,
        products: [{ sku: "P1", stock: 1_000_000 }],
      });
      await admin.action(eventId, "start");
      const joined = await joinMany({
        url,
        eventId,
        sku: "P1",
        count: SOCKETS,
        userPrefix: "waiter",
        onProgress: (n) => progress("waiting-room", `joining ${fmt(n)}/${fmt(SOCKETS)}`),
      });
      const apiPid = leafPid(stack.processes[0]?.child.pid ?? 0);
      await new Promise((r) => setTimeout(r, 1000));
      const rssBefore = rssOf(apiPid);

      const updates = joined.tickets.map(() => [] as number[]);
      const connectedIndex = new Set<number>();
      const dropped = new Set<number>();
      const clients = await connectSockets({
        url,
        count: joined.tickets.length,
        auth: (i) => ({ ticketId: joined.tickets[i]?.ticketId ?? "", token: joined.tickets[i]?.token ?? "" }),
        setup: (socket, i) => {
          socket.on("queue:position", () => updates[i]?.push(performance.now()));
          socket.once("connect", () => connectedIndex.add(i));
          socket.once("disconnect", () => dropped.add(i));
        },
        deadlineMs: 90_000,
        onProgress: (n) => progress("waiting-room", `connecting ${fmt(n)}/${fmt(joined.tickets.length)}`),
      });
      close = () => clients.close();
      await new Promise((r) => setTimeout(r, 1000));
      const rssAfter = rssOf(apiPid);
      progress(
        "waiting-room",
        `${fmt(clients.sockets.length)} sockets connected; measuring ${MEASURE_SECONDS} s`,
        true,
      );
      const loop = monitorEventLoopDelay();
      loop.enable();
      const cpu = cpuSampler({ api: [apiPid] });
      const t0 = performance.now();
      const mover = setInterval(() => {
        void redis.hincrby(keys.stats(eventId), "served", 1);
      }, SERVED_EVERY_MS);
      await new Promise((r) => setTimeout(r, MEASURE_SECONDS * 1000 + 100));
      clearInterval(mover);
      const cpuShares = cpu.stop();
      loop.disable();
      const served = Number(await redis.hget(keys.stats(eventId), "served"));
      stack.assertRunning("while measuring");

      // A socket whose place reached the front stops moving (position 1): not counted.
      const eligible = [...connectedIndex].filter(
        (i) => (joined.tickets[i]?.position ?? 0) > served + 1 && !dropped.has(i),
      );
      const perSecondShare: number[] = [];
      let delivered = 0;
      for (let s = 0; s < MEASURE_SECONDS; s++) {
        const from = t0 + s * 1000;
        const to = from + 1000;
        let got = 0;
        for (const i of eligible) {
          const times = updates[i] ?? [];
          if (times.some((t) => t >= from && t < to)) got++;
        }
        perSecondShare.push(got / Math.max(1, eligible.length));
      }
      for (const i of connectedIndex)
        delivered += (updates[i] ?? []).filter((t) => t >= t0 && t < t0 + MEASURE_SECONDS * 1000).length;
      const gaps: number[] = [];
      for (const i of eligible) {
        const times = (updates[i] ?? []).filter((t) => t >= t0 && t < t0 + MEASURE_SECONDS * 1000);
        for (let k = 1; k < times.length; k++) gaps.push((times[k] ?? 0) - (times[k - 1] ?? 0));
      }
      const gapStats = percentiles(gaps);
      return {
        tickets: joined.tickets.length,
        connected: clients.sockets.length,
        connectFailed: clients.failed,
        disconnected: dropped.size,
        connectSeconds: Math.round(clients.seconds * 10) / 10,
        rssBeforeBytes: rssBefore,
        rssAfterBytes: rssAfter,
        bytesPerConnection: Math.round((rssAfter - rssBefore) / Math.max(1, clients.sockets.length)),
        eligible: eligible.length,
        perSecondShare: perSecondShare.map((x) => Math.round(x * 10_000) / 10_000),
        minShare: Math.min(...perSecondShare),
        meanShare: perSecondShare.reduce((a, b) => a + b, 0) / perSecondShare.length,
        gapMs: {
          p50: Math.round(gapStats.p50),
          p99: Math.round(gapStats.p99),
          max: Math.round(gapStats.max),
        },
        updatesPerSecond: Math.round(delivered / MEASURE_SECONDS),
        cpu: cpuShares,
        benchLoopDelayP99Ms: Math.round(loop.percentile(99) / 1e5) / 10,
      };
    } finally {
      close();
      if (eventId) await admin.stopQuietly(eventId);
      redis.disconnect();
      await stack.stop();
    }
  },
  tables(r, ctx) {
    const sio = ctx.walls?.socketio;
    const share = (x: number) => `${(100 * x).toFixed(2)} %`;
    return [
      table(
        `Waiting room: ${fmt(r.connected)} sockets on one API process, positions moving every ${SERVED_EVERY_MS} ms`,
        ["figure", "value", "goal / wall"],
        [
          [
            "sockets connected (failed, dropped)",
            `${fmt(r.connected)} (${fmt(r.connectFailed)}, ${fmt(r.disconnected)})`,
            `in ${fmt(r.connectSeconds, 1)} s`,
          ],
          [
            "share updated each second, min",
            share(r.minShare),
            `goal ≥ ${GOAL * 100} % (${fmt(r.eligible)} sockets whose place kept changing)`,
          ],
          ["share updated each second, mean", share(r.meanShare), ""],
          [
            "share updated each second, all",
            r.perSecondShare.map((x) => (100 * x).toFixed(1)).join(" "),
            "%",
          ],
          [
            "gap between a socket's updates",
            `p50 ${fmt(r.gapMs.p50)} · p99 ${fmt(r.gapMs.p99)} · max ${fmt(r.gapMs.max)} ms`,
            "the API pushes every 500 ms when changed",
          ],
          ["queue:position delivered", `${fmt(r.updatesPerSecond)}/s`, ""],
          [
            "API memory per connection",
            `${fmt(r.bytesPerConnection / 1024, 1)} KB`,
            sio
              ? `${pct(r.bytesPerConnection, sio.bytesPerConnection)} of bare Socket.IO (${fmt(sio.bytesPerConnection / 1024, 1)} KB)`
              : "",
          ],
          [
            "API RSS before → after connecting",
            `${fmt(r.rssBeforeBytes / 2 ** 20)} → ${fmt(r.rssAfterBytes / 2 ** 20)} MiB`,
            "",
          ],
        ],
      ),
      `CPU while measuring (% of one core): ${formatCpu(r.cpu)}; bench event-loop delay p99 ${r.benchLoopDelayP99Ms} ms`,
    ];
  },
};
