// `stock`: synchronous takes of the stock core (src/stock/) over HTTP, as another service's
// checkout calls them with its service key. One API process, no worker. Two shapes, each a
// closed loop of 100 connections for a few seconds, every take with a reference of its own:
//  - one hot stock (every take on the same counter: the Lua step's keys in one slot);
//  - 1,000 stocks (takes spread over them: what a voucher shop with many denominations does).
// Each take is recorded in PostgreSQL before it is answered (its intent, then its outcome).
// Figures: takes/s and p50/p99, as shares of the Express wall and of the Redis EVALSHA wall
// measured in the same run (`walls`); goal: ≥ 50 % of the Express wall at p99 ≤ 20 ms.
import { bootStack, apiCall as call } from "../lib/dropqueue.js";
import { closedLoop, type LoadResult } from "../lib/load.js";
import { fmt, progress, table } from "../lib/report.js";
import type { Context, Scenario } from "./types.js";

const CONNECTIONS = 100;
const SECONDS = 5;
const MANY = 1000;

export interface StockShape {
  shape: string;
  stocks: number;
  takesPerSecond: number;
  taken: number;
  refused: number;
  otherErrors: number;
  p50Ms: number;
  p99Ms: number;
  oversold: number;
}

export interface StockResult {
  shapes: StockShape[];
}

export const stock: Scenario<StockResult> = {
  name: "stock",
  describe: `takes over HTTP with a service key: one hot stock, and ${fmt(MANY)} stocks (${CONNECTIONS} connections, ${SECONDS} s each)`,
  async run(ctx) {
    const stack = await bootStack({
      apis: 1,
      workers: 0,
      env: { SERVICE_RATE_LIMIT: "0" },
      nodeArgs: ctx.cpuProfDir
        ? { api: ["--cpu-prof", `--cpu-prof-dir=${ctx.cpuProfDir}/stock`] }
        : undefined,
    });
    const url = stack.apiUrls[0] ?? "";
    const admin = (method: string, path: string, body?: unknown) =>
      call(url, stack.adminToken, method, path, body);
    try {
      const key = String(
        (await admin("POST", "/api/admin/service-keys", { name: "bench checkout", scopes: ["stocks"] })).key,
      );
      const shapes: StockShape[] = [];
      for (const [shape, count] of [
        ["one hot stock", 1],
        [`${fmt(MANY)} stocks`, MANY],
      ] as const) {
        progress("stock", `${shape}: creating and confirming ${fmt(count)} stock(s)`, true);
        const total = count === 1 ? 10_000_000 : 100_000;
        const ids: string[] = [];
        for (let i = 0; i < count; i++) {
          const s = await admin("POST", "/api/admin/stocks", { name: `bench ${shape} ${i}`, total });
          await admin("POST", `/api/admin/stocks/${s.id}/confirm`);
          ids.push(String(s.id));
        }
        const run = `${Date.now().toString(36)}`;
        const request = (i: number) => ({
          path: `/api/stocks/${ids[i % ids.length]}/takes`,
          method: "POST" as const,
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ reference: `bench-${run}-${i}`, quantity: 1 }),
        });
        progress("stock", `${shape}: warming up`, true);
        await closedLoop({
          url,
          connections: CONNECTIONS,
          durationMs: 1000,
          request: (i) => request(i + 50_000_000),
        });
        progress("stock", `${shape}: ${CONNECTIONS} connections for ${SECONDS} s`, true);
        const r: LoadResult = await closedLoop({
          url,
          connections: CONNECTIONS,
          durationMs: SECONDS * 1000,
          request,
        });
        // Oversold: what any stock shows taken beyond its total (must be 0).
        let oversold = 0;
        for (const id of ids.slice(0, 50)) {
          const s = await admin("GET", `/api/admin/stocks/${id}`);
          oversold += Math.max(0, Number(s.held) + Number(s.taken) - Number(s.total));
        }
        const refused = (r.statusErrors["409"] ?? 0) + (r.statusErrors["422"] ?? 0);
        const errors = Object.values(r.statusErrors).reduce((a, b) => a + b, 0) - refused + r.transportErrors;
        shapes.push({
          shape,
          stocks: count,
          takesPerSecond: Math.round(r.okPerSecond),
          taken: r.ok,
          refused,
          otherErrors: errors,
          p50Ms: r.latencyMs.p50,
          p99Ms: r.latencyMs.p99,
          oversold,
        });
        progress("stock", `${shape}: ${fmt(r.okPerSecond)} takes/s, p99 ${fmt(r.latencyMs.p99, 1)} ms`, true);
      }
      return { shapes };
    } finally {
      await stack.stop();
    }
  },
  tables(r, ctx: Context) {
    const w = ctx.walls;
    const share = (v: number, wall?: number) => (wall ? `${Math.round((100 * v) / wall)} %` : "—");
    return [
      table(
        `Stock takes over HTTP (closed loop, ${CONNECTIONS} connections, ${SECONDS} s; each recorded in PostgreSQL before it is answered)`,
        [
          "shape",
          "takes/s",
          "of Express wall",
          "of Redis wall",
          "p50 ms",
          "p99 ms",
          "errors",
          "oversold",
          "goal",
        ],
        r.shapes.map((s) => [
          s.shape,
          fmt(s.takesPerSecond),
          share(s.takesPerSecond, w?.expressRps),
          share(s.takesPerSecond, w?.redisEvalsha),
          fmt(s.p50Ms, 1),
          fmt(s.p99Ms, 1),
          fmt(s.otherErrors),
          fmt(s.oversold),
          "≥ 50 % of Express at p99 ≤ 20 ms",
        ]),
      ),
    ];
  },
};
