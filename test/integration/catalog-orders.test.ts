// Catalog orders on location stocks (src/catalog/) against the real Redis and PostgreSQL: both
// channels racing for one store's units, multi-line orders all or none, cancels giving each unit
// back once where it came from, transfers that never make or lose a unit, the ledger summing to
// the levels; and the row-lock comparison path under the same race.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDeps, createDeps } from "../../src/bootstrap.js";
import {
  createLocation,
  createProduct,
  getProductWithStock,
  storeStock,
} from "../../src/catalog/locations.service.js";
import { locationLedger, receive, transfer } from "../../src/catalog/movements.service.js";
import { cancelOrder, fulfilOrder, payOrder } from "../../src/catalog/orders.service.js";
import { placeOnlineOrder, placeStoreOrder } from "../../src/catalog/place-order.js";
import type { Deps } from "../../src/deps.js";
import { testConfig } from "../support/app.js";
import { expectStockInvariants, ledgerFigures, settleStocks } from "../support/stock-invariants.js";

let deps: Deps;
let rowlock: Deps;
beforeAll(() => {
  deps = createDeps(testConfig(), { name: "catalog-test" });
  rowlock = createDeps(testConfig({ ORDER_STOCK_MODE: "rowlock" }), { name: "catalog-rowlock-test" });
});
afterAll(async () => {
  await closeDeps(deps);
  await closeDeps(rowlock);
});

const uid = () => randomBytes(5).toString("hex");
const codeOf = (p: Promise<unknown>) =>
  p.then(() => "OK").catch((e: { code?: string }) => e.code ?? String(e));

async function product(priceCents = 1000) {
  const sku = `sku-${uid()}`;
  await createProduct(deps, { sku, name: `Product ${sku}`, priceCents });
  return sku;
}

async function place(kind: "WAREHOUSE" | "STORE", lat = 48.85, lng = 2.35) {
  return (await createLocation(deps, { name: `${kind} ${uid()}`, kind, lat, lng })).id;
}

const stockIdOf = async (locationId: string, sku: string) =>
  (await deps.prisma.locationStock.findUniqueOrThrow({ where: { locationId_sku: { locationId, sku } } }))
    .stockId;

describe("catalog orders, the Redis way", () => {
  it("1,000 online orders and 200 till sales race for one store's 300 units: never more than 300 sold, both channels see one figure", async () => {
    const store = await place("STORE");
    const sku = await product();
    await receive(deps, store, { reference: `in-${uid()}`, lines: [{ sku, quantity: 300 }] });
    const online = Array.from({ length: 1000 }, (_, i) =>
      codeOf(
        placeOnlineOrder(deps, {
          reference: `on-${store}-${i}`,
          userId: `user-${i}`,
          fulfilment: i % 2 ? "PICKUP" : "SAME_DAY",
          storeId: store,
          lines: [{ sku, quantity: 1 }],
        }),
      ),
    );
    const offline = Array.from({ length: 200 }, (_, i) =>
      codeOf(
        placeStoreOrder(deps, store, { reference: `till-${store}-${i}`, lines: [{ sku, quantity: 1 }] }),
      ),
    );
    const outcomes = await Promise.all([...online, ...offline]);
    const ok = outcomes.filter((o) => o === "OK").length;
    expect(ok).toBe(300);
    expect(outcomes.filter((o) => o !== "OK" && o !== "SOLD_OUT")).toEqual([]);
    await settleStocks(deps, 2);
    const stockId = await stockIdOf(store, sku);
    const figures = await expectStockInvariants(deps, stockId);
    expect(figures.held + figures.taken).toBe(300);
    const orders = await deps.prisma.catalogOrder.groupBy({
      by: ["channel", "status"],
      where: { locationId: store },
      _count: true,
    });
    const count = (channel: string, status: string) =>
      orders.find((o) => o.channel === channel && o.status === status)?._count ?? 0;
    expect(count("ONLINE", "PENDING") + count("OFFLINE", "PAID")).toBe(300);
    expect(figures.taken).toBe(count("OFFLINE", "PAID"));
    // Both channels read the same figure: the store's stock, the product's, the till's.
    expect((await storeStock(deps, store, sku)).available).toBe(0);
    expect((await getProductWithStock(deps, sku)).locations).toEqual([
      { locationId: store, kind: "STORE", available: 0 },
    ]);
  });

  it("a multi-line order with one line short takes nothing; a repeat answers the same order; another body conflicts", async () => {
    const warehouse = await place("WAREHOUSE");
    const [a, b, c] = [await product(250), await product(100), await product(999)];
    await receive(deps, warehouse, {
      reference: `in-${uid()}`,
      lines: [
        { sku: a, quantity: 5 },
        { sku: b, quantity: 1 },
        { sku: c, quantity: 2 },
      ],
    });
    const short = placeOnlineOrder(deps, {
      reference: `ml-${uid()}`,
      userId: "u1",
      fulfilment: "DELIVERY",
      lines: [
        { sku: a, quantity: 2 },
        { sku: b, quantity: 2 },
      ],
    });
    await expect(short).rejects.toMatchObject({ code: "SOLD_OUT", details: { sku: b } });
    const reference = `ml-${uid()}`;
    const body = {
      reference,
      userId: "u1",
      fulfilment: "DELIVERY" as const,
      lines: [
        { sku: a, quantity: 2 },
        { sku: c, quantity: 2 },
      ],
    };
    const first = await placeOnlineOrder(deps, body);
    expect(first.created).toBe(true);
    expect(first.order).toMatchObject({
      status: "PENDING",
      channel: "ONLINE",
      amountCents: 2 * 250 + 2 * 999,
    });
    const again = await placeOnlineOrder(deps, body);
    expect(again).toEqual({ created: false, order: first.order });
    expect(await codeOf(placeOnlineOrder(deps, { ...body, lines: [{ sku: a, quantity: 1 }] }))).toBe(
      "REFERENCE_CONFLICT",
    );
    await settleStocks(deps, 1);
    expect(await expectStockInvariants(deps, await stockIdOf(warehouse, a))).toEqual({
      total: 5,
      held: 2,
      taken: 0,
    });
    expect(await expectStockInvariants(deps, await stockIdOf(warehouse, b))).toEqual({
      total: 1,
      held: 0,
      taken: 0,
    });
    expect(await expectStockInvariants(deps, await stockIdOf(warehouse, c))).toEqual({
      total: 2,
      held: 2,
      taken: 0,
    });
    // The state machine: PENDING → PAID → FULFILLED; a fulfilled order is not cancelled.
    await payOrder(deps, first.order.orderId);
    expect((await fulfilOrder(deps, first.order.orderId)).status).toBe("FULFILLED");
    expect(await codeOf(cancelOrder(deps, first.order.orderId))).toBe("INVALID_STATE");
    expect(await expectStockInvariants(deps, await stockIdOf(warehouse, a))).toEqual({
      total: 5,
      held: 0,
      taken: 2,
    });
  });

  it("a cancel, repeated concurrently, gives each unit back once to the place it came from", async () => {
    const [s1, s2] = [await place("STORE"), await place("STORE")];
    const sku = await product();
    await receive(deps, s1, { reference: `in-${uid()}`, lines: [{ sku, quantity: 10 }] });
    await receive(deps, s2, { reference: `in-${uid()}`, lines: [{ sku, quantity: 10 }] });
    const body = {
      reference: `c-${uid()}`,
      userId: "u1",
      fulfilment: "PICKUP" as const,
      storeId: s1,
      lines: [{ sku, quantity: 4 }],
    };
    const online = await placeOnlineOrder(deps, body);
    const till = await placeStoreOrder(deps, s2, { reference: `c-${uid()}`, lines: [{ sku, quantity: 3 }] });
    expect(till.order.status).toBe("PAID");
    const cancels = await Promise.all([
      ...Array.from({ length: 10 }, () => codeOf(cancelOrder(deps, online.order.orderId))),
      ...Array.from({ length: 10 }, () => codeOf(cancelOrder(deps, till.order.orderId, { storeId: s2 }))),
    ]);
    expect(cancels.every((c) => c === "OK")).toBe(true);
    expect(await codeOf(cancelOrder(deps, till.order.orderId, { storeId: s1 }))).toBe("NOT_FOUND");
    await settleStocks(deps, 1);
    expect(await expectStockInvariants(deps, await stockIdOf(s1, sku))).toEqual({
      total: 10,
      held: 0,
      taken: 0,
    });
    expect(await expectStockInvariants(deps, await stockIdOf(s2, sku))).toEqual({
      total: 10,
      held: 0,
      taken: 0,
    });
    expect((await storeStock(deps, s1, sku)).available).toBe(10);
    expect((await storeStock(deps, s2, sku)).available).toBe(10);
    // A repeat of a cancelled order answers it as it stands, even with the store sold out.
    await placeStoreOrder(deps, s1, { reference: `all-${uid()}`, lines: [{ sku, quantity: 10 }] });
    const repeat = await placeOnlineOrder(deps, body);
    expect(repeat).toMatchObject({
      created: false,
      order: { orderId: online.order.orderId, status: "CANCELLED" },
    });
    const returns = await deps.prisma.stockMovement.count({
      where: { reference: `order:${till.order.orderId}`, reason: "RETURN" },
    });
    expect(returns).toBe(1);
  });

  it("transfers racing each other and orders never make or lose a unit; the ledger sums to the levels", async () => {
    const [warehouse, store] = [await place("WAREHOUSE"), await place("STORE")];
    const sku = await product();
    await receive(deps, warehouse, { reference: `in-${uid()}`, lines: [{ sku, quantity: 100 }] });
    const tag = uid();
    const transfers = Array.from({ length: 30 }, (_, i) =>
      codeOf(
        transfer(deps, {
          reference: `tr-${tag}-${i}`,
          from: i % 3 === 2 ? store : warehouse,
          to: i % 3 === 2 ? warehouse : store,
          lines: [{ sku, quantity: 7 }],
        }),
      ),
    );
    const orders = Array.from({ length: 60 }, (_, i) =>
      codeOf(
        placeOnlineOrder(deps, {
          reference: `to-${tag}-${i}`,
          userId: `u${i}`,
          fulfilment: i % 2 ? "SAME_DAY" : "DELIVERY",
          storeId: store,
          lines: [{ sku, quantity: 1 }],
        }),
      ),
    );
    // The same transfer repeated: once.
    const repeats = Array.from({ length: 5 }, () =>
      codeOf(
        transfer(deps, {
          reference: `tr-${tag}-0`,
          from: warehouse,
          to: store,
          lines: [{ sku, quantity: 7 }],
        }),
      ),
    );
    const outcomes = await Promise.all([...transfers, ...orders, ...repeats]);
    expect(outcomes.filter((o) => !["OK", "SOLD_OUT", "NOT_FOUND"].includes(o))).toEqual([]);
    await settleStocks(deps, 2);
    const w = await expectStockInvariants(deps, await stockIdOf(warehouse, sku));
    const s = await expectStockInvariants(deps, await stockIdOf(store, sku));
    expect((w.total ?? 0) + (s.total ?? 0), "units neither made nor lost").toBe(100);
    const out = await deps.prisma.stockMovement.aggregate({
      where: { reason: "TRANSFER_OUT", reference: { startsWith: `transfer:tr-${tag}-` } },
      _sum: { quantity: true },
      _count: true,
    });
    const into = await deps.prisma.stockMovement.aggregate({
      where: { reason: "TRANSFER_IN", reference: { startsWith: `transfer:tr-${tag}-` } },
      _sum: { quantity: true },
      _count: true,
    });
    expect(out._sum.quantity).toBe(into._sum.quantity);
    expect(await deps.prisma.transfer.count({ where: { reference: { startsWith: `tr-${tag}-` } } })).toBe(
      out._count,
    );
    // The location's ledger pages sum to its level.
    const ledger = await locationLedger(deps, store, { sku, limit: 500 });
    const sum = (reason: string) =>
      ledger.items.filter((e) => e.reason === reason).reduce((n, e) => n + e.quantity, 0);
    expect(sum("INITIAL") + sum("INBOUND") + sum("TRANSFER_IN") - sum("TRANSFER_OUT")).toBe(s.total);
    expect((await ledgerFigures(deps, await stockIdOf(store, sku))).held).toBe(s.held);
    // Not enough at the source: refused, nothing moved.
    expect(
      await codeOf(
        transfer(deps, {
          reference: `big-${tag}`,
          from: store,
          to: warehouse,
          lines: [{ sku, quantity: 1000 }],
        }),
      ),
    ).toBe("SOLD_OUT");
  });

  it("a receipt repeated is applied once; another body under its reference conflicts", async () => {
    const store = await place("STORE");
    const sku = await product();
    const reference = `rc-${uid()}`;
    const all = await Promise.all(
      Array.from({ length: 8 }, () =>
        codeOf(receive(deps, store, { reference, lines: [{ sku, quantity: 5 }] })),
      ),
    );
    expect(all.every((a) => a === "OK")).toBe(true);
    expect(await codeOf(receive(deps, store, { reference, lines: [{ sku, quantity: 6 }] }))).toBe(
      "REFERENCE_CONFLICT",
    );
    expect(await expectStockInvariants(deps, await stockIdOf(store, sku))).toEqual({
      total: 5,
      held: 0,
      taken: 0,
    });
  });
});

describe("catalog orders, the row-lock comparison path", () => {
  it("the same race on PostgreSQL row locks: never more than the units, cancel gives back once", async () => {
    const store = await place("STORE");
    const sku = await product();
    await receive(rowlock, store, { reference: `in-${uid()}`, lines: [{ sku, quantity: 50 }] });
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        codeOf(
          i % 4
            ? placeOnlineOrder(rowlock, {
                reference: `rl-${store}-${i}`,
                userId: `u${i}`,
                fulfilment: "PICKUP",
                storeId: store,
                lines: [{ sku, quantity: 1 }],
              })
            : placeStoreOrder(rowlock, store, {
                reference: `rl-${store}-${i}`,
                lines: [{ sku, quantity: 1 }],
              }),
        ),
      ),
    );
    expect(outcomes.filter((o) => o === "OK").length).toBe(50);
    expect((await storeStock(rowlock, store, sku)).available).toBe(0);
    const order = await deps.prisma.catalogOrder.findFirstOrThrow({ where: { locationId: store } });
    await Promise.all(Array.from({ length: 5 }, () => cancelOrder(rowlock, order.id)));
    expect((await storeStock(rowlock, store, sku)).available).toBe(1);
  });
});
