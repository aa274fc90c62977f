// The stock core (src/stock/) against the real Redis and PostgreSQL: takes by reference under
// real concurrency, repeats, releases racing the loop, unlimited stocks, the ceiling rule,
// sync, close and archive, and faults between the two stores.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDeps, createDeps } from "../../src/bootstrap.js";
import type { Deps } from "../../src/deps.js";
import { convergeStocks } from "../../src/recovery/stocks.js";
import { keys } from "../../src/redis/keys.js";
import { readStockStates } from "../../src/redis/steps/stock-state.js";
import { takeStock } from "../../src/redis/steps/stock-takes.js";
import {
  closeStock,
  confirmStock,
  createStock,
  getStockView,
  setStockTotal,
  syncStock,
} from "../../src/stock/stocks.service.js";
import { confirm, release, take } from "../../src/stock/takes.service.js";
import { testConfig } from "../support/app.js";
import { expectStockInvariants, settleStocks } from "../support/stock-invariants.js";

let deps: Deps;
beforeAll(() => {
  deps = createDeps(testConfig(), { name: "stock-core-test" });
});
afterAll(() => closeDeps(deps));

async function liveStock(total: number | null, extra: { perUserLimit?: number; holdSeconds?: number } = {}) {
  const stock = await createStock(deps, { name: "Voucher 50", total, ...extra });
  await confirmStock(deps, stock.id);
  return stock.id;
}

const takeOne = (stockId: string, reference: string, userId: string | null = null, quantity = 1) =>
  take(deps, { reference, userId, lines: [{ stockId, quantity }] });

const codeOf = (p: Promise<unknown>) =>
  p.then(() => "OK").catch((e: { code?: string }) => e.code ?? String(e));

describe("the stock core", () => {
  it("2,000 concurrent takes over 100 units from 500 users with a per-user limit: exactly 100 taken, nobody over", async () => {
    const stockId = await liveStock(100, { perUserLimit: 2 });
    const outcomes = await Promise.all(
      Array.from({ length: 2000 }, (_, i) => codeOf(takeOne(stockId, `order-${i}`, `user-${i % 500}`))),
    );
    const count = (code: string) => outcomes.filter((o) => o === code).length;
    expect(count("OK")).toBe(100);
    expect(count("OK") + count("SOLD_OUT") + count("LIMIT_REACHED")).toBe(2000);
    const figures = await expectStockInvariants(deps, stockId);
    expect(figures).toEqual({ total: 100, held: 100, taken: 0 });
  });

  it("a sold-out stock refuses a storm of takes at the door: nothing is written to PostgreSQL", async () => {
    const stockId = await liveStock(5);
    await Promise.all(Array.from({ length: 5 }, (_, i) => takeOne(stockId, `kept-${i}`)));
    const storm = await Promise.all(
      Array.from({ length: 200 }, (_, i) => codeOf(takeOne(stockId, `late-${i}`))),
    );
    expect(new Set(storm)).toEqual(new Set(["SOLD_OUT"]));
    // One row per take that moved stock; the refusals left no trace (a repeat simply tries again).
    expect(await deps.prisma.take.count({ where: { stockId } })).toBe(5);
    // A repeat of a taken reference is still answered as it stands, sold out or not.
    expect((await takeOne(stockId, "kept-0")).rows[0]?.status).toBe("HELD");
    expect(await expectStockInvariants(deps, stockId)).toEqual({ total: 5, held: 5, taken: 0 });
  });

  it("every take repeated with its reference changes nothing; another body is a conflict", async () => {
    const stockId = await liveStock(10, { perUserLimit: 3 });
    const first = await Promise.all(
      Array.from({ length: 10 }, (_, i) => takeOne(stockId, `r-${i}`, `u-${i % 4}`)),
    );
    const again = await Promise.all(
      Array.from({ length: 10 }, (_, i) => takeOne(stockId, `r-${i}`, `u-${i % 4}`)),
    );
    expect(first.every((a) => a.created)).toBe(true);
    expect(again.every((a) => !a.created && a.rows[0]?.status === "HELD")).toBe(true);
    expect(await codeOf(takeOne(stockId, "r-0", "u-0", 2))).toBe("REFERENCE_CONFLICT");
    expect(await codeOf(takeOne(stockId, "r-0", "someone-else"))).toBe("REFERENCE_CONFLICT");
    expect(await expectStockInvariants(deps, stockId)).toEqual({ total: 10, held: 10, taken: 0 });
  });

  it("releases repeated and racing the loop give each unit back once; confirm, then release returns it", async () => {
    const stockId = await liveStock(50);
    await Promise.all(Array.from({ length: 50 }, (_, i) => takeOne(stockId, `t-${i}`)));
    await confirm(deps, "t-0", [stockId]);
    await confirm(deps, "t-0", [stockId]);
    const racing = [
      ...Array.from({ length: 30 }, (_, i) => release(deps, `t-${i}`, [stockId])),
      ...Array.from({ length: 30 }, (_, i) => release(deps, `t-${i}`, [stockId])),
      convergeStocks(deps, { reconcile: true, graceMs: 0 }),
      convergeStocks(deps, { reconcile: true, graceMs: 0 }),
    ];
    await Promise.all(racing);
    await settleStocks(deps, 2);
    expect(await expectStockInvariants(deps, stockId)).toEqual({ total: 50, held: 20, taken: 0 });
    expect((await getStockView(deps, stockId)).remaining).toBe(30);
    expect(await codeOf(confirm(deps, "t-1", [stockId]))).toBe("INVALID_STATE");
    // The released reference stays released: a repeat of its take moves nothing.
    const repeat = await takeOne(stockId, "t-1");
    expect(repeat.rows[0]?.status).toBe("RELEASED");
    expect((await getStockView(deps, stockId)).remaining).toBe(30);
  });

  it("an unlimited stock never refuses; a limited one refuses beyond its total", async () => {
    const unlimited = await liveStock(null);
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) => codeOf(takeOne(unlimited, `u-${i}`, null, 5))),
    );
    expect(answers.every((a) => a === "OK")).toBe(true);
    const view = await getStockView(deps, unlimited);
    expect(view).toMatchObject({ total: null, remaining: null, held: 1500, taken: 0 });
    await expectStockInvariants(deps, unlimited);
  });

  it("the ceiling rule: a live total goes down and back up, never above its live total nor below what is out", async () => {
    const stockId = await liveStock(10);
    await Promise.all(Array.from({ length: 4 }, (_, i) => takeOne(stockId, `c-${i}`)));
    await setStockTotal(deps, stockId, 6);
    expect((await getStockView(deps, stockId)).remaining).toBe(2);
    await setStockTotal(deps, stockId, 10);
    expect(await codeOf(setStockTotal(deps, stockId, 11))).toBe("STOCK_RULE");
    expect(await codeOf(setStockTotal(deps, stockId, 3))).toBe("STOCK_RULE");
    expect(await codeOf(setStockTotal(deps, stockId, null))).toBe("STOCK_RULE");
    expect(await expectStockInvariants(deps, stockId)).toEqual({ total: 10, held: 4, taken: 0 });
  });

  it("sync copies the live remaining to PostgreSQL; close refuses takes; the loop archives it out of Redis", async () => {
    const stockId = await liveStock(5);
    await takeOne(stockId, "s-1", null, 2);
    const synced = await syncStock(deps, stockId);
    expect(synced.remaining).toBe(3);
    expect(synced.remainSyncedAt).not.toBeNull();
    await closeStock(deps, stockId);
    expect(await codeOf(takeOne(stockId, "s-2"))).toBe("SALE_NOT_OPEN");
    await settleStocks(deps, 2);
    const row = await deps.prisma.stock.findUniqueOrThrow({ where: { id: stockId } });
    expect(row.archivedAt).not.toBeNull();
    expect(row.remaining).toBe(3);
    expect(await deps.redis.exists(keys.stockCounters({ group: row.group, stockId }))).toBe(0);
    // Released after the close: recorded, and the figures follow from PostgreSQL.
    await release(deps, "s-1", [stockId]);
    expect(await getStockView(deps, stockId)).toMatchObject({ status: "CLOSED", remaining: 5, held: 0 });
    await expectStockInvariants(deps, stockId);
  });

  it("a hold expires by itself", async () => {
    const stockId = await liveStock(3, { holdSeconds: 1 });
    await takeOne(stockId, "h-1");
    const kept = await takeOne(stockId, "h-2");
    await confirm(deps, "h-2", [stockId]);
    await deps.prisma.take.updateMany({
      where: { stockId },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    await settleStocks(deps, 1);
    const statuses = await deps.prisma.take.findMany({ where: { stockId }, orderBy: { reference: "asc" } });
    expect(statuses.map((t) => t.status)).toEqual(["RELEASED", "CONFIRMED"]);
    expect(kept.created).toBe(true);
    expect(await expectStockInvariants(deps, stockId)).toEqual({ total: 3, held: 0, taken: 1 });
  });
});

describe("the stock core under faults", () => {
  it("a process that died between Redis and PostgreSQL: the loop records the take, a repeat meets it", async () => {
    const stockId = await liveStock(5);
    const stock = await deps.prisma.stock.findUniqueOrThrow({ where: { id: stockId } });
    // What a process did before it died: the intent, then the Redis step; never the record.
    await deps.takes.recordIntent({ reference: "crash-1", userId: "u1", lines: [{ stockId, quantity: 2 }] });
    await takeStock(deps.redis, [{ group: stock.group, stockId, quantity: 2 }], {
      reference: "crash-1",
      userId: "u1",
      status: "HELD",
    });
    // And one that died after its intent only.
    await deps.takes.recordIntent({ reference: "crash-2", userId: "u2", lines: [{ stockId, quantity: 1 }] });
    await settleStocks(deps, 2);
    const takes = await deps.prisma.take.findMany({ where: { stockId }, orderBy: { reference: "asc" } });
    expect(takes.map((t) => [t.reference, t.status])).toEqual([
      ["crash-1", "HELD"],
      ["crash-2", "HELD"],
    ]);
    const repeat = await takeOne(stockId, "crash-1", "u1", 2);
    expect(repeat.created).toBe(false);
    expect(await expectStockInvariants(deps, stockId)).toEqual({ total: 5, held: 3, taken: 0 });
  });

  it("Redis flushed mid-traffic: no unit taken twice or lost once settled", async () => {
    const stockId = await liveStock(200, { perUserLimit: 1 });
    const stock = await deps.prisma.stock.findUniqueOrThrow({ where: { id: stockId } });
    const address = { group: stock.group, stockId };
    const wave = (from: number) =>
      Promise.all(
        Array.from({ length: 150 }, (_, i) => codeOf(takeOne(stockId, `f-${from + i}`, `user-${from + i}`))),
      );
    const first = wave(0);
    await new Promise((r) => setTimeout(r, 20));
    await deps.redis.del(keys.stockCounters(address), keys.stockUsers(address), keys.stockRefs(address));
    const answers = [...(await first), ...(await wave(150))];
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => release(deps, `f-${i}`, [stockId]).catch(() => undefined)),
    );
    await settleStocks(deps, 3);
    const figures = await expectStockInvariants(deps, stockId);
    const told = answers.filter((a) => a === "OK").length;
    expect(told).toBeLessThanOrEqual(200);
    const [state] = await readStockStates(deps.redis, [address]);
    expect(state?.remaining).toBe(200 - figures.held - figures.taken);
    // Every take told OK was recorded taken once (its TAKE row), none lost, none twice.
    const taken = await deps.prisma.stockMovement.count({ where: { stockId, reason: "TAKE" } });
    expect(taken).toBe(told);
  });
});
