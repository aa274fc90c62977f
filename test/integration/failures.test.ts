// Failures that must not lose an order or leak stock: declined payments backfilled by
// later tickets, and a restore that happens once however many times it is asked for,
// even racing a late success.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimulatedPayment } from "../../src/purchase/payment.js";
import { failPurchase, processPurchase } from "../../src/purchase/processor.js";
import { reconcileEvent } from "../../src/recovery/reconcile.js";
import { keys } from "../../src/redis/keys.js";
import { ADMIN_TOKEN, eventually, liveEvent, startTestStack, type TestStack } from "../support/app.js";
import { expectInvariants, fireJoins, waitForAllFinal } from "../support/invariants.js";
import { eventMovements } from "../support/ledger.js";
import { reserve } from "../support/lua.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ workerPools: 2, concurrency: 8 });
});
afterAll(() => stack.close());

describe("declined payments", () => {
  it("paymentFailureRate 0.1 over 2,000 tickets for 100 units still sells all 100, declines recorded", async () => {
    const { deps, url } = stack;
    const event = await liveEvent(deps, {
      paymentFailureRate: 0.1,
      products: [{ sku: "A", name: "Voucher", priceCents: 2500, stock: 100 }],
    });
    const { tickets } = await fireJoins(url, event.id, 2000, (i) => `shopper-${i}`);
    expect(tickets.length).toBeGreaterThan(100);
    await waitForAllFinal(deps, event.id);

    const orders = await deps.prisma.order.groupBy({
      by: ["status", "reason"],
      where: { eventId: event.id },
      _count: true,
    });
    const count = (status: string) =>
      orders.filter((o) => o.status === status).reduce((n, o) => n + o._count, 0);
    expect(count("CONFIRMED")).toBe(100);
    expect(count("FAILED")).toBeGreaterThan(0);
    expect(orders.filter((o) => o.status === "FAILED").every((o) => o.reason === "PAYMENT_DECLINED")).toBe(
      true,
    );
    const restores = (await eventMovements(deps, event.id, "RELEASE")).length;
    expect(restores).toBe(count("FAILED"));
    expect(await deps.redis.hget(keys.stats(event.id), "failed:PAYMENT_DECLINED")).toBe(
      String(count("FAILED")),
    );
    await expectInvariants(deps, event.id);
  });
});

describe("restore exactly once", () => {
  it("50 concurrent restores of one reservation, racing 50 late successes, settle it once", async () => {
    const { deps, url } = stack;
    const event = await liveEvent(deps, {
      products: [{ sku: "A", name: "Seat", priceCents: 1000, stock: 5 }],
    });
    await deps.queues.get(event.id).pause();
    const { tickets } = await fireJoins(url, event.id, 1, () => "racer");
    const ticketId = tickets[0]?.ticketId ?? "";
    expect((await reserve(deps.redis, event.id, "A", ticketId)).kind).toBe("reserved");

    const job = { eventId: event.id, ticketId, sku: "A" };
    const payment = new SimulatedPayment();
    const results = await Promise.allSettled([
      ...Array.from({ length: 50 }, () => failPurchase(deps, job)),
      ...Array.from({ length: 50 }, () => processPurchase(deps, payment, job)),
    ]);
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);

    const orders = await deps.prisma.order.findMany({ where: { ticketId } });
    expect(orders).toHaveLength(1);
    const stock = await deps.redis.hgetall(keys.stock(event.id, "A"));
    if (orders[0]?.status === "CONFIRMED")
      expect(stock).toMatchObject({ remaining: "4", reserved: "0", sold: "1" });
    else expect(stock).toMatchObject({ remaining: "5", reserved: "0", sold: "0" });
    expect(await eventMovements(deps, event.id, "TAKE")).toHaveLength(1);
    await deps.queues.get(event.id).resume();
    await waitForAllFinal(deps, event.id);
    await expectInvariants(deps, event.id);
  });
});

describe("the reconciler during a sale", () => {
  it("reconciling in a tight loop while purchases run repairs nothing into an oversell", async () => {
    const { deps, url } = stack;
    const event = await liveEvent(deps, {
      paymentFailureRate: 0.1,
      products: [{ sku: "A", name: "Seat", priceCents: 1000, stock: 60 }],
    });
    let selling = true;
    let passes = 0;
    const reconciling = (async () => {
      while (selling) {
        const report = await reconcileEvent(deps, event.id, { repair: true, stuckAfterMs: 60_000 });
        for (const p of report.products) expect(p.repaired, JSON.stringify(p)).toBe(false);
        passes += 1;
      }
    })();
    await fireJoins(url, event.id, 600, (i) => `r-${i}`);
    await waitForAllFinal(deps, event.id);
    selling = false;
    await reconciling;
    expect(passes).toBeGreaterThan(5);
    expect(await deps.prisma.order.count({ where: { eventId: event.id, status: "CONFIRMED" } })).toBe(60);
    await expectInvariants(deps, event.id);
  });
});

describe("steering a sale under load", () => {
  it("pause, resume, a stock change and stop answer promptly while purchases commit", async () => {
    const { deps, url } = stack;
    const event = await liveEvent(deps, {
      admissionRate: 400,
      products: [{ sku: "A", name: "Seat", priceCents: 1000, stock: 1500 }],
    });
    const joining = fireJoins(url, event.id, 1200, (i) => `steer-${i}`);
    await eventually(async () => (await deps.prisma.order.count({ where: { eventId: event.id } })) >= 50);
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
    const timed = async (path: string, init: RequestInit = {}) => {
      const started = Date.now();
      const res = await fetch(`${url}/api/admin/events/${event.id}${path}`, {
        method: "POST",
        headers: admin,
        ...init,
      });
      return { status: res.status, ms: Date.now() - started };
    };
    for (const step of [
      await timed("/pause"),
      await timed("/resume"),
      await timed("/products/A/stock", { method: "PUT", body: JSON.stringify({ total: 1400 }) }),
      await timed("/stop"),
    ]) {
      expect(step.status).toBe(200);
      expect(step.ms).toBeLessThan(3000);
    }
    await joining;
    await waitForAllFinal(deps, event.id);
    await expectInvariants(deps, event.id);
  });
});
