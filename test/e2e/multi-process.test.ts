// dropqueue as separate processes, as it runs in production: two API processes (each its
// own HTTP and Socket.IO server) and two worker processes on one Redis and one PostgreSQL.
// (a) shoppers spread over both APIs each get their outcome over the socket of the API they
//     joined (outcomes travel from the workers over Redis pub/sub), and the surge checks hold;
// (b) SIGTERM to one API and one worker mid-sale: the API refuses joins and readiness with
//     503, moves its sockets, and exits 0; the worker finishes what it holds and exits 0;
//     every ticket still gets its one outcome (its shopper reconnects to the other API).
// The stack has a Redis (a private redis-server) and a database of its own: its worker
// processes run the maintenance job, which rebuilds every event with a sale that Redis
// lacks, and the shared test database keeps hundreds of live events from earlier runs.
import { type ChildProcess, execFileSync } from "node:child_process";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSurge } from "../../bench/lib/surge-run.js";
import { closeDeps, createDeps } from "../../src/bootstrap.js";
import type { Deps } from "../../src/deps.js";
import { type LocalRedis, type Stack, startLocalRedis, startStack } from "../../src/devstack/index.js";
import type { ServerToClientEvents } from "../../src/realtime/events.js";
import { eventually, testConfig } from "../support/app.js";
import { expectInvariants, waitForAllFinal } from "../support/invariants.js";
import { type OwnDatabase, ownDatabase } from "../support/own-database.js";

const JOIN_ROUTE = 'route="/api/events/:eventId/tickets"';
/** How long a draining API keeps answering 503 before it closes (DRAIN_DELAY_MS). */
const DRAIN_DELAY_MS = 1_000;

let redis: LocalRedis;
let database: OwnDatabase;
let stack: Stack;
let deps: Deps;

beforeAll(async () => {
  database = await ownDatabase("multi_process");
  redis = await startLocalRedis();
  stack = await startStack({
    apis: 2,
    workers: 2,
    redisUrl: redis.url(),
    databaseUrl: database.url,
    env: { WORKER_LOCK_MS: "2000", DRAIN_DELAY_MS: String(DRAIN_DELAY_MS) },
  });
  // The test's own view of the stack's Redis and PostgreSQL, for the invariant checks.
  deps = createDeps(testConfig({ REDIS_URL: redis.url(), DATABASE_URL: database.url }), {
    name: "multi-process-test",
  });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  if (deps) await closeDeps(deps);
  await redis?.destroy();
  await database?.drop();
});

const SKUS = ["A", "B", "C"];
const adminHeaders = () => ({
  authorization: `Bearer ${stack.adminToken}`,
  "content-type": "application/json",
});

async function admin(eventId: string, action: "start" | "pause" | "resume" | "stop"): Promise<void> {
  const res = await fetch(`${stack.apiUrls[0]}/api/admin/events/${eventId}/${action}`, {
    method: "POST",
    headers: adminHeaders(),
  });
  expect(res.status, `${action}: ${await res.text()}`).toBe(200);
}

/** Ends a finished test's sale (the next test's workers leave it alone). */
const stopEvent = (eventId: string) => admin(eventId, "stop");

/** Accepted joins (202) an API process has answered, from its /metrics. */
async function acceptedJoins(url: string): Promise<number> {
  const text = await (
    await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${stack.adminToken}` } })
  ).text();
  return text
    .split("\n")
    .filter((line) => line.startsWith("dropqueue_http_requests_total{"))
    .filter((line) => line.includes(JOIN_ROUTE) && line.includes('status="202"'))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0);
}

/**
 * SIGTERM to the Node process that runs an entry point, as a container runtime or a process
 * manager running `node --import tsx <entry>` would send it; resolves with the exit code.
 * Not to the `tsx` CLI that startStack spawns: that one relays a signal, then SIGKILLs its
 * child unless the child acknowledges within 30 ms, which a busy process may not do, so a
 * drain through it is a coin toss under load (exit 143).
 */
function sigterm(child: ChildProcess, timeoutMs = 20_000): Promise<number | null> {
  const pids = execFileSync("pgrep", ["-P", String(child.pid)], { encoding: "utf8" })
    .trim()
    .split("\n");
  expect(pids).toHaveLength(1);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`pid ${pids[0]} did not exit in ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    process.kill(Number(pids[0]), "SIGTERM");
  });
}

describe("two API and two worker processes", () => {
  it("(a) a surge spread over both APIs: every outcome over the socket of the API joined, every invariant", async () => {
    const before = await Promise.all(stack.apiUrls.map(acceptedJoins));
    const report = await runSurge({
      apiUrls: stack.apiUrls,
      adminToken: stack.adminToken,
      redisUrl: stack.redisUrl,
      databaseUrl: stack.databaseUrl,
      users: 1_000,
      requests: 3_000,
      products: 4,
      stock: 50,
    });
    await stopEvent(report.eventId);
    expect(report).toMatchObject({
      httpErrors: 0,
      oversold: 0,
      overLimitUsers: 0,
      missingOutcomes: 0,
      duplicateOutcomes: 0,
      ticketsNotFinal: 0,
      fairnessInversions: 0,
      redisPostgresAgree: true,
      ledgerAgrees: true,
      confirmed: 200,
    });
    // Each API took its share of the shoppers (runSurge alternates), and each shopper listened
    // on the API it joined: outcomes decided in the workers reached both.
    const after = await Promise.all(stack.apiUrls.map(acceptedJoins));
    const perApi = after.map((n, i) => n - (before[i] ?? 0));
    expect(perApi.every((n) => n > report.tickets / 4)).toBe(true);
    expect(perApi.reduce((a, b) => a + b, 0)).toBe(report.tickets);
    await expectInvariants(deps, report.eventId);
  }, 120_000);

  it("(b) SIGTERM to one API and one worker mid-sale: both exit 0, every ticket gets its outcome", async () => {
    const apis = stack.processes.filter((p) => p.role === "api").map((p) => p.child);
    const workers = stack.processes.filter((p) => p.role === "worker").map((p) => p.child);
    const [survivor, drained] = stack.apiUrls as [string, string];
    const [drainedApi, drainedWorker] = [apis[1], workers[1]] as [ChildProcess, ChildProcess];
    const other = (url: string) => (url === drained ? survivor : drained);

    // A modest admission rate: the sale lasts several seconds, purchases are in hand at the SIGTERM.
    const created = await fetch(`${survivor}/api/admin/events`, {
      method: "POST",
      headers: adminHeaders(),
      body: JSON.stringify({
        name: "Drain mid-sale",
        admissionRate: 100,
        paymentFailureRate: 0.05,
        products: SKUS.map((sku) => ({ sku, name: `Product ${sku}`, priceCents: 5000, stock: 100 })),
      }),
    });
    expect(created.status).toBe(201);
    const eventId = ((await created.json()) as { id: string }).id;
    await admin(eventId, "start");
    // The line forms first (a paused sale takes joins and admits nobody), then the sale runs.
    await admin(eventId, "pause");

    // Shoppers: each listens on the API it joined; when that socket goes (the drain closes it)
    // or cannot connect, it opens one on the other API, as a client behind a load balancer would.
    const results = new Map<string, { status: string; count: number }>();
    const followed = new Set<string>();
    const sockets = new Set<Socket<ServerToClientEvents>>();
    let moved = 0;
    const follow = (ticketId: string, token: string, url: string) => {
      if (followed.has(ticketId)) return;
      followed.add(ticketId);
      const open = (at: string) => {
        const socket: Socket<ServerToClientEvents> = io(at, {
          path: "/socket.io",
          auth: { ticketId, token },
          transports: ["websocket"],
          reconnection: false,
          forceNew: true,
        });
        sockets.add(socket);
        const leave = () => {
          socket.removeAllListeners();
          socket.close();
          sockets.delete(socket);
        };
        socket.on("ticket:result", (r) => {
          results.set(ticketId, { status: r.status, count: (results.get(ticketId)?.count ?? 0) + 1 });
          leave();
        });
        const moveOn = () => {
          leave();
          if (results.has(ticketId)) return;
          if (at === drained) moved++;
          setTimeout(() => open(other(at)), 100);
        };
        socket.on("disconnect", moveOn);
        socket.on("connect_error", moveOn);
      };
      open(url);
    };

    // A join refused (503) or not answered goes to the other API.
    const refusals: { retryAfter: string | null; body: unknown }[] = [];
    const doorRejections = new Map<string, number>();
    const join = async (i: number) => {
      let url = i % 2 === 0 ? survivor : drained;
      for (let attempt = 0; attempt < 10; attempt++) {
        try {
          const res = await fetch(`${url}/api/events/${eventId}/tickets`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ userId: `drain-${i}`, sku: SKUS[i % SKUS.length] }),
          });
          const body = (await res.json()) as { ticketId?: string; token?: string; error?: { code: string } };
          if ((res.status === 202 || res.status === 200) && body.ticketId && body.token) {
            follow(body.ticketId, body.token, url);
            return;
          }
          if (res.status !== 503) {
            const code = body.error?.code ?? String(res.status);
            doorRejections.set(code, (doorRejections.get(code) ?? 0) + 1);
            return;
          }
          refusals.push({ retryAfter: res.headers.get("retry-after"), body });
        } catch {
          // Connection refused or cut: that API is gone.
        }
        url = other(url);
      }
      throw new Error(`join ${i} was never answered`);
    };
    const joinAll = (from: number, to: number, lanes: number, pauseMs: number) => {
      let next = from;
      return Promise.all(
        Array.from({ length: lanes }, async () => {
          while (next < to) {
            await join(next++);
            if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
          }
        }),
      );
    };

    await joinAll(0, 600, 20, 0);
    expect(followed.size).toBe(600);
    await admin(eventId, "resume");
    // More shoppers keep arriving while the processes drain.
    const lateJoins = joinAll(600, 800, 4, 50);

    // Mid-sale: some outcomes are out, most tickets still wait, purchases are in hand.
    await eventually(async () => results.size >= 50, 30_000);
    const exits = Promise.all([sigterm(drainedApi), sigterm(drainedWorker)]);

    // While draining, the API refuses what it no longer takes, in the contract's shape.
    await eventually(async () => (await fetch(`${drained}/readyz`)).status === 503, DRAIN_DELAY_MS);
    const refused = await fetch(`${drained}/api/events/${eventId}/tickets`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ userId: "late-shopper", sku: "A" }),
    });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toEqual({
      error: { code: "SERVICE_UNAVAILABLE", message: expect.any(String) },
    });
    expect((await fetch(`${survivor}/readyz`)).status).toBe(200);

    expect(await exits).toEqual([0, 0]);
    await lateJoins;

    const tickets = [...followed];
    await waitForAllFinal(deps, eventId, 60_000);
    await eventually(async () => results.size === tickets.length, 20_000);
    for (const socket of sockets) socket.close();
    await stopEvent(eventId);

    await expectInvariants(deps, eventId);
    expect(await deps.prisma.order.count({ where: { eventId, status: "CONFIRMED" } })).toBe(300);
    const rows = await deps.prisma.ticket.findMany({
      where: { eventId },
      select: { id: true, status: true },
    });
    const statusOf = new Map(rows.map((r) => [r.id, r.status]));
    for (const ticketId of tickets)
      expect(results.get(ticketId), ticketId).toEqual({ status: statusOf.get(ticketId), count: 1 });
    // Shoppers of the drained API were moved (their connection closed) and heard on the other.
    expect(moved).toBeGreaterThan(0);
    for (const r of refusals) {
      expect(r.retryAfter).not.toBeNull();
      expect(r.body).toMatchObject({ error: { code: "SERVICE_UNAVAILABLE" } });
    }
    expect([...doorRejections.keys()].filter((code) => code !== "SOLD_OUT")).toEqual([]);
  }, 120_000);
});
