// A redis-server of our own (the system's binary, on a free port, nothing kept on disk) for the
// demo, the benchmarks and the tests that must not share the server on 6379 or that stop Redis.
import { access, constants, mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { freePort, poll } from "./ports.js";
import { indent, type LocalProcess, startProcess } from "./processes.js";

export interface LocalRedis {
  readonly port: number;
  /** redis://127.0.0.1:<port>/<db> */
  url(db?: number): string;
  readonly process: LocalProcess | undefined;
  /** Stops the server (SIGKILL: its memory, the whole state, is gone). */
  stop(): Promise<void>;
  /** Starts it again, empty, on the same port. */
  start(): Promise<void>;
  /** Stops it and removes its directory when it made one. Safe to call more than once. */
  destroy(): Promise<void>;
}

export interface LocalRedisOptions {
  /** The redis-server binary; REDIS_SERVER, else the first on PATH, else /usr/bin/redis-server. */
  server?: string;
  /** Working directory (kept on destroy); a fresh temporary one (removed on destroy) by default. */
  dir?: string;
  /** Own process group (see ProcessOptions.detached). */
  detached?: boolean;
}

/**
 * True when a Redis answers PING at `url`. One quick try: no reconnect loop, no error spam.
 * A server that answers but refuses us (NOAUTH, WRONGPASS) rejects, with its message.
 */
export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_500,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on("error", () => {}); // the outcome is the answer; ioredis would log each failure
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch (err) {
    if (/NOAUTH|WRONGPASS|ERR AUTH/i.test((err as Error).message)) throw err;
    return false;
  } finally {
    client.disconnect();
  }
}

/** The redis-server to run, or undefined when this machine has none. */
export async function findRedisServer(): Promise<string | undefined> {
  const candidates = [
    process.env.REDIS_SERVER,
    ...(process.env.PATH ?? "").split(path.delimiter).map((dir) => dir && path.join(dir, "redis-server")),
    "/usr/bin/redis-server",
  ];
  for (const candidate of candidates) {
    if (!candidate) continue;
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there
    }
  }
  return undefined;
}

export async function startLocalRedis(opts: LocalRedisOptions = {}): Promise<LocalRedis> {
  const server = opts.server ?? (await findRedisServer());
  if (!server) throw new Error("redis-server is not installed (apt-get install redis-server)");
  const ownDir = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(path.join(os.tmpdir(), "dropqueue-redis-")));
  if (!ownDir) await mkdir(dir, { recursive: true });
  const port = await freePort();
  const url = (db = 0) => `redis://127.0.0.1:${port}/${db}`;
  let proc: LocalProcess | undefined;

  const start = async () => {
    if (proc?.running) return;
    const started = startProcess({
      name: "redis-server",
      command: server,
      // Nothing persisted: no dump file can surprise the next run.
      args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
      detached: opts.detached,
      stopSignal: "SIGKILL",
      graceMs: 5_000,
    });
    proc = started;
    await poll(
      10_000,
      async () => {
        if (!started.running) throw new Error(`redis-server did not start:\n${indent(started.tail)}`);
        return (await redisAnswers(url())) ? true : undefined;
      },
      () => new Error(`redis-server did not answer on port ${port} within 10 s:\n${indent(started.tail)}`),
      25,
    );
  };
  const stop = async () => {
    await proc?.stop();
  };
  const destroy = async () => {
    await stop();
    if (ownDir) await rm(dir, { recursive: true, force: true });
  };

  try {
    await start();
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
    port,
    url,
    get process() {
      return proc;
    },
    stop,
    start,
    destroy,
  };
}
