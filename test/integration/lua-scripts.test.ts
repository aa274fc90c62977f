// Every Lua step on its own, against the real Redis. Each test makes its own event.
import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { LUA_CODES } from "../../src/errors.js";
import { createRedis } from "../../src/redis/client.js";
import { eventPrefix, keys } from "../../src/redis/keys.js";
import { joinQueue } from "../../src/redis/steps/join-queue.js";
import {
  endSale,
  finish,
  join,
  reserve,
  seedEvent,
  stock,
  ticketIdOf,
  ticketOf,
  uniqueId,
} from "../support/lua.js";

const redis = createRedis(inject("redisUrl"));
afterAll(() => redis.quit());

describe("joinQueue", () => {
  it("creates a QUEUED ticket with the next sequence, and hands the open one back to the same user", async () => {
    const ev = await seedEvent(redis, { products: [{ sku: "A", stock: 5 }] });
    const first = await join(redis, ev, "u1", "A");
    const ticketId = ticketIdOf(first);
    // What the position and wait come from: nobody served, nobody admitted yet, the rate,
    // no second with admissions, no admission window open.
    const ticket = {
      ticketId,
      status: "QUEUED",
      seq: 1,
      quantity: 1,
      figures: {
        served: 0,
        admitted: 0,
        rate: 1000,
        busySeconds: 0,
        window: { count: 0, ttlMs: -2 },
        serviceMs: -1,
      },
    };
    expect(first).toEqual({ kind: "created", ticket });
    expect(await join(redis, ev, "u1", "A")).toEqual({ kind: "handedBack", ticket });
    const other = await join(redis, ev, "u2", "A");
    expect(other).toMatchObject({ kind: "created", ticket: { seq: 2 } });
    const stats = await redis.hgetall(keys.stats(ev));
    expect(stats).toMatchObject({ joins: "2", waiting: "2", seq: "2" });
    // An open ticket whose hash is gone is named, not handed back.
    await redis.del(keys.ticket(ev, ticketId));
    expect(await join(redis, ev, "u1", "A")).toEqual({ kind: "openTicketGone", ticketId });
  });

  it("puts joiners of a SCHEDULED event in the pre-queue, without a sequence", async () => {
    const ev = await seedEvent(redis, { status: "SCHEDULED", products: [{ sku: "A", stock: 5 }] });
    const reply = await join(redis, ev, "u1", "A");
    expect(reply).toMatchObject({ kind: "created", ticket: { status: "PREQUEUE", seq: 0 } });
    expect(await redis.lrange(keys.prequeue(ev), 0, -1)).toEqual([ticketIdOf(reply)]);
  });

  it("answers the named codes: not open, no product, over the limit, sold out at the door, room full", async () => {
    const refused = (code: string) => ({ kind: "refused", code });
    const draft = await seedEvent(redis, { status: "DRAFT", products: [{ sku: "A", stock: 5 }] });
    expect(await join(redis, draft, "u1", "A")).toEqual(refused("SALE_NOT_OPEN"));
    expect(await join(redis, uniqueId("missing"), "u1", "A")).toEqual(refused("NO_EVENT"));

    const ev = await seedEvent(redis, { products: [{ sku: "A", stock: 1, perUserLimit: 2 }], capacity: 2 });
    expect(await join(redis, ev, "u1", "B")).toEqual(refused("NO_PRODUCT"));
    expect(await join(redis, ev, "u1", "A", 3)).toEqual(refused("LIMIT_REACHED"));
    expect(await join(redis, ev, "u1", "A", 2)).toEqual(refused("SOLD_OUT"));
    await join(redis, ev, "u1", "A");
    await join(redis, ev, "u2", "A");
    expect(await join(redis, ev, "u3", "A")).toEqual(refused("QUEUE_FULL"));
  });

  it("counts a client's joins per event in a one-second window, before anything else", async () => {
    const ev = await seedEvent(redis, { products: [{ sku: "A", stock: 100 }] });
    const limited = (userId: string, client: string) =>
      joinQueue(
        redis,
        { eventId: ev, ticketId: uniqueId("t"), userId, sku: "A", quantity: 1 },
        { client, perSecond: 3 },
      );
    const kinds = [];
    for (let i = 0; i < 5; i++) {
      const r = await limited(`u${i}`, "10.0.0.1");
      kinds.push(r.kind === "refused" ? r.code : r.kind);
    }
    expect(kinds).toEqual(["created", "created", "created", "RATE_LIMITED", "RATE_LIMITED"]);
    // A refused join left nothing behind; another client is not held back.
    expect(await redis.hget(keys.stats(ev), "joins")).toBe("3");
    expect((await limited("u9", "10.0.0.2")).kind).toBe("created");
    // The window lasts one second.
    const ttl = await redis.pttl(keys.clientJoins(ev, "10.0.0.1"));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000);
  });

  it("reports the purchase queue's admission window (BullMQ's limiter key) for the wait", async () => {
    const ev = await seedEvent(redis, { products: [{ sku: "A", stock: 100 }] });
    await redis.set(keys.admissionWindow(ev), "7", "PX", 800);
    const reply = await join(redis, ev, "u1", "A");
    if (reply.kind !== "created") throw new Error(reply.kind);
    expect(reply.ticket.figures.window.count).toBe(7);
    expect(reply.ticket.figures.window.ttlMs).toBeGreaterThan(0);
    expect(reply.ticket.figures.window.ttlMs).toBeLessThanOrEqual(800);
  });
});

describe("reserveStock", () => {
  it("reserves once: a second delivery of the same ticket carries on without reserving again", async () => {
    const ev = await seedEvent(redis, { products: [{ sku: "A", stock: 3, priceCents: 2500 }], pfr: 0.25 });
    const t = ticketIdOf(await join(redis, ev, "u1", "A"));
    const reservation = {
      qty: 1,
      userId: "u1",
      sku: "A",
      priceCents: 2500,
      paymentFailureRate: 0.25,
      epoch: 0,
    };
    expect(await reserve(redis, ev, "A", t)).toEqual({ kind: "reserved", ...reservation });
    expect(await reserve(redis, ev, "A", t)).toEqual({ kind: "reserved", ...reservation });
    expect(await stock(redis, ev, "A")).toEqual({ total: 3, remaining: 2, reserved: 1, sold: 0 });
    expect((await ticketOf(redis, ev, t)).status).toBe("PROCESSING");
    expect(await redis.hget(keys.held(ev, "A"), "u1")).toBe("1");
  });

  it("rejects SOLD_OUT only when nothing is left or in flight, and WAITs while a reservation may come back", async () => {
    const ev = await seedEvent(redis, { products: [{ sku: "A", stock: 1 }] });
    const t1 = ticketIdOf(await join(redis, ev, "u1", "A"));
    const t2 = ticketIdOf(await join(redis, ev, "u2", "A"));
    await reserve(redis, ev, "A", t1);
    expect(await reserve(redis, ev, "A", t2)).toEqual({ kind: "notYet", why: "WAIT" });
    await finish(redis, ev, "A", t1, "CONFIRMED", "", "o1");
    expect(await reserve(redis, ev, "A", t2)).toEqual({ kind: "rejected", reason: "SOLD_OUT" });
    expect(await ticketOf(redis, ev, t2)).toMatchObject({ status: "REJECTED", reason: "SOLD_OUT" });
    expect(await reserve(redis, ev, "A", t2)).toEqual({ kind: "decided" });
  });

  it("keeps join order near the end of stock: a later ticket waits while an earlier one is undecided", async () => {
    const ev = await seedEvent(redis, { products: [{ sku: "A", stock: 1 }] });
    const early = ticketIdOf(await join(redis, ev, "u1", "A"));
    const late = ticketIdOf(await join(redis, ev, "u2", "A"));
    expect(await reserve(redis, ev, "A", late)).toEqual({ kind: "notYet", why: "WAIT" });
    expect((await reserve(redis, ev, "A", early)).kind).toBe("reserved");
  });

  it("refuses a user over the limit, holds a PAUSED sale, and ends waiting tickets of an ENDED one", async () => {
    const ev = await seedEvent(redis, { products: [{ sku: "A", stock: 10, perUserLimit: 2 }] });
    const a = ticketIdOf(await join(redis, ev, "u1", "A", 2));
    await reserve(redis, ev, "A", a);
    await finish(redis, ev, "A", a, "CONFIRMED", "", "o1");
    // Over the limit found at the door...
    expect(await join(redis, ev, "u1", "A")).toEqual({ kind: "refused", code: "LIMIT_REACHED" });
    // ...and in the worker, for a ticket that joined before the first purchase finished.
    const b = ticketIdOf(await join(redis, ev, "u2", "A", 2));
    await redis.hincrby(keys.held(ev, "A"), "u2", 1);
    expect(await reserve(redis, ev, "A", b)).toEqual({ kind: "rejected", reason: "LIMIT_REACHED" });

    const c = ticketIdOf(await join(redis, ev, "u3", "A"));
    await redis.hset(keys.meta(ev), "status", "PAUSED");
    expect(await reserve(redis, ev, "A", c)).toEqual({ kind: "notYet", why: "PAUSED" });
    await redis.hset(keys.meta(ev), "status", "ENDED");
    expect(await reserve(redis, ev, "A", c)).toEqual({ kind: "rejected", reason: "SALE_ENDED" });
    expect(await ticketOf(redis, ev, c)).toMatchObject({ status: "REJECTED", reason: "SALE_ENDED" });
  });

  it("answers NO_TICKET for an unknown ticket and NO_EVENT when the event's state is gone", async () => {
    const ev = await seedEvent(redis, { products: [{ sku: "A", stock: 1 }] });
    expect(await reserve(redis, ev, "A", "nope")).toEqual({ kind: "noTicket" });
    const t = ticketIdOf(await join(redis, ev, "u1", "A"));
    await redis.del(keys.meta(ev));
    expect(await reserve(redis, ev, "A", t)).toEqual({ kind: "notYet", why: "NO_EVENT" });
  });
});

describe("finishPurchase", () => {
  it("confirms once and restores once, whatever runs second", async () => {
    const ev = await seedEvent(redis, { products: [{ sku: "A", stock: 2 }] });
    const t1 = ticketIdOf(await join(redis, ev, "u1", "A"));
    const t2 = ticketIdOf(await join(redis, ev, "u2", "A"));
    await reserve(redis, ev, "A", t1);
    await reserve(redis, ev, "A", t2);
    const finished = { kind: "finished" };
    expect(await finish(redis, ev, "A", t1, "CONFIRMED", "", "o1")).toEqual(finished);
    expect(await finish(redis, ev, "A", t1, "FAILED", "PROCESSING_FAILED")).toEqual({
      kind: "unchanged",
      status: "CONFIRMED",
    });
    expect(await finish(redis, ev, "A", t2, "FAILED", "PAYMENT_DECLINED", "o2")).toEqual(finished);
    expect(await finish(redis, ev, "A", t2, "FAILED", "PAYMENT_DECLINED", "o2")).toEqual({
      kind: "unchanged",
      status: "FAILED",
    });
    expect(await finish(redis, ev, "A", t2, "CONFIRMED", "", "o2")).toEqual({
      kind: "unchanged",
      status: "FAILED",
    });
    // Each admitted purchase that finished fed the moving average of admission → outcome.
    const serviceMs = Number(await redis.hget(keys.stats(ev), "serviceMs"));
    expect(serviceMs).toBeGreaterThanOrEqual(0);
    expect(serviceMs).toBeLessThan(10_000);
    expect(await stock(redis, ev, "A")).toEqual({ total: 2, remaining: 1, reserved: 0, sold: 1 });
    expect(await redis.hget(keys.held(ev, "A"), "u2")).toBe("0");
    const stats = await redis.hgetall(keys.stats(ev));
    expect(stats).toMatchObject({
      confirmed: "1",
      "failed:PAYMENT_DECLINED": "1",
      processing: "0",
      waiting: "0",
    });
  });

  it("takes a ticket that never got its reservation out of the line, only when it is still in line", async () => {
    const ev = await seedEvent(redis, { products: [{ sku: "A", stock: 2 }] });
    const t = ticketIdOf(await join(redis, ev, "u1", "A"));
    // Decided from PROCESSING while it is still in line: nothing changes (a reservation it
    // does not have is not restored).
    expect(await finish(redis, ev, "A", t, "FAILED", "PROCESSING_FAILED")).toEqual({
      kind: "unchanged",
      status: "QUEUED",
    });
    expect(await finish(redis, ev, "A", t, "FAILED", "PROCESSING_FAILED", "", "QUEUED")).toEqual({
      kind: "finished",
    });
    expect(await redis.zcard(keys.waiting(ev, "A"))).toBe(0);
    expect(await stock(redis, ev, "A")).toEqual({ total: 2, remaining: 2, reserved: 0, sold: 0 });
    expect(await finish(redis, ev, "A", "nope", "FAILED", "PROCESSING_FAILED")).toEqual({ kind: "noTicket" });
  });
});

describe("endSale", () => {
  it("ends every waiting and pre-queued ticket SALE_ENDED, once, and leaves reservations alone", async () => {
    const ev = await seedEvent(redis, {
      products: [
        { sku: "A", stock: 5 },
        { sku: "B", stock: 5 },
      ],
    });
    const reservedTicket = ticketIdOf(await join(redis, ev, "u0", "A"));
    await reserve(redis, ev, "A", reservedTicket);
    const waiting = [
      ticketIdOf(await join(redis, ev, "u1", "A")),
      ticketIdOf(await join(redis, ev, "u2", "B")),
    ];
    await redis.rpush(keys.prequeue(ev), "ghost");
    const ended = await endSale(redis, ev, ["A", "B"]);
    const rejected = ended.kind === "ended" ? ended.rejected : [];
    expect(rejected.map((t) => t.id).sort()).toEqual([...waiting].sort());
    expect(rejected[0]).toEqual({ id: waiting[0], eventId: ev, userId: "u1", sku: "A", quantity: 1, seq: 2 });
    expect(await endSale(redis, ev, ["A", "B"])).toEqual({ kind: "ended", rejected: [] });
    for (const t of waiting)
      expect(await ticketOf(redis, ev, t)).toMatchObject({ status: "REJECTED", reason: "SALE_ENDED" });
    expect((await ticketOf(redis, ev, reservedTicket)).status).toBe("PROCESSING");
    expect(await redis.hget(keys.meta(ev), "status")).toBe("ENDED");
    expect(await redis.hgetall(keys.stats(ev))).toMatchObject({ waiting: "0", "rejected:SALE_ENDED": "2" });
  });
});

describe("startSale", () => {
  it("places every pre-queue ticket in a random permutation, ahead of later joiners", async () => {
    const ev = await seedEvent(redis, {
      status: "SCHEDULED",
      products: [{ sku: "A", stock: 500, perUserLimit: 1 }],
    });
    const joined: string[] = [];
    for (let i = 0; i < 200; i++) joined.push(ticketIdOf(await join(redis, ev, `u${i}`, "A")));
    const randoms = Array.from({ length: 210 }, () => randomInt(0, 2 ** 48 - 1));
    const placed = (await redis.startSale(
      keys.meta(ev),
      keys.stats(ev),
      keys.prequeue(ev),
      eventPrefix(ev),
      ...randoms,
    )) as string[];
    const order = placed.filter((_, i) => i % 3 === 0);
    expect([...order].sort()).toEqual([...joined].sort());
    expect(order).not.toEqual(joined);
    expect(await redis.hget(keys.meta(ev), "status")).toBe("LIVE");
    expect(await join(redis, ev, "late", "A")).toMatchObject({ ticket: { seq: 201 } });
    const seqs = await Promise.all(order.map(async (t) => Number((await ticketOf(redis, ev, t)).seq)));
    expect(seqs).toEqual(order.map((_, i) => i + 1));
    expect(placed.filter((_, i) => i % 3 === 2)).toEqual(seqs);
  });

  it("asks for more randomness when the pre-queue outgrew it", async () => {
    const ev = await seedEvent(redis, { status: "SCHEDULED", products: [{ sku: "A", stock: 5 }] });
    await join(redis, ev, "u1", "A");
    await join(redis, ev, "u2", "A");
    expect(await redis.startSale(keys.meta(ev), keys.stats(ev), keys.prequeue(ev), eventPrefix(ev), 7)).toBe(
      LUA_CODES.WAIT,
    );
  });
});

beforeAll(async () => {
  await redis.ping();
});
