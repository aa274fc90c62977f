// A test file's own stack: a private redis-server (the test may flush, cut or stop it), a
// PostgreSQL database of its own (the loop rebuilds every event a lost Redis had, so it must
// see only this file's), and the in-process API and workers over the two. Set up before the
// file's tests and taken down after them.
import { afterAll, beforeAll } from "vitest";
import { type LocalRedis, startLocalRedis } from "../../src/devstack/index.js";
import { startTestStack, type TestStack } from "./app.js";
import { type OwnDatabase, ownDatabase } from "./own-database.js";

export interface PrivateStack {
  stack: TestStack;
  redis: LocalRedis;
  database: OwnDatabase;
}

/** Registers the file's beforeAll/afterAll; read the parts from the returned object in tests. */
export function usePrivateStack(
  name: string,
  opts: Omit<NonNullable<Parameters<typeof startTestStack>[0]>, "env"> & {
    env?: Record<string, string>;
  } = {},
): PrivateStack {
  const parts = {} as PrivateStack;
  beforeAll(async () => {
    parts.database = await ownDatabase(name);
    parts.redis = await startLocalRedis();
    parts.stack = await startTestStack({
      ...opts,
      env: { ...opts.env, REDIS_URL: parts.redis.url(), DATABASE_URL: parts.database.url },
    });
  });
  afterAll(async () => {
    await parts.stack?.close();
    await parts.redis?.destroy();
    await parts.database?.drop();
  });
  return parts;
}
