// A dropqueue stack as real processes (API and worker processes, as `npm run api` and
// `npm run worker` run them) for the surge tool, the benchmarks and the multi-process tests,
// on a Redis and a PostgreSQL given to it; stopped again leaving nothing behind.
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { freePort, waitReady } from "./ports.js";
import { type LocalProcess, startProcess } from "./processes.js";
import { ROOT } from "./root.js";

const TSX = path.join(ROOT, "node_modules/.bin/tsx");

export interface StackOptions {
  apis?: number;
  workers?: number;
  workerConcurrency?: number;
  redisUrl?: string;
  databaseUrl?: string;
  /** Extra environment for every process (e.g. PURCHASE_ATTEMPTS). */
  env?: Record<string, string>;
  /** Node flags for the processes of one role (e.g. --cpu-prof, not allowed in NODE_OPTIONS on Node 20). */
  nodeArgs?: Partial<Record<"api" | "worker", string[]>>;
  logLevel?: string;
  /** How long the API processes may take to answer /readyz (tsx compiles on start: slow on a busy machine). */
  readyTimeoutMs?: number;
}

export interface Stack {
  apiUrls: string[];
  adminToken: string;
  tokenSecret: string;
  redisUrl: string;
  databaseUrl: string;
  processes: { role: "api" | "worker"; child: ChildProcess }[];
  /** Starts one more worker process (e.g. to replace a killed one). */
  addWorker(): ChildProcess;
  stop(): Promise<void>;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const redisUrl = opts.redisUrl ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const databaseUrl =
    opts.databaseUrl ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/dropqueue";
  const adminToken = `surge-admin-${randomBytes(12).toString("hex")}`;
  const tokenSecret = randomBytes(32).toString("hex");
  const env = {
    ...process.env,
    NODE_ENV: "development",
    REDIS_URL: redisUrl,
    DATABASE_URL: databaseUrl,
    ADMIN_TOKEN: adminToken,
    TOKEN_SECRET: tokenSecret,
    LOG_LEVEL: opts.logLevel ?? "warn",
    RATE_LIMIT_PER_SECOND: "0",
    SOCKETS_PER_CLIENT: "0",
    WORKER_CONCURRENCY: String(opts.workerConcurrency ?? 16),
    ...opts.env,
  };
  const started: LocalProcess[] = [];
  const processes: Stack["processes"] = [];
  const spawnRole = (role: "api" | "worker", extra: Record<string, string> = {}) => {
    const entry = role === "api" ? "src/server.ts" : "workers/purchase.worker.ts";
    const proc = startProcess({
      name: role,
      command: TSX,
      args: [...(opts.nodeArgs?.[role] ?? []), entry],
      cwd: ROOT,
      env: { ...env, ...extra },
      // Logs go to stderr: stdout stays the tool's own (a table, or surge's --json line).
      output: "stderr",
      graceMs: 15_000,
    });
    started.push(proc);
    processes.push({ role, child: proc.child });
    return proc.child;
  };

  const apiUrls: string[] = [];
  for (let i = 0; i < (opts.apis ?? 1); i++) {
    const port = await freePort();
    spawnRole("api", { PORT: String(port), HOST: "127.0.0.1" });
    apiUrls.push(`http://127.0.0.1:${port}`);
  }
  for (let i = 0; i < (opts.workers ?? 1); i++) spawnRole("worker");

  // SIGTERM (a drain), then SIGKILL if one has not exited in time.
  const stop = async () => {
    await Promise.all(started.map((p) => p.stop()));
  };
  try {
    await Promise.all(apiUrls.map((url) => waitReady(url, opts.readyTimeoutMs ?? 60_000)));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    apiUrls,
    adminToken,
    tokenSecret,
    redisUrl,
    databaseUrl,
    processes,
    addWorker: () => spawnRole("worker"),
    stop,
  };
}
