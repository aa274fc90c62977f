// A test file's own stack: a private redis-server (the test may flush, cut or stop it), a
// PostgreSQL database of its own (the loop rebuilds every event a lost Redis had, so it must
// see only this file's), and the in-process API and workers over the two. Set up before the
// file's tests and taken down after them.
import { afterAll, beforeAll } from "vitest";
import type { Deps } from "../../src/deps.js";
import { type LocalRedis, startLocalRedis } from "../../src/devstack/index.js";
import { startTestStack, type TestStack } from "./app.js";
import { type CuttableProxy, depsThrough, startCuttableProxy } from "./convergence.js";
import { type OwnDatabase, ownDatabase } from "./own-database.js";

export interface PrivateStack {
  stack: TestStack;
  redis: LocalRedis;
  database: OwnDatabase;
}

type StackOptions = Omit<NonNullable<Parameters<typeof startTestStack>[0]>, "env"> & {
  env?: Record<string, string>;
};

/** Registers the file's beforeAll/afterAll; read the parts from the returned object in tests. */
export function usePrivateStack(name: string, opts: StackOptions = {}): PrivateStack {
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

export interface ProxiedStack extends PrivateStack {
  /** A TCP proxy in front of the private redis-server that can cut or slow the link. */
  proxy: CuttableProxy;
  /** The dependencies of "another API process" whose Redis goes through the proxy. */
  throughProxy: Deps & { close(): Promise<void> };
}

/** usePrivateStack, plus a cuttable link to its Redis and a process's dependencies over it. */
export function useProxiedStack(name: string, opts: StackOptions = {}): ProxiedStack {
  const parts = usePrivateStack(name, opts) as ProxiedStack;
  beforeAll(async () => {
    parts.proxy = await startCuttableProxy(parts.redis.port);
    parts.throughProxy = await depsThrough(parts.stack.deps, parts.proxy);
  });
  // After hooks run in reverse: these go before the stack's own.
  afterAll(async () => {
    await parts.throughProxy?.close();
    await parts.proxy?.close();
  });
  return parts;
}
