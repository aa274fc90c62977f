// The steps that write a product's counters and an event's status from PostgreSQL's figures,
// each on its own against the real Redis: lua/setTotal-1.lua, lua/repairStock-3.lua,
// lua/setSaleStatus-1.lua. Each is absolute or compare-and-set: applying it twice changes nothing.
import { afterAll, describe, expect, inject, it } from "vitest";
import { createRedis } from "../../src/redis/client.js";
import { keys } from "../../src/redis/keys.js";
import { cancelPurchase } from "../../src/redis/steps/cancel-purchase.js";
import { setStatus } from "../../src/redis/steps/sale-status.js";
import { repairStock, setTotal } from "../../src/redis/steps/stock-counters.js";
import { finish, join, reserve, seedEvent, stock, ticketIdOf, uniqueId } from "../support/lua.js";

const redis = createRedis(inject("redisUrl"));
afterAll(() => redis.quit());

/** An event whose product A has `sold` sold (set directly) and one unit reserved. */
async function productInUse(total: number, sold: number) {
  const ev = await seedEvent(redis, { products: [{ sku: "A", stock: total }] });
  await redis.hset(keys.stock(ev, "A"), "remaining", total - sold, "sold", sold);
  const t = ticketIdOf(await join(redis, ev, "u1", "A"));
  expect((await reserve(redis, ev, "A", t)).kind).toBe("reserved");
  return ev;
}

describe("setTotal", () => {
  it("sets total and remaining to an absolute figure: twice is once", async () => {
    const ev = await productInUse(10, 4);
    const p = { eventId: ev, sku: "A" };
    expect(await setTotal(redis, p, 7, "check")).toEqual({
      kind: "set",
      delta: -3,
      remaining: 2,
      sold: 4,
      reserved: 1,
      total: 7,
    });
    expect(await setTotal(redis, p, 7, "check")).toEqual({
      kind: "set",
      delta: 0,
      remaining: 2,
      sold: 4,
      reserved: 1,
      total: 7,
    });
    expect(await setTotal(redis, p, 12, "sync")).toMatchObject({ kind: "set", delta: 5, remaining: 7 });
    expect(await stock(redis, ev, "A")).toEqual({ total: 12, remaining: 7, reserved: 1, sold: 4 });
  });

  it('"check" refuses below sold + reserved, changing nothing; "sync" never writes a negative remaining', async () => {
    const ev = await productInUse(10, 4);
    const p = { eventId: ev, sku: "A" };
    expect(await setTotal(redis, p, 4, "check")).toEqual({
      kind: "belowFloor",
      floor: 5,
      sold: 4,
      reserved: 1,
      total: 10,
    });
    expect(await stock(redis, ev, "A")).toEqual({ total: 10, remaining: 5, reserved: 1, sold: 4 });
    expect(await setTotal(redis, p, 3, "sync")).toEqual({
      kind: "short",
      short: 2,
      sold: 4,
      reserved: 1,
      total: 3,
    });
    expect(await stock(redis, ev, "A")).toEqual({ total: 3, remaining: 0, reserved: 1, sold: 4 });
    expect(await setTotal(redis, { eventId: uniqueId("ev"), sku: "A" }, 1, "sync")).toEqual({
      kind: "noProduct",
    });
  });
});

describe("repairStock", () => {
  it("repairs only counters that have not moved, and marks the cancels it counts so their step gives nothing back", async () => {
    const ev = await seedEvent(redis, { products: [{ sku: "A", stock: 1 }] });
    const p = { eventId: ev, sku: "A" };
    const t = ticketIdOf(await join(redis, ev, "u1", "A"));
    await reserve(redis, ev, "A", t);
    await finish(redis, ev, "A", t, "CONFIRMED", "", "o1");
    const seen = { remaining: 0, reserved: 0, sold: 1 };
    // PostgreSQL holds the order CANCELLED: the unit is back on sale, the ticket cancelled.
    expect(
      await repairStock(redis, p, { ...seen, sold: 2 }, { remaining: 1, reserved: 0, sold: 0 }, [t]),
    ).toEqual({ kind: "moved" });
    expect(await repairStock(redis, p, seen, { remaining: 1, reserved: 0, sold: 0 }, [t])).toEqual({
      kind: "repaired",
      marked: 1,
    });
    expect(await stock(redis, ev, "A")).toEqual({ total: 1, remaining: 1, reserved: 0, sold: 0 });
    expect(await redis.hget(keys.ticket(ev, t), "status")).toBe("CANCELLED");
    expect(await redis.hget(keys.held(ev, "A"), "u1")).toBe("0");
    // The cancel's own step, late: nothing left to give back.
    expect(await cancelPurchase(redis, { ...p, ticketId: t })).toEqual({
      kind: "unchanged",
      status: "CANCELLED",
    });
    expect(await stock(redis, ev, "A")).toEqual({ total: 1, remaining: 1, reserved: 0, sold: 0 });
  });
});

describe("setSaleStatus", () => {
  it("sets PostgreSQL's status unless Redis holds a newer version, and never leaves ENDED", async () => {
    const ev = await seedEvent(redis, { status: "LIVE", products: [{ sku: "A", stock: 1 }] });
    expect(await setStatus(redis, ev, "PAUSED", 2)).toBe("set");
    // A projection read before that transition (version 1) cannot undo it.
    expect(await setStatus(redis, ev, "LIVE", 1)).toBe("older");
    expect(await redis.hget(keys.meta(ev), "status")).toBe("PAUSED");
    expect(await setStatus(redis, ev, "LIVE", 3)).toBe("set");
    expect(await setStatus(redis, ev, "LIVE", 3)).toBe("set"); // twice is once
    await redis.hset(keys.meta(ev), "status", "ENDED");
    expect(await setStatus(redis, ev, "LIVE", 9)).toBe("ended");
    expect(await redis.hget(keys.meta(ev), "status")).toBe("ENDED");
    expect(await setStatus(redis, uniqueId("ev"), "LIVE", 1)).toBe("noEvent");
  });
});
