// Catalog orders under faults, against the real Redis and PostgreSQL: a process that died
// between an order's take and its row, or between a cancel's status and its give-back; a drift
// the reconciler repairs, reported with its location; a location stock's Redis state lost
// mid-traffic; a Redis total left below PostgreSQL's by a move that died before its commit.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDeps, createDeps } from "../../src/bootstrap.js";
import { createLocation, createProduct, storeStock } from "../../src/catalog/locations.service.js";
import { receive } from "../../src/catalog/movements.service.js";
import { orderIdOf, takeReferenceOf } from "../../src/catalog/order-records.js";
import { placeOnlineOrder, placeStoreOrder } from "../../src/catalog/place-order.js";
import type { Deps } from "../../src/deps.js";
import { convergeCatalogOrders } from "../../src/recovery/catalog-orders.js";
import { convergeStocks } from "../../src/recovery/stocks.js";
import { keys } from "../../src/redis/keys.js";
import { setTotalAt } from "../../src/redis/steps/stock-counters.js";
import { take } from "../../src/stock/takes.service.js";
import { testConfig } from "../support/app.js";
import { expectStockInvariants, settleStocks } from "../support/stock-invariants.js";

let deps: Deps;
beforeAll(() => {
  deps = createDeps(testConfig(), { name: "catalog-faults-test" });
});
afterAll(() => closeDeps(deps));

const uid = () => randomBytes(5).toString("hex");
const codeOf = (p: Promise<unknown>) =>
  p.then(() => "OK").catch((e: { code?: string }) => e.code ?? String(e));

async function storeWith(units: number) {
  const sku = `sku-${uid()}`;
  await createProduct(deps, { sku, name: sku, priceCents: 500 });
  const store = (await createLocation(deps, { name: `s-${uid()}`, kind: "STORE", lat: 1, lng: 1 })).id;
  await receive(deps, store, { reference: `in-${uid()}`, lines: [{ sku, quantity: units }] });
  const row = await deps.prisma.locationStock.findUniqueOrThrow({
    where: { locationId_sku: { locationId: store, sku } },
  });
  const stock = await deps.prisma.stock.findUniqueOrThrow({ where: { id: row.stockId } });
  return { sku, store, stockId: row.stockId, address: { group: stock.group, stockId: row.stockId } };
}

describe("catalog orders under faults", () => {
  it("a take whose order was never written is given back; a cancel that died before its give-back is finished", async () => {
    const { sku, store, stockId } = await storeWith(10);
    // The order's take, then the process died before the order's row.
    const reference = `lost-${uid()}`;
    const orderId = orderIdOf(reference);
    await take(deps, {
      reference: takeReferenceOf(orderId),
      userId: "u1",
      lines: [{ stockId, quantity: 3 }],
    });
    // A placed order whose cancel died after its status.
    const placed = await placeOnlineOrder(deps, {
      reference: `c-${uid()}`,
      userId: "u2",
      fulfilment: "PICKUP",
      storeId: store,
      lines: [{ sku, quantity: 2 }],
    });
    await deps.prisma.catalogOrder.update({
      where: { id: placed.order.orderId },
      data: { status: "CANCELLED" },
    });
    expect((await storeStock(deps, store, sku)).available).toBe(5);

    // Other files' orphans may be swept too (the database outlives a run): count at least ours.
    expect((await convergeCatalogOrders(deps)).cancelsApplied).toBeGreaterThanOrEqual(1);
    expect(
      (await deps.prisma.take.findFirstOrThrow({ where: { reference: takeReferenceOf(orderId) } })).status,
    ).toBe("HELD");
    expect((await convergeCatalogOrders(deps, { orphanGraceMs: 0 })).orphansReleased).toBeGreaterThanOrEqual(
      1,
    );
    expect(
      (await deps.prisma.take.findFirstOrThrow({ where: { reference: takeReferenceOf(orderId) } })).status,
    ).toBe("RELEASED");
    await settleStocks(deps, 1);
    expect(await expectStockInvariants(deps, stockId)).toEqual({ total: 10, held: 0, taken: 0 });
    const repeat = placeOnlineOrder(deps, {
      reference,
      userId: "u1",
      fulfilment: "PICKUP",
      storeId: store,
      lines: [{ sku, quantity: 3 }],
    });
    expect(await codeOf(repeat)).toBe("INVALID_STATE");
  });

  it("a till's sale whose process died after its intent: the loop holds it, the till's repeat makes it PAID and final", async () => {
    const { sku, store, stockId } = await storeWith(5);
    const reference = `till-${uid()}`;
    const takeRef = takeReferenceOf(orderIdOf(reference));
    await deps.takes.recordIntent({ reference: takeRef, userId: null, lines: [{ stockId, quantity: 2 }] });
    await new Promise((r) => setTimeout(r, 50));
    await settleStocks(deps, 2);
    expect((await deps.prisma.take.findFirstOrThrow({ where: { reference: takeRef } })).status).toBe("HELD");
    const sale = await placeStoreOrder(deps, store, { reference, lines: [{ sku, quantity: 2 }] });
    expect(sale.order.status).toBe("PAID");
    expect((await deps.prisma.take.findFirstOrThrow({ where: { reference: takeRef } })).status).toBe(
      "CONFIRMED",
    );
    expect(await expectStockInvariants(deps, stockId)).toEqual({ total: 5, held: 0, taken: 2 });
  });

  it("counters that drifted are repaired and the report names the location", async () => {
    const { sku, store, stockId, address } = await storeWith(20);
    await placeStoreOrder(deps, store, { reference: `d-${uid()}`, lines: [{ sku, quantity: 4 }] });
    await deps.redis.hincrby(keys.stockCounters(address), "sold", 3);
    const report = await convergeStocks(deps, { reconcile: true, graceMs: 0 });
    expect(report.drifted).toContainEqual({ stockId, locationId: store, sku });
    expect(await expectStockInvariants(deps, stockId)).toEqual({ total: 20, held: 0, taken: 4 });
  });

  it("a location stock's Redis state lost mid-traffic: no unit sold twice or lost once settled", async () => {
    const { sku, store, stockId, address } = await storeWith(100);
    const wave = (from: number) =>
      Promise.all(
        Array.from({ length: 80 }, (_, i) =>
          codeOf(
            i % 2
              ? placeStoreOrder(deps, store, {
                  reference: `w-${store}-${from + i}`,
                  lines: [{ sku, quantity: 1 }],
                })
              : placeOnlineOrder(deps, {
                  reference: `w-${store}-${from + i}`,
                  userId: `u${from + i}`,
                  fulfilment: "SAME_DAY",
                  storeId: store,
                  lines: [{ sku, quantity: 1 }],
                }),
          ),
        ),
      );
    const first = wave(0);
    await new Promise((r) => setTimeout(r, 15));
    await deps.redis.del(keys.stockCounters(address), keys.stockUsers(address), keys.stockRefs(address));
    const answers = [...(await first), ...(await wave(80))];
    await settleStocks(deps, 3);
    const figures = await expectStockInvariants(deps, stockId);
    const told = answers.filter((a) => a === "OK").length;
    expect(told).toBe(100);
    expect(figures.held + figures.taken).toBe(100);
    expect(await deps.prisma.catalogOrder.count({ where: { locationId: store } })).toBe(told);
  });

  it("a Redis total left below PostgreSQL's (a move that died before its commit) is lifted by the loop", async () => {
    const { sku, store, stockId, address } = await storeWith(30);
    await setTotalAt(deps.redis, keys.stockCounters(address), 25, "check");
    expect((await storeStock(deps, store, sku)).available).toBe(25);
    await settleStocks(deps, 1);
    expect((await storeStock(deps, store, sku)).available).toBe(30);
    await expectStockInvariants(deps, stockId);
  });
});
