// The lifecycle jobs themselves: at-least-once delivery (a duplicate run, or a run after an
// admin already acted, is harmless), the sweep that catches up a lost job, and the end of
// an event that sold out with nobody waiting.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { transition } from "../../src/events/events.service.js";
import { lifecycleQueue } from "../../src/events/lifecycle-jobs.js";
import { endIfSoldOut, isSoldOutAndIdle, runLifecycleJob, sweep } from "../../src/events/scheduler.js";
import { keys } from "../../src/redis/keys.js";
import { eventually, liveEvent, startTestStack, type TestStack } from "../support/app.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ workerPools: 1 });
});
afterAll(() => stack.close());

const product = { sku: "A", name: "Sneaker", priceCents: 12000, stock: 5 };
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const statusOf = async (eventId: string) =>
  (await stack.deps.prisma.event.findUniqueOrThrow({ where: { id: eventId } })).status;

describe("lifecycle jobs", () => {
  it("are scheduled when a timed event is created, with readable ids", async () => {
    const event = await liveEvent(
      stack.deps,
      { startsAt: inSeconds(3600), endsAt: inSeconds(7200), products: [product] },
      { start: false },
    );
    expect(event.status).toBe("SCHEDULED");
    const queue = lifecycleQueue(stack.deps);
    const start = await queue.getJob(`start-${event.id}`);
    const end = await queue.getJob(`end-${event.id}`);
    expect(await start?.getState()).toBe("delayed");
    expect(await end?.getState()).toBe("delayed");
    expect((start?.timestamp ?? 0) + (start?.delay ?? 0)).toBeCloseTo(Date.parse(event.startsAt ?? ""), -3);
    await Promise.all([start?.remove(), end?.remove()]);

    // No time, no job.
    const plain = await liveEvent(stack.deps, { products: [product] }, { start: false });
    expect(await queue.getJob(`start-${plain.id}`)).toBeUndefined();
    expect(await queue.getJob(`end-${plain.id}`)).toBeUndefined();
    // Not left SCHEDULED in the test database for a later run's sweep to start.
    await Promise.all([transition(stack.deps, event.id, "stop"), transition(stack.deps, plain.id, "stop")]);
  });

  it("a start or end that is no longer allowed, or runs twice, is not an error", async () => {
    const event = await liveEvent(
      stack.deps,
      { startsAt: inSeconds(3600), endsAt: inSeconds(7200), products: [product] },
      { start: false },
    );
    // Not yet due: nothing happens.
    expect(await runLifecycleJob(stack.deps, { name: "start", data: { eventId: event.id } })).toBe("not due");
    expect(await runLifecycleJob(stack.deps, { name: "end", data: { eventId: event.id } })).toBe("not due");
    expect(await statusOf(event.id)).toBe("SCHEDULED");

    // Due: it starts; the duplicate delivery finds it LIVE.
    await stack.deps.prisma.event.update({ where: { id: event.id }, data: { startsAt: new Date() } });
    const [first, second] = await Promise.all([
      runLifecycleJob(stack.deps, { name: "start", data: { eventId: event.id } }),
      runLifecycleJob(stack.deps, { name: "start", data: { eventId: event.id } }),
    ]);
    // (The background sweep may have won the race: then neither run started it.)
    expect([first, second].filter((r) => r.startsWith("start:")).length).toBeLessThanOrEqual(1);
    for (const r of [first, second]) expect(r).toMatch(/^(start:|already LIVE|skipped)/);
    expect(await statusOf(event.id)).toBe("LIVE");
    expect(await stack.deps.redis.hget(keys.meta(event.id), "status")).toBe("LIVE");

    // The admin stops it first; the end job then has nothing to do.
    await stack.deps.prisma.event.update({ where: { id: event.id }, data: { endsAt: new Date() } });
    await fetch(`${stack.url}/api/admin/events/${event.id}/stop`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.deps.config.adminToken}` },
    });
    expect(await runLifecycleJob(stack.deps, { name: "end", data: { eventId: event.id } })).toBe(
      "already ENDED",
    );
    expect(await runLifecycleJob(stack.deps, { name: "start", data: { eventId: event.id } })).toBe(
      "already ENDED",
    );
    expect(await runLifecycleJob(stack.deps, { name: "start", data: { eventId: "ev_gone" } })).toBe(
      "no such event",
    );
    await expect(runLifecycleJob(stack.deps, { name: "start", data: {} })).rejects.toThrow(/payload/);
    const queue = lifecycleQueue(stack.deps);
    await Promise.all([queue.remove(`start-${event.id}`), queue.remove(`end-${event.id}`)]);
  });

  it("the sweep starts and ends events whose job was lost", async () => {
    const toStart = await liveEvent(
      stack.deps,
      { startsAt: inSeconds(3600), products: [product] },
      { start: false },
    );
    const toEnd = await liveEvent(stack.deps, { endsAt: inSeconds(3600), products: [product] });
    const queue = lifecycleQueue(stack.deps);
    await queue.remove(`start-${toStart.id}`);
    await queue.remove(`end-${toEnd.id}`);
    const past = new Date(Date.now() - 1000);
    await stack.deps.prisma.event.update({ where: { id: toStart.id }, data: { startsAt: past } });
    await stack.deps.prisma.event.update({ where: { id: toEnd.id }, data: { endsAt: past } });

    await sweep(stack.deps);
    expect(await statusOf(toStart.id)).toBe("LIVE");
    expect(await statusOf(toEnd.id)).toBe("ENDED");
    expect(await stack.deps.redis.hget(keys.meta(toEnd.id), "status")).toBe("ENDED");
  });
});

describe("sold out", () => {
  async function buyOne(eventId: string, userId: string) {
    const res = await fetch(`${stack.url}/api/events/${eventId}/tickets`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ userId, sku: "A" }),
    });
    const t = (await res.json()) as { ticketId: string; token: string };
    const orderId = await eventually(async () => {
      const [status, order] = await stack.deps.redis.hmget(
        keys.ticket(eventId, t.ticketId),
        "status",
        "orderId",
      );
      return status === "CONFIRMED" && order;
    });
    return { ...t, orderId };
  }

  it("an event with every product gone and nobody waiting gets a second look, then ends", async () => {
    const event = await liveEvent(stack.deps, {
      products: [
        { ...product, stock: 1 },
        { ...product, sku: "B", stock: 0 },
      ],
    });
    expect(await isSoldOutAndIdle(stack.deps, event.id)).toBe(false);
    expect(await endIfSoldOut(stack.deps, event.id)).toBe("not sold out (any more)");

    await buyOne(event.id, "last-buyer");
    await eventually(async () => isSoldOutAndIdle(stack.deps, event.id));

    // The sweep only schedules the second look, after the grace period.
    await sweep(stack.deps);
    const look = await lifecycleQueue(stack.deps).getJob(`soldOut-${event.id}`);
    expect(await look?.getState()).toBe("delayed");
    expect(look?.delay).toBeGreaterThan(stack.deps.config.lifecycle.soldOutEndAfterSeconds * 1000 - 2000);
    expect(await statusOf(event.id)).toBe("LIVE");
    await look?.remove();

    // The second look itself (run now rather than in 30 seconds).
    expect(await runLifecycleJob(stack.deps, { name: "soldOut", data: { eventId: event.id } })).toMatch(
      /^stop/,
    );
    expect(await statusOf(event.id)).toBe("ENDED");
    expect(await stack.deps.prisma.order.count({ where: { eventId: event.id, status: "CONFIRMED" } })).toBe(
      1,
    );
  });

  it("an event with units back on sale, or paused, does not end", async () => {
    const cancelled = await liveEvent(stack.deps, { products: [{ ...product, stock: 1 }] });
    const bought = await buyOne(cancelled.id, "buyer");
    await eventually(async () => isSoldOutAndIdle(stack.deps, cancelled.id));
    const cancel = await fetch(`${stack.url}/api/orders/${bought.orderId}/cancel`, {
      method: "POST",
      headers: { authorization: `Bearer ${bought.token}` },
    });
    expect(cancel.status).toBe(200);
    expect(await isSoldOutAndIdle(stack.deps, cancelled.id)).toBe(false);
    expect(await endIfSoldOut(stack.deps, cancelled.id)).toBe("not sold out (any more)");
    expect(await statusOf(cancelled.id)).toBe("LIVE");

    const paused = await liveEvent(stack.deps, { products: [{ ...product, stock: 1 }] });
    await buyOne(paused.id, "buyer");
    await eventually(async () => isSoldOutAndIdle(stack.deps, paused.id));
    const pause = await fetch(`${stack.url}/api/admin/events/${paused.id}/pause`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.deps.config.adminToken}` },
    });
    expect(pause.status).toBe(200);
    expect(await isSoldOutAndIdle(stack.deps, paused.id)).toBe(false);
    expect(await endIfSoldOut(stack.deps, paused.id)).toBe("not sold out (any more)");
    expect(await statusOf(paused.id)).toBe("PAUSED");
  });
});
