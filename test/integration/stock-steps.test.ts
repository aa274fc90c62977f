// The steps that write a product's counters and an event's status from PostgreSQL's figures,
// each on its own against the real Redis: lua/setTotal-1.lua, lua/repairTakes-3.lua (the core's
// repair, on an event's product), lua/setSaleStatus-1.lua. Each is absolute or keyed: applying it
// twice changes nothing.
import { afterAll, describe, expect, inject, it } from "vitest";
import { createRedis } from "../../src/redis/client.js";
import { eventStock, keys } from "../../src/redis/keys.js";
import { cancelPurchase } from "../../src/redis/steps/cancel-purchase.js";
import { setStatus } from "../../src/redis/steps/sale-status.js";
import { setTotal } from "../../src/redis/steps/stock-counters.js";
import { repairTakes } from "../../src/redis/steps/stock-state.js";
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

describe("the core's repair on an event product (lua/repairTakes-3.lua)", () => {
  it("moves a cancel PostgreSQL holds forward; the cancel's own step, late, gives nothing back", async () => {
    const ev = await seedEvent(redis, { products: [{ sku: "A", stock: 1 }] });
    const p = { eventId: ev, sku: "A" };
    const t = ticketIdOf(await join(redis, ev, "u1", "A"));
    await reserve(redis, ev, "A", t);
    // In flight: the take is HELD, and in the small set of held takes the reconciler reads.
    expect(await redis.smembers(keys.stockHeld(eventStock(ev, "A")))).toEqual([t]);
    await finish(redis, ev, "A", t, "CONFIRMED", "", "o1");
    expect(await redis.hget(keys.takes(ev, "A"), t)).toBe("CONFIRMED|1|u1");
    expect(await redis.smembers(keys.stockHeld(eventStock(ev, "A")))).toEqual([]);
    // PostgreSQL holds the order CANCELLED: the unit is back on sale, twice is once.
    const cancelled = { reference: t, status: "RELEASED", quantity: 1, userId: "u1" } as const;
    for (const moved of [1, 0]) {
      expect(await repairTakes(redis, eventStock(ev, "A"), [cancelled])).toEqual({
        kind: "repaired",
        moved,
        remaining: 1,
        reserved: 0,
        sold: 0,
      });
    }
    expect(await stock(redis, ev, "A")).toEqual({ total: 1, remaining: 1, reserved: 0, sold: 0 });
    expect(await redis.hget(keys.held(ev, "A"), "u1")).toBeNull();
    // The cancel's own step, late: the ticket is marked, nothing is given back a second time.
    expect(await cancelPurchase(redis, { ...p, ticketId: t })).toEqual({ kind: "cancelled", qty: 0 });
    expect(await redis.hget(keys.ticket(ev, t), "status")).toBe("CANCELLED");
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
