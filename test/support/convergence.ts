// Helpers of the convergence tests (issue 10): a TCP proxy in front of a private Redis
// that can cut every connection on demand, a Deps of "another API process" whose Redis
// goes through such a cut link, small HTTP helpers, and a loop that drives maintenance
// until an event is quiet.
import net from "node:net";
import type { Redis } from "ioredis";
import { expect } from "vitest";
import type { Deps } from "../../src/deps.js";
import { freePort } from "../../src/devstack/index.js";
import { readStock, type StockCounters } from "../../src/events/event-state.js";
import { PurchaseQueues } from "../../src/purchase/jobs.js";
import { runMaintenance } from "../../src/recovery/maintenance.js";
import { createRedis } from "../../src/redis/client.js";
import { keys } from "../../src/redis/keys.js";
import { ADMIN_TOKEN } from "./app.js";

export interface CuttableProxy {
  readonly port: number;
  url(db?: number): string;
  /** Destroys every open connection and refuses new ones until `restore`. */
  cut(): void;
  restore(): void;
  /** Delays every command on its way to Redis by `ms` (a slow link; order kept). */
  delay(ms: number): void;
  close(): Promise<void>;
}

/** A TCP proxy to 127.0.0.1:`targetPort` on a free port: it can cut or slow its connections. */
export async function startCuttableProxy(targetPort: number): Promise<CuttableProxy> {
  const open = new Set<net.Socket>();
  let refusing = false;
  let delayMs = 0;
  const server = net.createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, "127.0.0.1");
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      open.add(a);
      a.on("error", () => b.destroy());
      a.on("close", () => {
        open.delete(a);
        b.destroy();
      });
    }
    upstream.pipe(client);
    client.on("data", (chunk) => {
      if (delayMs === 0) upstream.write(chunk);
      else setTimeout(() => upstream.write(chunk), delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  const cut = () => {
    refusing = true;
    for (const socket of open) socket.destroy();
  };
  return {
    port,
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    cut,
    restore() {
      refusing = false;
    },
    delay(ms: number) {
      delayMs = ms;
    },
    async close() {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The dependencies of another API process whose Redis link goes through `proxy`: its
 * commands fail at once while the proxy is cut (no offline queue), as a process that lost
 * Redis would see them fail. PostgreSQL is shared with `base`.
 */
export async function depsThrough(
  base: Deps,
  proxy: CuttableProxy,
): Promise<Deps & { close(): Promise<void> }> {
  const redis: Redis = createRedis(proxy.url(), {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 50,
  });
  redis.on("error", () => {});
  await new Promise<void>((resolve) => (redis.status === "ready" ? resolve() : redis.once("ready", resolve)));
  const queues = new PurchaseQueues(redis, base.config.worker);
  return {
    ...base,
    redis,
    queues,
    async close() {
      await queues.close().catch(() => {});
      redis.disconnect();
    },
  };
}

/**
 * Purchase queues of a process whose Redis link is gone for good (nothing listens where
 * it points, and it does not reconnect): every job add fails, as when the API process dies
 * or loses Redis between a Redis step and the job adds that follow it.
 */
export async function deadLinkQueues(base: Deps): Promise<PurchaseQueues & { dispose(): void }> {
  const port = await freePort();
  const redis: Redis = createRedis(`redis://127.0.0.1:${port}`, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    lazyConnect: true,
  });
  redis.on("error", () => {});
  const queues = new PurchaseQueues(redis, base.config.worker);
  return Object.assign(queues, { dispose: () => redis.disconnect() });
}

/** Runs `action` against a cut Redis link; answers what it did (it may fail, or even succeed). */
export async function withRedisCut<T>(
  proxy: CuttableProxy,
  action: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  proxy.cut();
  try {
    return { ok: true, value: await action() };
  } catch (error) {
    return { ok: false, error };
  } finally {
    proxy.restore();
  }
}

export async function stockOf(deps: Deps, eventId: string, sku = "A"): Promise<StockCounters> {
  const [counters] = await readStock(deps.redis, eventId, [sku]);
  if (counters) return counters;
  // An ended sale that settled may be archived already: then PostgreSQL holds the figures.
  const event = await deps.prisma.event.findUniqueOrThrow({
    where: { id: eventId },
    include: { products: { include: { stock: true } } },
  });
  expect(event.archivedAt, `Redis counters of ${eventId}/${sku}, or an archived sale`).not.toBeNull();
  const total = event.products.find((p) => p.sku === sku)?.stock.total ?? 0;
  const confirmed = await deps.prisma.order.aggregate({
    where: { eventId, sku, status: "CONFIRMED" },
    _sum: { quantity: true },
  });
  const sold = confirmed._sum.quantity ?? 0;
  return { total, remaining: total - sold, reserved: 0, sold };
}

export async function confirmedOrders(deps: Deps, eventId: string): Promise<number> {
  return deps.prisma.order.count({ where: { eventId, status: "CONFIRMED" } });
}

export interface HttpAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export async function call<T = Record<string, unknown>>(
  url: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown } = {},
): Promise<HttpAnswer<T>> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
}

export const admin = <T = Record<string, unknown>>(
  url: string,
  method: string,
  path: string,
  body?: unknown,
) => call<T>(url, method, `/api/admin${path}`, { token: ADMIN_TOKEN, body });

export interface Joined {
  ticketId: string;
  token: string;
  status: string;
}

export async function join(
  url: string,
  eventId: string,
  userId: string,
  sku = "A",
): Promise<HttpAnswer<Joined>> {
  return call<Joined>(url, "POST", `/api/events/${eventId}/tickets`, { body: { userId, sku } });
}

/** Every ticket of the event final in PostgreSQL (or the test fails after `timeoutMs`). */
export async function allTicketsFinal(deps: Deps, eventId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await deps.prisma.ticket.findMany({
      where: { eventId, status: { in: ["PREQUEUE", "QUEUED", "PROCESSING"] } },
      select: { id: true, status: true },
    });
    if (open.length === 0) return;
    if (Date.now() > deadline) {
      const byStatus = open.reduce<Record<string, number>>((m, t) => {
        m[t.status] = (m[t.status] ?? 0) + 1;
        return m;
      }, {});
      throw new Error(`${open.length} tickets not final ${timeoutMs} ms on: ${JSON.stringify(byStatus)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every Redis key of the event (SCAN of its hash tag: BullMQ's queue keys included). */
export async function eventKeys(redis: Redis, eventId: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `dq:{ev:${eventId}}*`, "COUNT", 1000);
    cursor = next;
    found.push(...batch);
  } while (cursor !== "0");
  return found;
}

/** Runs the maintenance pass `passes` times (what the worker processes' loop does), ignoring its gate. */
export async function driveMaintenance(deps: Deps, passes = 3): Promise<void> {
  for (let i = 0; i < passes; i++) {
    await deps.redis.del("dq:reconcile-gate");
    await runMaintenance(deps);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export { keys };

export interface Bought extends Joined {
  userId: string;
  finalStatus: string;
  orderId: string | null;
}

/** Joins over HTTP and waits until PostgreSQL holds the ticket's final outcome. */
export async function buy(
  deps: Deps,
  url: string,
  eventId: string,
  userId: string,
  opts: { sku?: string; timeoutMs?: number } = {},
): Promise<Bought> {
  const joined = await join(url, eventId, userId, opts.sku ?? "A");
  expect(joined.status, `join of ${userId}: ${JSON.stringify(joined.body)}`).toBe(202);
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    const row = await deps.prisma.ticket.findUnique({ where: { id: joined.body.ticketId } });
    if (row && !["PREQUEUE", "QUEUED", "PROCESSING"].includes(row.status)) {
      const order = await deps.prisma.order.findUnique({ where: { ticketId: row.id } });
      return { ...joined.body, userId, finalStatus: row.status, orderId: order?.id ?? null };
    }
    if (Date.now() > deadline) throw new Error(`ticket of ${userId} is ${row?.status ?? "missing"} for good`);
    await sleep(50);
  }
}
