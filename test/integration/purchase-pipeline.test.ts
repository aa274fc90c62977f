// The sale pipeline end to end against the real Redis and PostgreSQL, with real
// concurrency: joins over HTTP, BullMQ workers, the Lua steps, Prisma transactions.
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimulatedPayment } from "../../src/purchase/payment.js";
import { failPurchase, processPurchase } from "../../src/purchase/processor.js";
import { keys } from "../../src/redis/keys.js";
import { eventually, liveEvent, startTestStack, type TestStack } from "../support/app.js";
import { eventMovements, productLedgers } from "../support/ledger.js";

/** Counts the outcomes of one event published per ticket on the outcomes channel. */
async function countOutcomes(redis: Redis, eventId: string) {
  const subscriber = redis.duplicate();
  const counts = new Map<string, number>();
  subscriber.on("message", (_channel, message) => {
    const outcome = JSON.parse(message) as { eventId: string; ticketId: string };
    if (outcome.eventId !== eventId) return;
    counts.set(outcome.ticketId, (counts.get(outcome.ticketId) ?? 0) + 1);
  });
  await subscriber.subscribe(keys.outcomesChannel());
  return { counts, close: () => subscriber.disconnect() };
}

async function join(url: string, eventId: string, userId: string, sku: string, quantity = 1) {
  const res = await fetch(`${url}/api/events/${eventId}/tickets`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, sku, quantity }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { ticketId?: string; token?: string; error?: { code: string } },
  };
}

describe("a first-come sale under real concurrency", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ workerPools: 2, concurrency: 8 });
  });
  afterAll(() => stack.close());

  it("2,000 concurrent joins from 500 users for 100 units: 100 orders, nothing left, nobody over the limit, one outcome each", async () => {
    const { deps, url } = stack;
    const event = await liveEvent(deps, {
      products: [{ sku: "A", name: "Sneaker", priceCents: 12000, stock: 100 }],
    });
    const outcomes = await countOutcomes(deps.redis, event.id);

    const ticketIds = new Set<string>();
    const answers = new Map<number, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 200 }, async () => {
        while (next < 2000) {
          const i = next++;
          const { status, body } = await join(url, event.id, `user-${i % 500}`, "A");
          answers.set(status, (answers.get(status) ?? 0) + 1);
          if (body.ticketId) ticketIds.add(body.ticketId);
        }
      }),
    );
    expect(answers.get(500)).toBeUndefined();

    await eventually(async () => {
      const statuses = await Promise.all(
        [...ticketIds].map((t) => deps.redis.hget(keys.ticket(event.id, t), "status")),
      );
      return statuses.every((s) => s === "CONFIRMED" || s === "REJECTED" || s === "FAILED");
    });
    await eventually(async () => outcomes.counts.size === ticketIds.size);
    outcomes.close();

    const confirmed = await deps.prisma.order.findMany({ where: { eventId: event.id, status: "CONFIRMED" } });
    expect(confirmed).toHaveLength(100);
    expect(await deps.prisma.order.count({ where: { eventId: event.id } })).toBe(100);
    const perUser = new Map<string, number>();
    for (const o of confirmed) perUser.set(o.userId, (perUser.get(o.userId) ?? 0) + o.quantity);
    expect(Math.max(...perUser.values())).toBe(1);

    expect(await deps.redis.hgetall(keys.stock(event.id, "A"))).toMatchObject({
      total: "100",
      remaining: "0",
      reserved: "0",
      sold: "100",
    });
    for (const ticketId of ticketIds) expect(outcomes.counts.get(ticketId)).toBe(1);
    // Every order's ticket confirmed in Redis too, and the ledger sums to the counters.
    const [ledger] = await productLedgers(deps, event.id);
    const sum = (reason: "INITIAL" | "TAKE" | "CONFIRM") => ledger?.sum(reason);
    expect({ initial: sum("INITIAL"), reserve: sum("TAKE"), sale: sum("CONFIRM") }).toEqual({
      initial: 100,
      reserve: 100,
      sale: 100,
    });
  });
});

describe("a job delivered twice", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ workerPools: 0 });
  });
  afterAll(() => stack.close());

  it("gives one order and one reservation, run at once or one after the other", async () => {
    const { deps, url } = stack;
    const event = await liveEvent(deps, {
      products: [{ sku: "A", name: "Ticket", priceCents: 5000, stock: 5 }],
    });
    const { body } = await join(url, event.id, "twice", "A");
    const job = { eventId: event.id, ticketId: body.ticketId ?? "", sku: "A" };
    // The same job id twice adds one job.
    await deps.queues.add({ ...job, seq: 1 });
    const counts = await deps.queues.get(event.id).getJobCounts("wait", "prioritized");
    expect((counts.wait ?? 0) + (counts.prioritized ?? 0)).toBe(1);

    const payment = new SimulatedPayment();
    const results = await Promise.all([
      processPurchase(deps, payment, job),
      processPurchase(deps, payment, job),
    ]);
    const again = await processPurchase(deps, payment, job);
    // Both deliveries may reach persistence; the unique ticket id lets one order through.
    for (const r of results) expect(["confirmed", "noop"]).toContain(r.kind);
    expect(results.some((r) => r.kind === "confirmed")).toBe(true);
    expect(again).toEqual({ kind: "noop", why: "already decided" });

    expect(await deps.prisma.order.count({ where: { ticketId: job.ticketId } })).toBe(1);
    expect(await eventMovements(deps, event.id, "TAKE")).toHaveLength(1);
    expect(await deps.redis.hgetall(keys.stock(event.id, "A"))).toMatchObject({
      remaining: "4",
      reserved: "0",
      sold: "1",
    });
    expect(await deps.redis.hget(keys.held(event.id, "A"), "twice")).toBe("1");
  });

  it("follows an order PostgreSQL already holds when a last attempt fails after the commit", async () => {
    const { deps, url } = stack;
    const event = await liveEvent(deps, {
      products: [{ sku: "A", name: "Ticket", priceCents: 5000, stock: 2 }],
    });
    const { body } = await join(url, event.id, "late", "A");
    const job = { eventId: event.id, ticketId: body.ticketId ?? "", sku: "A" };
    // Reserve, then persist as a first attempt would, but "crash" before finishing in Redis.
    const failing = {
      charge: async () => ({ approved: true as const, reference: "x" }),
      refund: async () => ({ refunded: true as const, reference: "r" }),
    };
    const finishDropped = deps.redis.finishPurchase;
    deps.redis.finishPurchase = (async () => {
      throw new Error("connection lost");
    }) as typeof finishDropped;
    await expect(processPurchase(deps, failing, job)).rejects.toThrow("connection lost");
    deps.redis.finishPurchase = finishDropped;

    expect(await failPurchase(deps, job)).toMatchObject({ kind: "confirmed" });
    expect(await deps.redis.hget(keys.ticket(event.id, job.ticketId), "status")).toBe("CONFIRMED");
    expect(await deps.redis.hgetall(keys.stock(event.id, "A"))).toMatchObject({ remaining: "1", sold: "1" });
  });
});
