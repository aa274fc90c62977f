// A Redis server of a test's own (the system's /usr/bin/redis-server on a free port,
// nothing kept on disk), for tests that must not share keys, queues or workers with the
// rest of the suite, or that stop Redis. Never the shared server on 6379.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { freePort } from "../../bench/lib/stack.js";

const REDIS_SERVER = process.env.REDIS_SERVER ?? "/usr/bin/redis-server";

export interface PrivateRedis {
  readonly port: number;
  /** redis://127.0.0.1:<port>/<db> */
  url(db?: number): string;
  /** Stops the server (SIGKILL: its memory, the whole state, is gone). */
  stop(): Promise<void>;
  /** Starts it again, empty, on the same port. */
  start(): Promise<void>;
  /** Stops it and removes its directory. Safe to call more than once. */
  destroy(): Promise<void>;
}

async function answers(port: number): Promise<boolean> {
  const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "dropqueue-redis-"));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const alive = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const killOnExit = () => {
    if (alive()) child?.kill("SIGKILL");
  };
  process.once("exit", killOnExit);

  const start = async () => {
    if (alive()) return;
    const proc = spawn(
      REDIS_SERVER,
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
      { stdio: "ignore" },
    );
    child = proc;
    exited = new Promise((resolve) => proc.once("exit", () => resolve()));
    const deadline = Date.now() + 10_000;
    while (!(await answers(port))) {
      if (proc.exitCode !== null || Date.now() > deadline)
        throw new Error(`private redis-server did not start on port ${port}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const stop = async () => {
    if (!alive()) return;
    child?.kill("SIGKILL");
    await exited;
  };

  try {
    await start();
  } catch (err) {
    await stop();
    await rm(dir, { recursive: true, force: true });
    process.removeListener("exit", killOnExit);
    throw err;
  }
  return {
    port,
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    stop,
    start,
    async destroy() {
      await stop();
      process.removeListener("exit", killOnExit);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
