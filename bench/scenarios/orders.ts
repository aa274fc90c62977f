// `orders`: the catalog's order endpoint (POST /api/orders) run the two ways the inventory team
// asked to compare (issue 14), over HTTP, one after the other on the same machine, with the same
// store, product, stock and concurrency:
//  - rowlock (ORDER_STOCK_MODE=rowlock): one PostgreSQL transaction per order, SELECT … FOR
//    UPDATE on the stock row, check, commit the units, insert the order (src/catalog/order-rowlock.ts);
//  - redis (the default): the stock core's atomic Lua take over the store's stock, its intent and
//    outcome recorded in PostgreSQL before the answer, then the order row (src/catalog/orders.service.ts).
// Two shapes per way, each a fixed number of orders sent over CONNECTIONS connections:
//  - "sell-out": 1 store × 1 product × 300 units, BUYERS buyers of one unit each;
//  - "in stock": the same with units for every order (each order placed).
// Figures: orders answered per second, p95/p99, units sold and oversold (from PostgreSQL; must be
// 0), and the ratio of the two ways; goal: the Redis way ≥ 5× the row-lock way at ≤ ⅕ its p99.
import pg from "pg";
import { Pool } from "undici";
import { bootStack, apiCall as call } from "../lib/dropqueue.js";
import { BENCH_DATABASE_URL } from "../lib/env.js";
import { type Percentiles, percentiles } from "../lib/percentiles.js";
import { fmt, progress, table } from "../lib/report.js";
import type { Scenario } from "./types.js";

const CONNECTIONS = 100;
const UNITS = 300;
const BUYERS = 3000;
const IN_STOCK_ORDERS = 3000;
/** Orders placed (not measured) first: the process compiles and its pools fill. */
const WARM_UP = 500;
const MODES = ["rowlock", "redis"] as const;
type Mode = (typeof MODES)[number];

export interface OrdersRun {
  mode: Mode;
  shape: string;
  orders: number;
  units: number;
  placed: number;
  soldOut: number;
  errors: number;
  seconds: number;
  perSecond: number;
  latencyMs: Percentiles;
  sold: number;
  oversold: number;
}

export interface OrdersResult {
  runs: OrdersRun[];
}

/** `count` requests over `connections` connections, as fast as they are answered; progress as it goes. */
async function drive(
  url: string,
  label: string,
  count: number,
  body: (i: number) => unknown,
  headers: Record<string, string>,
) {
  const pool = new Pool(url, { connections: CONNECTIONS, headersTimeout: 30_000, bodyTimeout: 30_000 });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  let done = 0;
  const start = performance.now();
  const ticker = setInterval(
    () => progress("orders", `${label}: ${fmt(done)} / ${fmt(count)} answered`),
    500,
  );
  try {
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (next < count) {
          const i = next++;
          const t0 = performance.now();
          const res = await pool.request({
            path: "/api/orders",
            method: "POST",
            headers,
            body: JSON.stringify(body(i)),
          });
          await res.body.dump();
          latencies.push(performance.now() - t0);
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          done++;
        }
      }),
    );
  } finally {
    clearInterval(ticker);
    await pool.close();
  }
  const seconds = (performance.now() - start) / 1000;
  return { statuses, seconds, latencyMs: percentiles(latencies) };
}

async function runMode(mode: Mode, cpuProfDir: string | undefined): Promise<OrdersRun[]> {
  progress("orders", `${mode}: starting an API process with ORDER_STOCK_MODE=${mode}`, true);
  const stack = await bootStack({
    apis: 1,
    workers: 0,
    env: { ORDER_STOCK_MODE: mode, SERVICE_RATE_LIMIT: "0", RATE_LIMIT_PER_SECOND: "0" },
    nodeArgs: cpuProfDir ? { api: ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}/api-${mode}`] } : undefined,
  });
  const url = stack.apiUrls[0] ?? "";
  const admin = (method: string, path: string, body?: unknown) =>
    call(url, stack.adminToken, method, path, body);
  const db = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await db.connect();
  try {
    const key = String(
      (await admin("POST", "/api/admin/service-keys", { name: `bench ${mode}`, scopes: ["orders"] })).key,
    );
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const runs: OrdersRun[] = [];
    for (const [shape, units, orders] of [
      ["warm-up", WARM_UP, WARM_UP],
      ["sell-out", UNITS, BUYERS],
      ["in stock", IN_STOCK_ORDERS, IN_STOCK_ORDERS],
    ] as const) {
      const tag = `${mode}-${shape.replace(" ", "-")}-${Date.now().toString(36)}`;
      const sku = `bench-${tag}`;
      await admin("POST", "/api/admin/products", { sku, name: `Bench ${shape}`, priceCents: 1999 });
      const store = String(
        (await admin("POST", "/api/admin/locations", { name: `Store ${tag}`, kind: "STORE" })).id,
      );
      await admin("POST", `/api/admin/locations/${store}/receipts`, {
        reference: `in-${tag}`,
        lines: [{ sku, quantity: units }],
      });
      const label = `${mode}, ${shape} (${fmt(units)} units, ${fmt(orders)} orders, ${CONNECTIONS} connections)`;
      progress("orders", `${label}: running`, true);
      const r = await drive(
        url,
        label,
        orders,
        (i) => ({
          reference: `${tag}-${i}`,
          userId: `buyer-${i}`,
          fulfilment: "PICKUP",
          storeId: store,
          lines: [{ sku, quantity: 1 }],
        }),
        headers,
      );
      stack.assertRunning(`during ${label}`);
      const { rows } = await db.query<{ sold: string }>(
        `SELECT coalesce(sum(l."quantity"), 0) AS sold FROM "CatalogOrderLine" l JOIN "CatalogOrder" o ON o.id = l."orderId"
         WHERE o."locationId" = $1 AND o."status" <> 'CANCELLED'`,
        [store],
      );
      const sold = Number(rows[0]?.sold ?? 0);
      const placed = r.statuses[201] ?? 0;
      const soldOut = r.statuses[409] ?? 0;
      const run: OrdersRun = {
        mode,
        shape,
        orders,
        units,
        placed,
        soldOut,
        errors: orders - placed - soldOut,
        seconds: r.seconds,
        perSecond: Math.round(orders / r.seconds),
        latencyMs: r.latencyMs,
        sold,
        oversold: Math.max(0, sold - units) + Math.max(0, placed - sold),
      };
      progress(
        "orders",
        `${label}: ${fmt(run.perSecond)} orders/s, p99 ${fmt(run.latencyMs.p99, 1)} ms, sold ${fmt(sold)}, oversold ${run.oversold}`,
        true,
      );
      if (shape !== "warm-up") runs.push(run);
    }
    return runs;
  } finally {
    await db.end();
    await stack.stop();
  }
}

export const orders: Scenario<OrdersResult> = {
  name: "orders",
  describe: `POST /api/orders the row-lock way and the Redis way: ${fmt(UNITS)} units × ${fmt(BUYERS)} buyers, and ${fmt(IN_STOCK_ORDERS)} orders in stock (${CONNECTIONS} connections)`,
  async run(ctx) {
    const runs: OrdersRun[] = [];
    for (const mode of MODES) runs.push(...(await runMode(mode, ctx.cpuProfDir)));
    return { runs };
  },
  tables(r) {
    const shapes = [...new Set(r.runs.map((x) => x.shape))];
    const rows = r.runs.map((x) => [
      x.shape,
      x.mode,
      fmt(x.orders),
      fmt(x.placed),
      fmt(x.soldOut),
      fmt(x.errors),
      fmt(x.perSecond),
      fmt(x.latencyMs.p95, 1),
      fmt(x.latencyMs.p99, 1),
      fmt(x.sold),
      fmt(x.oversold),
    ]);
    const ratios = shapes.map((shape) => {
      const lock = r.runs.find((x) => x.shape === shape && x.mode === "rowlock");
      const fast = r.runs.find((x) => x.shape === shape && x.mode === "redis");
      if (!lock || !fast) return [shape, "—", "—", "—"];
      const speed = fast.perSecond / Math.max(lock.perSecond, 1);
      const p99 = fast.latencyMs.p99 / Math.max(lock.latencyMs.p99, 0.1);
      const met = speed >= 5 && p99 <= 0.2 && fast.oversold === 0 && lock.oversold === 0;
      return [shape, `${speed.toFixed(1)}×`, `${(p99 * 100).toFixed(0)} %`, met ? "met" : "not met"];
    });
    return [
      table(
        `Catalog orders over HTTP, the two ways (${CONNECTIONS} connections; oversold from PostgreSQL, must be 0)`,
        [
          "shape",
          "way",
          "orders",
          "placed",
          "sold out",
          "errors",
          "orders/s",
          "p95 ms",
          "p99 ms",
          "sold",
          "oversold",
        ],
        rows,
      ),
      table(
        "Redis way against row-lock way (goal: ≥ 5× the throughput at ≤ 20 % of its p99, no oversell)",
        ["shape", "throughput ratio", "p99 of row-lock's", "goal"],
        ratios,
      ),
    ];
  },
};
