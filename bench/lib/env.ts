// Where the benchmarks run and what they leave behind: their own PostgreSQL database and
// Redis database index (recreated each run, so figures do not drift with what earlier
// runs or other people's demo events left there), the machine description, and the child
// processes they start (all stopped on exit, by their own handles).
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { Redis } from "ioredis";
import { createDatabaseIfMissing, databaseName, dropDatabase } from "../../src/db/databases.js";
import { migrate, ROOT, stopChild } from "../../src/devstack/index.js";

export const BENCH_REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/6";
export const BENCH_DATABASE_URL =
  process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/dropqueue_bench";

/**
 * Drops and recreates the bench database and empties the bench Redis database, then
 * migrates. Refuses to wipe anything whose database name does not contain "bench" or
 * whose Redis index is 0 or 1 (the shared and the test databases): those are only migrated.
 */
export async function resetBenchState(): Promise<void> {
  const name = databaseName(BENCH_DATABASE_URL);
  const redisIndex = Number(new URL(BENCH_REDIS_URL).pathname.slice(1) || 0);
  if (name.includes("bench")) await dropDatabase(BENCH_DATABASE_URL);
  await createDatabaseIfMissing(BENCH_DATABASE_URL);
  if (redisIndex > 1 && name.includes("bench")) {
    const redis = new Redis(BENCH_REDIS_URL);
    await redis.flushdb();
    redis.disconnect();
  }
  await migrate(BENCH_DATABASE_URL);
}

export interface Machine {
  nproc: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  loadAverage: number[];
}

export function machine(): Machine {
  let cpu = cpus()[0]?.model ?? "unknown";
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    cpu = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? cpu;
  } catch {
    // not Linux
  }
  return {
    nproc: cpus().length,
    cpu,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    loadAverage: loadavg().map((n) => Math.round(n * 100) / 100),
  };
}

/**
 * The process that runs the code: `tsx file` starts node as a child of its own (and that
 * node may start an esbuild service), so this follows node children down (Linux /proc).
 */
export function leafPid(pid: number): number {
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      for (const kid of kids ? kids.split(" ").map(Number) : []) {
        if (readFileSync(`/proc/${kid}/comm`, "utf8").trim() === "node") return leafPid(kid);
      }
    }
  } catch {
    // gone, or not Linux
  }
  return pid;
}

/** Resident memory of a process in bytes (Linux /proc). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
  return kb * 1024;
}

const children = new Set<ChildProcess>();
const TSX = path.join(ROOT, "node_modules/.bin/tsx");

export interface BenchChild {
  child: ChildProcess;
  /** The next line the child prints on stdout (its protocol: one JSON object per line). */
  nextLine(timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

/** Starts `tsx <file> [args]` from the repo root; stdout is read line by line, stderr passed on. */
export function spawnTsx(file: string, args: string[] = [], env: Record<string, string> = {}): BenchChild {
  const child = spawn(TSX, [file, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "inherit"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  if (child.stdout) {
    createInterface({ input: child.stdout }).on("line", (line) => {
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    });
  }
  return {
    child,
    nextLine(timeoutMs = 30_000) {
      const ready = lines.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${file}: no answer in ${timeoutMs} ms`)), timeoutMs);
        const onExit = (code: number | null) =>
          reject(new Error(`${file} exited (${code}) before answering`));
        child.once("exit", onExit);
        waiters.push((line) => {
          clearTimeout(timer);
          child.off("exit", onExit);
          resolve(line);
        });
      });
    },
    stop: () => stopChild(child, 5000),
  };
}

/** Kills what is still running (the last resort of a run that overstays). */
export function killChildren(): void {
  for (const child of children) child.kill("SIGKILL");
}
