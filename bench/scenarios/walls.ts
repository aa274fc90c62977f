// `walls`: the ceilings of this machine, measured in the same run as the scenarios so
// every figure can be read as a share of its wall. Express 5 and node:http hello-worlds
// under the join scenario's generator, Redis EVALSHA, PostgreSQL single-row INSERT,
// BullMQ addBulk and worker, and a bare Socket.IO server with many clients.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import pg from "pg";
import { type CpuShares, cpuSampler } from "../lib/cpu.js";
import { BENCH_DATABASE_URL, BENCH_REDIS_URL, leafPid, spawnTsx } from "../lib/env.js";
import { closedLoop } from "../lib/load.js";
import { fmt, progress, table } from "../lib/report.js";
import { connectSockets } from "../lib/sockets.js";
import type { Scenario, Walls } from "./types.js";

const HTTP_CONNECTIONS = 100;
const HTTP_SECONDS = 5;

async function helloWorld(kind: "express" | "http") {
  const server = spawnTsx("bench/lib/hello-server.ts", [kind]);
  try {
    const { port } = JSON.parse(await server.nextLine()) as { port: number };
    const url = `http://127.0.0.1:${port}`;
    const request = () => ({ path: "/" });
    progress("walls", `${kind} hello-world: warming up`, true);
    await closedLoop({ url, connections: HTTP_CONNECTIONS, durationMs: 1000, request });
    progress("walls", `${kind} hello-world: ${HTTP_CONNECTIONS} connections for ${HTTP_SECONDS} s`, true);
    const cpu = cpuSampler({ server: [leafPid(server.child.pid ?? 0)] });
    const r = await closedLoop({
      url,
      connections: HTTP_CONNECTIONS,
      durationMs: HTTP_SECONDS * 1000,
      request,
    });
    return { ...r, cpu: cpu.stop() };
  } finally {
    await server.stop();
  }
}

// The shape of a join's admission check: is there stock, remember the buyer, take one.
const STOCK_LUA = `local rcall = redis.call
local stock = tonumber(rcall("GET", KEYS[1]) or "0")
if stock <= 0 then return -1 end
rcall("SADD", KEYS[2], ARGV[1])
return rcall("DECR", KEYS[1])`;
const STOCK_KEY = "bench:{walls}:stock";
const BUYERS_KEY = "bench:{walls}:buyers";

function runRedisBenchmark(sha: string, db: number, requests: number, pipeline: number): Promise<number> {
  const url = new URL(BENCH_REDIS_URL);
  const args = [
    ...["-h", url.hostname, "-p", url.port || "6379", "--dbnum", String(db)],
    ...["-c", "50", "-n", String(requests), "-P", String(pipeline), "-r", "1000000", "--csv"],
    ...["EVALSHA", sha, "2", STOCK_KEY, BUYERS_KEY, "__rand_int__"],
  ];
  return new Promise((resolve, reject) => {
    const child = spawn("redis-benchmark", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      // --csv: a header line, then "EVALSHA …","<requests per second>",…
      const row = out.trim().split("\n").at(-1) ?? "";
      const rps = Number(row.split(",")[1]?.replaceAll('"', ""));
      if (code === 0 && rps > 0) resolve(Math.round(rps));
      else reject(new Error(`redis-benchmark exited ${code}: ${out}`));
    });
  });
}

/** Without redis-benchmark: 50 ioredis connections, each sending `pipeline` scripts at a time. */
async function runIoredisEval(sha: string, seconds: number, pipeline: number): Promise<number> {
  const clients = Array.from({ length: 50 }, () => new Redis(BENCH_REDIS_URL));
  let ops = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    clients.map(async (c, n) => {
      let i = 0;
      while (performance.now() < deadline) {
        const p = c.pipeline();
        for (let k = 0; k < pipeline; k++) p.evalsha(sha, 2, STOCK_KEY, BUYERS_KEY, `${n}-${i++}`);
        await p.exec();
        ops += pipeline;
      }
    }),
  );
  const rate = Math.round(ops / ((performance.now() - start) / 1000));
  for (const c of clients) c.disconnect();
  return rate;
}

async function redisWall(): Promise<Pick<Walls, "redisEvalsha" | "redisEvalshaP16" | "redisTool">> {
  const redis = new Redis(BENCH_REDIS_URL);
  try {
    await redis.set(STOCK_KEY, 1e12);
    const sha = (await redis.script("LOAD", STOCK_LUA)) as string;
    if (sha !== createHash("sha1").update(STOCK_LUA).digest("hex")) throw new Error("unexpected script sha");
    const db = Number(new URL(BENCH_REDIS_URL).pathname.slice(1) || 0);
    try {
      progress("walls", "Redis EVALSHA: redis-benchmark, 50 clients", true);
      const p1 = await runRedisBenchmark(sha, db, 300_000, 1);
      progress("walls", "Redis EVALSHA: redis-benchmark, 50 clients, pipeline 16", true);
      const p16 = await runRedisBenchmark(sha, db, 800_000, 16);
      return { redisEvalsha: p1, redisEvalshaP16: p16, redisTool: "redis-benchmark" };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      progress("walls", "Redis EVALSHA: ioredis, 50 connections (no redis-benchmark here)", true);
      const p1 = await runIoredisEval(sha, 3, 1);
      const p16 = await runIoredisEval(sha, 3, 16);
      return { redisEvalsha: p1, redisEvalshaP16: p16, redisTool: "ioredis" };
    }
  } finally {
    await redis.del(STOCK_KEY, BUYERS_KEY);
    redis.disconnect();
  }
}

async function postgresWall(): Promise<number> {
  const pool = new pg.Pool({ connectionString: BENCH_DATABASE_URL, max: 8 });
  try {
    await pool.query("DROP TABLE IF EXISTS bench_wall_insert");
    await pool.query(
      "CREATE TABLE bench_wall_insert (id bigserial PRIMARY KEY, v integer NOT NULL, at timestamptz NOT NULL DEFAULT now())",
    );
    progress("walls", "PostgreSQL single-row INSERT, 8 clients", true);
    let tx = 0;
    const start = performance.now();
    const deadline = start + 4000;
    await Promise.all(
      Array.from({ length: 8 }, async (_, n) => {
        const client = await pool.connect();
        try {
          while (performance.now() < deadline) {
            await client.query("INSERT INTO bench_wall_insert (v) VALUES ($1)", [n]);
            tx++;
          }
        } finally {
          client.release();
        }
      }),
    );
    const rate = Math.round(tx / ((performance.now() - start) / 1000));
    await pool.query("DROP TABLE bench_wall_insert");
    return rate;
  } finally {
    await pool.end();
  }
}

async function bullmqWall(): Promise<Pick<Walls, "bullmqAddPerSecond" | "bullmqWorkerPerSecond">> {
  const JOBS = 30_000;
  const connection = new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = "bench:{walls-bullmq}";
  const queue = new Queue("walls", { connection, prefix });
  try {
    await queue.obliterate({ force: true });
    await queue.pause();
    progress("walls", `BullMQ addBulk: ${fmt(JOBS)} empty jobs`, true);
    const addStart = performance.now();
    for (let i = 0; i < JOBS; i += 1000) {
      await queue.addBulk(
        Array.from({ length: 1000 }, (_, k) => ({
          name: "empty",
          data: { i: i + k },
          opts: { removeOnComplete: true },
        })),
      );
    }
    const addSeconds = (performance.now() - addStart) / 1000;

    progress("walls", "BullMQ worker: concurrency 50", true);
    let done = 0;
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const worker = new Worker("walls", async () => undefined, {
      connection,
      prefix,
      concurrency: 50,
      autorun: false,
    });
    worker.on("completed", () => {
      if (++done === JOBS) finish();
    });
    void worker.run();
    await worker.waitUntilReady();
    const workStart = performance.now();
    await queue.resume();
    await Promise.race([finished, new Promise((r) => setTimeout(r, 60_000))]);
    const workSeconds = (performance.now() - workStart) / 1000;
    await worker.close(true);
    return {
      bullmqAddPerSecond: Math.round(JOBS / addSeconds),
      bullmqWorkerPerSecond: Math.round(done / workSeconds),
    };
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    connection.disconnect();
  }
}

/** A bare Socket.IO server in its own process: memory per WebSocket client and broadcast reach. */
async function socketioWall(connections: number): Promise<NonNullable<Walls["socketio"]>> {
  const server = spawnTsx("bench/lib/sio-server.ts");
  try {
    const { port } = JSON.parse(await server.nextLine()) as { port: number };
    const rss = async () => {
      server.child.stdin?.write("rss\n");
      return (JSON.parse(await server.nextLine()) as { rss: number }).rss;
    };
    const before = await rss();
    const clients = await connectSockets({
      url: `http://127.0.0.1:${port}`,
      count: connections,
      auth: () => ({}),
      onProgress: (n) => progress("walls", `Socket.IO bare: ${fmt(n)}/${fmt(connections)} connected`),
    });
    await new Promise((r) => setTimeout(r, 1000));
    const after = await rss();
    const reach: number[] = [];
    for (let round = 0; round < 5; round++) {
      let got = 0;
      const sent = performance.now();
      let last = sent;
      const all = new Promise<void>((resolve) => {
        for (const s of clients.sockets)
          s.once("ping:all", () => {
            last = performance.now();
            if (++got === clients.sockets.length) resolve();
          });
        setTimeout(resolve, 5000);
      });
      server.child.stdin?.write("broadcast\n");
      await all;
      reach.push(last - sent);
      await new Promise((r) => setTimeout(r, 200));
    }
    clients.close();
    reach.sort((a, b) => a - b);
    return {
      connections: clients.sockets.length,
      bytesPerConnection: Math.round((after - before) / Math.max(1, clients.sockets.length)),
      broadcastReachMs: Math.round(reach[Math.floor(reach.length / 2)] ?? 0),
    };
  } finally {
    await server.stop();
  }
}

export const walls: Scenario<Walls> = {
  name: "walls",
  describe: "the machine's ceilings, measured side by side: HTTP, Redis, PostgreSQL, BullMQ, Socket.IO",
  async run() {
    const cpu: Record<string, CpuShares> = {};
    const sampled = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      const sampler = cpuSampler({});
      const result = await fn();
      cpu[name] = sampler.stop();
      return result;
    };
    const express = await helloWorld("express");
    const http = await helloWorld("http");
    cpu.express = express.cpu;
    cpu.http = http.cpu;
    const redis = await sampled("redis", redisWall);
    const pgTps = await sampled("postgres", postgresWall);
    const bullmq = await sampled("bullmq", bullmqWall);
    const socketio = await sampled("socketio", () => socketioWall(10_000));
    return {
      cpu,
      expressRps: express.okPerSecond,
      expressP99Ms: express.latencyMs.p99,
      nodeHttpRps: http.okPerSecond,
      ...redis,
      pgInsertTps: pgTps,
      ...bullmq,
      socketio,
    };
  },
  tables(w) {
    const rows: (string | number)[][] = [
      ["Express 5 hello-world, 100 connections", fmt(w.expressRps), "req/s", `p99 ${w.expressP99Ms} ms`],
      ["node:http hello-world, 100 connections", fmt(w.nodeHttpRps), "req/s", "same generator (undici)"],
      ["Redis EVALSHA stock+SADD+DECR, 50 clients", fmt(w.redisEvalsha), "ops/s", w.redisTool],
      ["  same, pipeline 16", fmt(w.redisEvalshaP16), "ops/s", w.redisTool],
      ["PostgreSQL single-row INSERT, 8 clients", fmt(w.pgInsertTps), "tx/s", "autocommit, fsync on"],
      ["BullMQ addBulk, empty jobs", fmt(w.bullmqAddPerSecond), "jobs/s", "batches of 1,000"],
      ["BullMQ worker, concurrency 50, empty jobs", fmt(w.bullmqWorkerPerSecond), "jobs/s", ""],
    ];
    const others = (k: string) => (w.cpu?.[k] ? `${w.cpu[k].others} %` : "—");
    const otherCol = ["express", "http", "redis", "redis", "postgres", "bullmq", "bullmq"];
    rows.forEach((row, i) => {
      row.push(others(otherCol[i] ?? ""));
    });
    if (w.socketio) {
      rows.push(
        [
          `Socket.IO bare, ${fmt(w.socketio.connections)} WebSocket clients`,
          fmt(w.socketio.bytesPerConnection / 1024, 1),
          "KB/conn",
          "RSS delta / connections",
          others("socketio"),
        ],
        ["  broadcast reaches every client in", fmt(w.socketio.broadcastReachMs), "ms", "median of 5", ""],
      );
    }
    return [
      table(
        "Walls (this machine, this run)",
        ["wall", "figure", "unit", "note", "other processes' CPU"],
        rows,
      ),
    ];
  },
};
