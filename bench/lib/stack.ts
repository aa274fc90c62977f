// Starts a dropqueue stack as real processes (API and worker processes, as `npm run api`
// and `npm run worker` do) for the surge tool, the benchmarks and the multi-process
// tests, and stops it again leaving nothing behind.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
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

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Applies the migrations to a database (idempotent, offline). */
export function migrate(databaseUrl: string): void {
  const result = spawnSync(path.join(ROOT, "node_modules/.bin/prisma"), ["migrate", "deploy"], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    encoding: "utf8",
  });
  if (result.status !== 0)
    throw new Error(`prisma migrate deploy failed:\n${result.stdout}\n${result.stderr}`);
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
  const processes: Stack["processes"] = [];
  const spawnRole = (role: "api" | "worker", extra: Record<string, string> = {}) => {
    const entry = role === "api" ? "src/server.ts" : "workers/purchase.worker.ts";
    const child = spawn(TSX, [...(opts.nodeArgs?.[role] ?? []), entry], {
      cwd: ROOT,
      env: { ...env, ...extra },
      // Logs go to stderr: stdout stays the tool's own (a table, or surge's --json line).
      stdio: ["ignore", process.stderr, process.stderr],
    });
    processes.push({ role, child });
    return child;
  };

  const apiUrls: string[] = [];
  for (let i = 0; i < (opts.apis ?? 1); i++) {
    const port = await freePort();
    spawnRole("api", { PORT: String(port), HOST: "127.0.0.1" });
    apiUrls.push(`http://127.0.0.1:${port}`);
  }
  for (let i = 0; i < (opts.workers ?? 1); i++) spawnRole("worker");

  const stop = async () => {
    await Promise.all(processes.map(({ child }) => stopChild(child)));
  };
  try {
    await Promise.all(apiUrls.map((url) => waitReady(url, 30_000)));
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

export async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not become ready in ${timeoutMs} ms`);
}

/** SIGTERM (a drain), then SIGKILL if it has not exited in time. */
export function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
