// One process of the `db-lock` benchmark: purchases done the classic way, one PostgreSQL
// transaction each (SELECT … FOR UPDATE the stock row, check, decrement, insert the order).
// Argument: a JSON object {databaseUrl, sku, from, count, concurrency, poolSize}. Prints
// {"ready":true} once its pool is connected, starts on a `go` line on stdin, then prints
// {"confirmed","soldOut","errors","seconds"} and keeps its connections until stdin ends
// (so the parent can read this process's and its PostgreSQL backends' CPU time first).
import { createInterface } from "node:readline";
import pg from "pg";

const opts = JSON.parse(process.argv[2] ?? "{}") as {
  databaseUrl: string;
  sku: string;
  from: number;
  count: number;
  concurrency: number;
  poolSize: number;
};

const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: opts.poolSize });
await Promise.all(Array.from({ length: opts.poolSize }, () => pool.query("SELECT 1")));
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
const stdin = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => {
  stdin.on("line", (line) => {
    if (line === "go") resolve();
  });
});

let confirmed = 0;
let soldOut = 0;
let errors = 0;
async function buy(userId: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    const stock = await client.query<{ remaining: number; price_cents: number }>(
      "SELECT remaining, price_cents FROM bench_dblock_stock WHERE sku = $1 FOR UPDATE",
      [opts.sku],
    );
    const row = stock.rows[0];
    if (!row || row.remaining < 1) {
      await client.query("ROLLBACK");
      soldOut++;
      return;
    }
    await client.query("UPDATE bench_dblock_stock SET remaining = remaining - 1 WHERE sku = $1", [opts.sku]);
    await client.query(
      "INSERT INTO bench_dblock_order (sku, user_id, quantity, amount_cents) VALUES ($1, $2, 1, $3)",
      [opts.sku, userId, row.price_cents],
    );
    await client.query("COMMIT");
    confirmed++;
  } catch {
    errors++;
    await client.query("ROLLBACK").catch(() => undefined);
  } finally {
    client.release();
  }
}

const start = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: opts.concurrency }, async () => {
    while (next < opts.count) await buy(`user-${opts.from + next++}`);
  }),
);
const seconds = (performance.now() - start) / 1000;
process.stdout.write(`${JSON.stringify({ confirmed, soldOut, errors, seconds })}\n`);
await new Promise((resolve) => stdin.once("close", resolve));
await pool.end();
process.exit(0);
