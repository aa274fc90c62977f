// Vitest global setup: once per run, make sure the test database exists and carries every migration,
// then hand its URL to the tests (`inject("databaseUrl")`, and DATABASE_URL for code that reads the
// environment). Tests never reset it: each test makes its own ids instead.
import { Redis } from "ioredis";
import type { TestProject } from "vitest/node";
import { createDatabaseIfMissing } from "../src/db/databases.js";
import { migrate } from "../src/devstack/index.js";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    redisUrl: string;
  }
}

const DEFAULT_TEST_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/dropqueue_test";
// Redis database 1 is the tests' own: emptied at the start of every run, so queues and
// events of a development stack (database 0) never reach a test's workers, nor the reverse.
const DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/1";

export default async function setup(project: TestProject): Promise<void> {
  const databaseUrl = process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
  await createDatabaseIfMissing(databaseUrl);
  await migrate(databaseUrl);
  project.provide("databaseUrl", databaseUrl);
  process.env.DATABASE_URL = databaseUrl; // test workers start after this and inherit it

  const redisUrl = process.env.TEST_REDIS_URL || DEFAULT_TEST_REDIS_URL;
  const redis = new Redis(redisUrl);
  await redis.flushdb();
  redis.disconnect();
  project.provide("redisUrl", redisUrl);
  process.env.REDIS_URL = redisUrl;
}
