// Work done by Redis and PostgreSQL during a measurement: commands Redis processed (all
// databases: a test run next door adds to it) and transactions committed and rows inserted
// in the bench database (pg_stat_database, flushed by backends about once a second).
import { Redis } from "ioredis";
import pg from "pg";
import { BENCH_DATABASE_URL, BENCH_REDIS_URL } from "./env.js";

export interface Counters {
  redisCommands: number;
  pgCommits: number;
  pgRowsInserted: number;
}

export async function readCounters(): Promise<Counters> {
  const redis = new Redis(BENCH_REDIS_URL);
  const db = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await db.connect();
  try {
    const info = await redis.info("stats");
    const stats = await db.query<{ xact_commit: string; tup_inserted: string }>(
      "SELECT xact_commit, tup_inserted FROM pg_stat_database WHERE datname = current_database()",
    );
    return {
      redisCommands: Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0),
      pgCommits: Number(stats.rows[0]?.xact_commit ?? 0),
      pgRowsInserted: Number(stats.rows[0]?.tup_inserted ?? 0),
    };
  } finally {
    await db.end();
    redis.disconnect();
  }
}

export function perUnit(before: Counters, after: Counters, units: number): Counters {
  const per = (k: keyof Counters) => Math.round(((after[k] - before[k]) / Math.max(1, units)) * 10) / 10;
  return {
    redisCommands: per("redisCommands"),
    pgCommits: per("pgCommits"),
    pgRowsInserted: per("pgRowsInserted"),
  };
}
