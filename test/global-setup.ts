// Vitest global setup: once per run, make sure the test database exists and carries every migration,
// then hand its URL to the tests (`inject("databaseUrl")`, and DATABASE_URL for code that reads the
// environment). Tests never reset it: each test makes its own ids instead.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import type { TestProject } from "vitest/node";
import { createDatabaseIfMissing } from "../src/db/databases.js";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
  }
}

const ROOT = fileURLToPath(new URL("..", import.meta.url)); // where prisma.config.ts is
const DEFAULT_TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/dropqueue_test";
// Redis database 1 is the tests' own: emptied at the start of every run, so queues and
// events of a development stack (database 0) never reach a test's workers, nor the reverse.
const DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/1";

export default async function setup(project: TestProject): Promise<void> {
  const databaseUrl = process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
  await createDatabaseIfMissing(databaseUrl);
  await runPrisma(["migrate", "deploy"], databaseUrl);
  project.provide("databaseUrl", databaseUrl);
  process.env.DATABASE_URL = databaseUrl; // test workers start after this and inherit it

  const redisUrl = process.env.TEST_REDIS_URL || DEFAULT_TEST_REDIS_URL;
  const redis = new Redis(redisUrl);
  await redis.flushdb();
  redis.disconnect();
  project.provide("redisUrl", redisUrl);
  process.env.REDIS_URL = redisUrl;
}

// `migrate deploy` and `migrate dev` finish in well under a second, then linger 10 s: the JS schema
// engine races `pg_advisory_lock` against a 10 s timer it never clears. In the CLI processes started
// here, such long timers stop keeping a finished process alive (they still fire while work is
// pending), which keeps the suite fast.
const UNREF_LONG_TIMERS = `--import=data:text/javascript,${encodeURIComponent(
  "const arm = globalThis.setTimeout;" +
    "globalThis.setTimeout = (fn, ms, ...args) => { const t = arm(fn, ms, ...args); if (ms >= 10000) t.unref(); return t; };",
)}`;

/** Runs the project's Prisma CLI against `databaseUrl`; rejects with its output on a non-zero exit. */
export async function runPrisma(args: string[], databaseUrl: string): Promise<{ stdout: string }> {
  const cli = [UNREF_LONG_TIMERS, "node_modules/prisma/build/index.js", ...args];
  const { stdout } = await promisify(execFile)(process.execPath, cli, {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(
      `prisma ${args.join(" ")} failed:\n${error.stdout ?? ""}${error.stderr ?? error.message}`,
    );
  });
  return { stdout };
}
