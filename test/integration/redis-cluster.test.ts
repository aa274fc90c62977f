// dropqueue on a real Redis Cluster (three masters of the system's redis-server on free
// ports, nothing on disk): the API, two purchase worker pools, the lifecycle and the
// maintenance jobs all run on ioredis Cluster clients (REDIS_CLUSTER_NODES), and a surge
// keeps every promise. Never the shared Redis on 6379.
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { type Cluster, Redis } from "ioredis";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, expect, it } from "vitest";
import { findRedisServer, freePorts, type LocalProcess, startProcess } from "../../src/devstack/index.js";
import type { ServerToClientEvents } from "../../src/realtime/events.js";
import { keys, queuePrefix } from "../../src/redis/keys.js";
import { ADMIN_TOKEN, eventually, liveEvent, startTestStack, type TestStack } from "../support/app.js";
import { expectInvariants, fireJoins, waitForAllFinal } from "../support/invariants.js";
import { type OwnDatabase, ownDatabase } from "../support/own-database.js";

const REDIS_CLI = process.env.REDIS_CLI ?? "/usr/bin/redis-cli";

interface PrivateCluster {
  ports: number[];
  /** REDIS_CLUSTER_NODES for these nodes. */
  nodes: string;
  destroy(): Promise<void>;
}

/** Three masters, no replicas; resolves once every node reports cluster_state:ok. */
async function startPrivateCluster(masters = 3): Promise<PrivateCluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "dropqueue-cluster-"));
  const nodes: LocalProcess[] = [];
  const destroy = async () => {
    await Promise.all(nodes.map((node) => node.stop("SIGKILL")));
    await rm(dir, { recursive: true, force: true });
  };
  const server = await findRedisServer();
  if (!server) throw new Error("redis-server is not installed");

  try {
    // A client port and a cluster-bus port per node, all distinct (port + 10000 may be taken).
    const all = await freePorts(masters * 2);
    const ports = all.slice(0, masters);
    for (const [i, port] of ports.entries()) {
      // biome-ignore format: one flag and its value per line reads best
      nodes.push(startProcess({ name: `redis-server ${port}`, command: server, args: [
        "--port", String(port),
        "--cluster-port", String(all[masters + i]),
        "--bind", "127.0.0.1",
        "--cluster-enabled", "yes",
        "--cluster-config-file", path.join(dir, `nodes-${port}.conf`),
        "--cluster-node-timeout", "5000",
        "--save", "",
        "--appendonly", "no",
        "--dir", dir,
      ], output: "ignore" }));
    }
    for (const port of ports) {
      const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => 50 });
      probe.on("error", () => {});
      await eventually(async () => (await probe.ping().catch(() => "")) === "PONG", 10_000);
      probe.disconnect();
    }
    await promisify(execFile)(REDIS_CLI, [
      "--cluster",
      "create",
      ...ports.map((p) => `127.0.0.1:${p}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    for (const port of ports) {
      const node = new Redis({ port, host: "127.0.0.1" });
      await eventually(async () => (await node.cluster("INFO")).includes("cluster_state:ok"), 20_000);
      node.disconnect();
    }
    return { ports, nodes: ports.map((p) => `127.0.0.1:${p}`).join(","), destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}

let cluster: PrivateCluster;
let stack: TestStack;
let database: OwnDatabase;

beforeAll(async () => {
  // A database of its own: this stack's maintenance job rebuilds every event with a sale
  // that its (empty) cluster lacks.
  database = await ownDatabase("redis_cluster");
  cluster = await startPrivateCluster();
  stack = await startTestStack({
    workerPools: 2,
    concurrency: 8,
    env: { REDIS_CLUSTER_NODES: cluster.nodes, DATABASE_URL: database.url },
    maintenance: { tickMs: 500 },
  });
}, 90_000);

afterAll(async () => {
  await stack?.close();
  await cluster?.destroy();
  await database?.drop();
});

it("runs every client of the process on the cluster, an event's keys and queues in one slot", async () => {
  const { deps } = stack;
  expect(deps.redis.isCluster).toBe(true);
  const masters = (deps.redis as unknown as Cluster).nodes("master");
  expect(masters).toHaveLength(3);

  const event = await liveEvent(deps, {
    products: [{ sku: "A", name: "Sneaker", priceCents: 15000, stock: 1 }],
  });
  const slotOf = (key: string) => masters[0]?.cluster("KEYSLOT", key) as Promise<number>;
  const slots = await Promise.all(
    [
      keys.meta(event.id),
      keys.stock(event.id, "A"),
      keys.ticket(event.id, "t-1"),
      keys.waiting(event.id, "A"),
      `${queuePrefix(event.id)}:purchase:wait`,
    ].map(slotOf),
  );
  expect(new Set(slots).size).toBe(1);
});

it("a surge of 2,000 joins on 2 products × 50: nothing oversold, one outcome per ticket, over the socket", async () => {
  const { deps, url } = stack;
  const event = await liveEvent(deps, {
    admissionRate: 2_000,
    products: [
      { sku: "A", name: "Sneaker", priceCents: 15000, stock: 50 },
      { sku: "B", name: "Cap", priceCents: 3000, stock: 50 },
    ],
  });

  const { tickets, statuses } = await fireJoins(url, event.id, 2_000, (i) => `fan-${i % 700}`, {
    sku: (i) => (i % 2 === 0 ? "A" : "B"),
  });
  // Accepted (202), handed back (200), or SOLD_OUT at the door once nothing is left nor in flight.
  expect([...statuses.keys()].filter((status) => ![200, 202, 409].includes(status))).toEqual([]);
  expect(tickets.length).toBeGreaterThanOrEqual(100);

  const results = new Map<string, { status: string; count: number }>();
  const sockets: Socket<ServerToClientEvents>[] = tickets.map(({ ticketId, token }) => {
    const socket: Socket<ServerToClientEvents> = io(url, {
      path: "/socket.io",
      auth: { ticketId, token },
      transports: ["websocket"],
    });
    socket.on("ticket:result", (r) => {
      results.set(ticketId, { status: r.status, count: (results.get(ticketId)?.count ?? 0) + 1 });
    });
    return socket;
  });
  try {
    await waitForAllFinal(deps, event.id, 45_000);
    await eventually(async () => results.size === tickets.length, 15_000);
  } finally {
    for (const s of sockets) s.close();
  }

  await expectInvariants(deps, event.id);
  expect(await deps.prisma.order.count({ where: { eventId: event.id, status: "CONFIRMED" } })).toBe(100);
  const rows = await deps.prisma.ticket.findMany({
    where: { eventId: event.id },
    select: { id: true, status: true },
  });
  expect(rows).toHaveLength(tickets.length);
  for (const row of rows) expect(results.get(row.id)).toEqual({ status: row.status, count: 1 });

  // The end of the sale (endSale.lua sweeps the event's keys by its prefix) runs in the slot too.
  const ended = await fetch(`${url}/api/admin/events/${event.id}/stop`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(ended.status).toBe(200);
  expect(await deps.redis.hget(keys.meta(event.id), "status")).toBe("ENDED");
});

it("an outcome published on any master reaches the API's subscriber", async () => {
  // The Realtime subscriber is `deps.redis.duplicate()`, connected to one node; the Lua step
  // publishes on the node of the event's slot. Cluster PUBLISH reaches every node.
  const { deps } = stack;
  const subscriber = deps.redis.duplicate();
  const seen: string[] = [];
  subscriber.on("message", (_channel, message) => seen.push(message));
  await subscriber.subscribe(keys.outcomesChannel());
  try {
    const masters = (deps.redis as unknown as Cluster).nodes("master");
    for (const [i, node] of masters.entries()) await node.publish(keys.outcomesChannel(), `from-${i}`);
    await eventually(async () => seen.length === masters.length, 5_000);
    expect(seen.sort()).toEqual(masters.map((_, i) => `from-${i}`));
  } finally {
    subscriber.disconnect();
  }
});
