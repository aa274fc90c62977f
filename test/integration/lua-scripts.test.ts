// Every Lua step on its own, against the real Redis. Each test makes its own event.
import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { LUA_CODES } from "../../src/errors.js";
import { createRedis } from "../../src/redis/client.js";
import { eventPrefix, keys } from "../../src/redis/keys.js";
import { joinQueue } from "../../src/redis/steps/join-queue.js";
import { endSale, finish, join, reserve, seedEvent, stock, ticketOf, uniqueId } from "../support/lua.js";

const redis = createRedis(inject("redisUrl"));
afterAll(() => redis.quit());

const ticketIdOf = (reply: unknown) => String((reply as unknown[])[1]);

describe("joinQueue", () => {
  it("creates a QUEUED ticket with the next sequence, and hands the open one back to the same user", async () => {
    const ev = await seedEvent(redis, { products: [{ sku: "A", stock: 5 }] });
    const first = (await join(redis, ev, "u1", "A")) as unknown[];
    expect(first[0]).toBe(1);
    expect(first[2]).toBe("QUEUED");
    expect(first[3]).toBe(1);
    // What the position and wait come from: nobody served, nobody admitted yet, the rate,
    // no second with admissions, no admission window open.
    expect(first.slice(4)).toEqual([1, 0, 0, 1000, 0, 0, -2]);
    const again = await join(redis, ev, "u1", "A");
    expect(again).toEqual([2, first[1], "QUEUED", 1, 1, 0, 0, 1000, 0, 0, -2]);
    const other = (await join(redis, ev, "u2", "A")) as unknown[];
    expect(other[3]).toBe(2);
    const stats = await redis.hgetall(keys.stats(ev));
    expect(stats).toMatchObject({ joins: "2", waiting: "2", seq: "2" });
  });

  it("puts joiners of a SCHEDULED event in the pre-queue, without a sequence", async () => {
    const ev = await seedEvent(redis, { status: "SCHEDULED", products: [{ sku: "A", stock: 5 }] });
    const reply = (await join(redis, ev, "u1", "A")) as unknown[];
    expect(reply.slice(2, 4)).toEqual(["PREQUEUE", 0]);
    expect(await redis.lrange(keys.prequeue(ev), 0, -1)).toEqual([reply[1]]);
  });

  it("answers the named codes: not open, no product, over the limit, sold out at the door, room full", async () => {
    const draft = await seedEvent(redis, { status: "DRAFT", products: [{ sku: "A", stock: 5 }] });
    expect(await join(redis, draft, "u1", "A")).toBe(LUA_CODES.SALE_NOT_OPEN);
    expect(await join(redis, uniqueId("missing"), "u1", "A")).toBe(LUA_CODES.NO_EVENT);

    const ev = await seedEvent(redis, { products: [{ sku: "A", stock: 1, perUserLimit: 2 }], capacity: 2 });
    expect(await join(redis, ev, "u1", "B")).toBe(LUA_CODES.NO_PRODUCT);
    expect(await join(redis, ev, "u1", "A", 3)).toBe(LUA_CODES.LIMIT_REACHED);
    expect(await join(redis, ev, "u1", "A", 2)).toBe(LUA_CODES.SOLD_OUT);
    await join(redis, ev, "u1", "A");
    await join(redis, ev, "u2", "A");
    expect(await join(redis, ev, "u3", "A")).toBe(LUA_CODES.QUEUE_FULL);
  });

  it("counts a client's joins per event in a one-second window, before anything else", async () => {
    const ev = await seedEvent(redis, { products: [{ sku: "A", stock: 100 }] });
    const limited = (userId: string, client: string) =>
      joinQueue(
        redis,
        { eventId: ev, ticketId: uniqueId("t"), userId, sku: "A", quantity: 1 },
        { client, perSecond: 3 },
      );
    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await limited(`u${i}`, "10.0.0.1"));
    expect(replies.slice(0, 3).every((r) => Array.isArray(r))).toBe(true);
    expect(replies.slice(3)).toEqual([LUA_CODES.RATE_LIMITED, LUA_CODES.RATE_LIMITED]);
    // A refused join left nothing behind; another client is not held back.
    expect(await redis.hget(keys.stats(ev), "joins")).toBe("3");
    expect(Array.isArray(await limited("u9", "10.0.0.2"))).toBe(true);
    // The window lasts one second.
    const ttl = await redis.pttl(keys.clientJoins(ev, "10.0.0.1"));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000);
  });

  it("reports the purchase queue's admission window (BullMQ's limiter key) for the wait", async () => {
    const ev = await seedEvent(redis, { products: [{ sku: "A", stock: 100 }] });
    await redis.set(keys.admissionWindow(ev), "7", "PX", 800);
    const reply = (await join(redis, ev, "u1", "A")) as unknown[];
    expect(reply[9]).toBe(7);
    expect(Number(reply[10])).toBeGreaterThan(0);
    expect(Number(reply[10])).toBeLessThanOrEqual(800);
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
    expect(await join(redis, ev, "u1", "A")).toBe(LUA_CODES.LIMIT_REACHED);
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
    const later = (await join(redis, ev, "late", "A")) as unknown[];
    expect(later[3]).toBe(201);
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
