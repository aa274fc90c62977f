// lua/adjustStock-1.lua on its own, against the real Redis: the rule is checked and the
// change applied in one step; the compensation mode ("by") stops at sold + reserved.
import { afterAll, describe, expect, inject, it } from "vitest";
import { LUA_CODES } from "../../src/errors.js";
import { createRedis } from "../../src/redis/client.js";
import { keys } from "../../src/redis/keys.js";
import { join, reserve, seedEvent, stock, uniqueId } from "../support/lua.js";

const redis = createRedis(inject("redisUrl"));
afterAll(() => redis.quit());

/** An event whose product A has `sold` sold (set directly) and one unit reserved. */
async function productInUse(total: number, sold: number) {
  const ev = await seedEvent(redis, { products: [{ sku: "A", stock: total }] });
  await redis.hset(keys.stock(ev, "A"), "remaining", total - sold, "sold", sold);
  const t = (await join(redis, ev, "u1", "A")) as unknown[];
  expect(((await reserve(redis, ev, "A", String(t[1]))) as unknown[])[0]).toBe(1);
  return ev;
}

describe("adjustStock", () => {
  it("sets total and remaining within [sold + reserved, ceiling], answering the change", async () => {
    const ev = await productInUse(10, 4);
    const key = keys.stock(ev, "A");
    expect(await redis.adjustStock(key, 7, 10)).toEqual([1, -3, 2, 4, 1, 7]);
    expect(await stock(redis, ev, "A")).toEqual({ total: 7, remaining: 2, reserved: 1, sold: 4 });
    expect(await redis.adjustStock(key, 5, 10)).toEqual([1, -2, 0, 4, 1, 5]);
    expect(await redis.adjustStock(key, 10, 10)).toEqual([1, 5, 5, 4, 1, 10]);
    expect(await redis.adjustStock(key, 10_000, -1)).toEqual([1, 9_990, 9_995, 4, 1, 10_000]);
  });

  it("refuses below sold + reserved or above the ceiling with the bounds, changing nothing", async () => {
    const ev = await productInUse(10, 4);
    const key = keys.stock(ev, "A");
    expect(await redis.adjustStock(key, 4, 10)).toEqual([LUA_CODES.STOCK_RULE, 5, 10, 4, 1, 10]);
    expect(await redis.adjustStock(key, 11, 10)).toEqual([LUA_CODES.STOCK_RULE, 5, 10, 4, 1, 10]);
    expect(await redis.adjustStock(key, 0, -1)).toEqual([LUA_CODES.STOCK_RULE, 5, -1, 4, 1, 10]);
    expect(await stock(redis, ev, "A")).toEqual({ total: 10, remaining: 5, reserved: 1, sold: 4 });
    expect(await redis.adjustStock(keys.stock(uniqueId("ev"), "A"), 1, -1)).toBe(LUA_CODES.NO_PRODUCT);
  });

  it('"by" undoes a change, but never takes units that were reserved meanwhile', async () => {
    const ev = await productInUse(10, 4);
    const key = keys.stock(ev, "A");
    expect(await redis.adjustStock(key, 3, -1, "by")).toEqual([1, 3, 8, 4, 1, 13]);
    expect(await redis.adjustStock(key, -3, -1, "by")).toEqual([1, -3, 5, 4, 1, 10]);
    // Only 5 can go: 4 sold and 1 reserved stay.
    expect(await redis.adjustStock(key, -8, -1, "by")).toEqual([1, -5, 0, 4, 1, 5]);
    expect(await stock(redis, ev, "A")).toEqual({ total: 5, remaining: 0, reserved: 1, sold: 4 });
  });
});
