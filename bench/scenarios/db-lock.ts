// `db-lock`: the same purchases done the classic way, for comparison with `purchase`: one
// PostgreSQL transaction per purchase that locks the product's stock row (SELECT … FOR
// UPDATE), checks, decrements and inserts the order. No Redis, no queue. Same number of
// purchases, processes and concurrency as `purchase`, in scratch tables of its own
// (bench_dblock_stock, bench_dblock_order, recreated each run), with its correctness
// checked: no oversell, stock + orders add up, and a sold-out run sells exactly the stock.
import pg from "pg";
import { type CpuShares, cpuSampler, formatCpu } from "../lib/cpu.js";
import { BENCH_DATABASE_URL, leafPid, spawnTsx } from "../lib/env.js";
import { formatWaits, pgWaitSampler, type WaitShares } from "../lib/pg-waits.js";
import { fmt, pct, progress, table } from "../lib/report.js";
import {
  PURCHASE_STOCK,
  PURCHASE_TICKETS,
  type PurchaseResult,
  WORKER_CONCURRENCY,
  WORKER_COUNTS,
} from "./purchase.js";
import type { Scenario } from "./types.js";

/** Like a worker process: `WORKER_CONCURRENCY` purchases at once over a pool of 20 connections. */
const POOL_SIZE = 20;
const SOLD_OUT_STOCK = 1000;
const SOLD_OUT_PURCHASES = 2000;

export interface DbLockRun {
  processes: number;
  concurrency: number;
  purchases: number;
  stock: number;
  confirmed: number;
  soldOut: number;
  errors: number;
  seconds: number;
  perSecond: number;
  remaining: number;
  orders: number;
  oversold: number;
  ok: boolean;
  cpu: CpuShares;
  pgConnections: WaitShares;
}

export interface DbLockResult {
  runs: DbLockRun[];
  soldOutCheck: DbLockRun;
}

async function resetTables(db: pg.Client, stock: number) {
  await db.query("DROP TABLE IF EXISTS bench_dblock_order");
  await db.query("DROP TABLE IF EXISTS bench_dblock_stock");
  // No CHECK (remaining >= 0): the lock alone must keep the stock from going negative.
  await db.query(
    "CREATE TABLE bench_dblock_stock (sku text PRIMARY KEY, total integer NOT NULL, remaining integer NOT NULL, price_cents integer NOT NULL)",
  );
  await db.query(`CREATE TABLE bench_dblock_order (
    id bigserial PRIMARY KEY, sku text NOT NULL, user_id text NOT NULL, quantity integer NOT NULL,
    amount_cents integer NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), UNIQUE (sku, user_id))`);
  await db.query("INSERT INTO bench_dblock_stock VALUES ('P1', $1, $1, 9900)", [stock]);
}

async function runOnce(
  db: pg.Client,
  processes: number,
  purchases: number,
  stock: number,
): Promise<DbLockRun> {
  await resetTables(db, stock);
  const share = Math.ceil(purchases / processes);
  const children = Array.from({ length: processes }, (_, k) =>
    spawnTsx("bench/lib/dblock-child.ts", [
      JSON.stringify({
        databaseUrl: BENCH_DATABASE_URL,
        sku: "P1",
        from: k * share,
        count: Math.min(share, purchases - k * share),
        concurrency: WORKER_CONCURRENCY,
        poolSize: POOL_SIZE,
      }),
    ]),
  );
  try {
    for (const c of children) await c.nextLine();
    const cpu = cpuSampler({ processes: children.map((c) => leafPid(c.child.pid ?? 0)) });
    const waits = await pgWaitSampler();
    const t0 = performance.now();
    for (const c of children) c.child.stdin?.write("go\n");
    const ticker = setInterval(async () => {
      const n = await db
        .query<{ n: string }>("SELECT count(*) AS n FROM bench_dblock_order")
        .catch(() => null);
      progress(
        "db-lock",
        `${processes} process(es): ${fmt(Number(n?.rows[0]?.n ?? 0))}/${fmt(purchases)} purchases`,
      );
    }, 500);
    const answers = await Promise.all(children.map(async (c) => JSON.parse(await c.nextLine(120_000))));
    clearInterval(ticker);
    const seconds = (performance.now() - t0) / 1000;
    const cpuShares = cpu.stop();
    const pgConnections = await waits.stop();
    for (const c of children) c.child.stdin?.end();
    const sum = (k: string) => answers.reduce((s, a) => s + Number(a[k] ?? 0), 0);
    const remaining = Number(
      (await db.query<{ remaining: number }>("SELECT remaining FROM bench_dblock_stock WHERE sku = 'P1'"))
        .rows[0]?.remaining,
    );
    const orders = Number(
      (await db.query<{ n: string }>("SELECT count(*) AS n FROM bench_dblock_order")).rows[0]?.n ?? 0,
    );
    const confirmed = sum("confirmed");
    const expected = Math.min(purchases, stock);
    return {
      processes,
      concurrency: WORKER_CONCURRENCY,
      purchases,
      stock,
      confirmed,
      soldOut: sum("soldOut"),
      errors: sum("errors"),
      seconds: Math.round(seconds * 100) / 100,
      perSecond: Math.round(confirmed / seconds),
      remaining,
      orders,
      oversold: Math.max(0, orders - stock),
      ok: orders === confirmed && orders === expected && remaining + orders === stock && remaining >= 0,
      cpu: cpuShares,
      pgConnections,
    };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

export const dbLock: Scenario<DbLockResult> = {
  name: "db-lock",
  describe:
    "the classic way: one PostgreSQL transaction per purchase with SELECT … FOR UPDATE, beside `purchase`",
  async run() {
    const db = new pg.Client({ connectionString: BENCH_DATABASE_URL });
    await db.connect();
    try {
      const runs: DbLockRun[] = [];
      for (const processes of WORKER_COUNTS) {
        runs.push(await runOnce(db, processes, PURCHASE_TICKETS, PURCHASE_STOCK));
        progress("db-lock", `${processes} process(es): ${fmt(runs.at(-1)?.perSecond)} purchases/s`, true);
      }
      progress(
        "db-lock",
        `sold-out check: ${fmt(SOLD_OUT_PURCHASES)} purchases for ${fmt(SOLD_OUT_STOCK)} units`,
        true,
      );
      const soldOutCheck = await runOnce(db, 2, SOLD_OUT_PURCHASES, SOLD_OUT_STOCK);
      await db.query("DROP TABLE IF EXISTS bench_dblock_order");
      await db.query("DROP TABLE IF EXISTS bench_dblock_stock");
      return { runs, soldOutCheck };
    } finally {
      await db.end();
    }
  },
  tables(r, ctx) {
    const purchaseRuns = (ctx.results.purchase as PurchaseResult | undefined)?.runs ?? [];
    const rows = r.runs.map((run) => {
      const dq = purchaseRuns.find((p) => p.workers === run.processes);
      return [
        `${run.processes} × ${run.concurrency}`,
        fmt(run.perSecond),
        fmt(dq?.perSecond),
        dq ? `${(dq.perSecond / run.perSecond).toFixed(2)} ×` : "—",
        pct(run.perSecond, ctx.walls?.pgInsertTps),
        `${fmt(run.orders)} orders, ${fmt(run.remaining)} left, oversold ${run.oversold}${run.errors ? `, ${run.errors} errors` : ""}`,
        run.ok ? "ok" : "BAD",
      ];
    });
    const s = r.soldOutCheck;
    return [
      table(
        `Row lock vs dropqueue (${fmt(PURCHASE_TICKETS)} purchases of one product, stock ${fmt(PURCHASE_STOCK)}; processes × concurrency, pool of ${POOL_SIZE} each)`,
        [
          "processes",
          "db-lock/s",
          "dropqueue/s",
          "dropqueue ÷ db-lock",
          "db-lock of PG wall",
          "db-lock state",
          "check",
        ],
        rows,
      ),
      [
        ...(ctx.priorFiles.purchase
          ? [`dropqueue figures from bench/results/${ctx.priorFiles.purchase}`]
          : []),
        `Sold-out check: ${fmt(s.purchases)} purchases for ${fmt(s.stock)} units → ${fmt(s.orders)} orders, ${fmt(s.soldOut)} sold out, ${fmt(s.remaining)} left, oversold ${s.oversold}: ${s.ok ? "ok" : "BAD"}`,
        ...r.runs.flatMap((run) => [
          `CPU with ${run.processes} process(es) (% of one core): ${formatCpu(run.cpu)}`,
          `  PostgreSQL connections (average number): ${formatWaits(run.pgConnections)}`,
        ]),
      ].join("\n"),
    ];
  },
};
