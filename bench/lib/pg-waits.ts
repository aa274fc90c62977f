// What the bench database's connections are doing, sampled every 100 ms during a
// measurement (pg_stat_activity): running, waiting on a lock, on the WAL flush, idle in
// the pool, or inside a transaction waiting for the application. The evidence for whether
// PostgreSQL itself or the client side is what a figure runs into.
import pg from "pg";
import { BENCH_DATABASE_URL } from "./env.js";

export type WaitShares = Record<string, number>;

const SAMPLE = `
  SELECT CASE
           WHEN state = 'idle' THEN 'idle in the pool'
           WHEN state LIKE 'idle in transaction%' THEN 'in a transaction, waiting for the app'
           WHEN wait_event IS NULL THEN 'running'
           ELSE wait_event_type || ':' || wait_event
         END AS what, count(*)::int AS n
    FROM pg_stat_activity
   WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
   GROUP BY 1`;

export async function pgWaitSampler(): Promise<{ stop(): Promise<WaitShares> }> {
  const db = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await db.connect();
  const counts = new Map<string, number>();
  let samples = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const rows = await db.query<{ what: string; n: number }>(SAMPLE).catch(() => null);
      if (rows) {
        samples++;
        for (const r of rows.rows) counts.set(r.what, (counts.get(r.what) ?? 0) + r.n);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await db.end();
      // Average number of connections in each state.
      return Object.fromEntries(
        [...counts.entries()]
          .sort((a, b) => b[1] - a[1])
          .map(([k, n]) => [k, Math.round((10 * n) / Math.max(1, samples)) / 10]),
      );
    },
  };
}

export const formatWaits = (w: WaitShares | undefined) =>
  w
    ? Object.entries(w)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")
    : "—";
