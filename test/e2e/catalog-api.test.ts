// The catalog API (API.md "Catalog, locations and orders") over real HTTP, Redis and PostgreSQL:
// an admin stocks a warehouse and two stores, shoppers read and ask which store near them has it,
// a checkout service (scope `orders`) and a store's till (scope `store:<id>`) race for the same
// units, and staff cancel.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, startTestStack, type TestStack } from "../support/app.js";
import { call as rawCall } from "../support/convergence.js";
import { expectStockInvariants, settleStocks } from "../support/stock-invariants.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ workerPools: 0 });
});
afterAll(() => stack?.close());

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
type Answer = { status: number; body: any };
const as = (token?: string) => ({
  get: (path: string): Promise<Answer> => rawCall(stack.url, "GET", path, { token }),
  post: (path: string, body?: unknown): Promise<Answer> =>
    rawCall(stack.url, "POST", path, { body: body ?? {}, token }),
  patch: (path: string): Promise<Answer> => rawCall(stack.url, "PATCH", path, { body: {}, token }),
});
const admin = as(ADMIN_TOKEN);
const anyone = as();
const uid = () => randomBytes(4).toString("hex");

async function keyFor(scopes: string[]): Promise<string> {
  const res = await admin.post("/api/admin/service-keys", { name: "catalog", scopes });
  expect(res.status).toBe(201);
  return String(res.body.key);
}

async function location(
  kind: "WAREHOUSE" | "STORE",
  name: string,
  lat?: number,
  lng?: number,
): Promise<string> {
  const res = await admin.post("/api/admin/locations", {
    name,
    kind,
    ...(lat === undefined ? {} : { lat, lng }),
  });
  expect(res.status).toBe(201);
  return String(res.body.id);
}

describe("the catalog over HTTP", () => {
  it("stock in and between places, public reads, nearby stores, online and till orders, cancels", async () => {
    const sku = `tee-${uid()}`;
    expect((await admin.post("/api/admin/products", { sku, name: "T-shirt", priceCents: 1500 })).status).toBe(
      201,
    );
    expect((await admin.post("/api/admin/products", { sku, name: "Again", priceCents: 1 })).status).toBe(409);
    const warehouse = await location("WAREHOUSE", "Central");
    const paris = await location("STORE", "Paris", 48.8566, 2.3522);
    const lyon = await location("STORE", "Lyon", 45.764, 4.8357);
    const lille = await location("STORE", "Lille", 50.6292, 3.0573);

    const receipt = { reference: `in-${uid()}`, lines: [{ sku, quantity: 50 }] };
    expect((await admin.post(`/api/admin/locations/${warehouse}/receipts`, receipt)).status).toBe(201);
    expect((await admin.post(`/api/admin/locations/${warehouse}/receipts`, receipt)).status).toBe(201);
    const other = { ...receipt, lines: [{ sku, quantity: 51 }] };
    expect((await admin.post(`/api/admin/locations/${warehouse}/receipts`, other)).body.error.code).toBe(
      "REFERENCE_CONFLICT",
    );
    for (const [to, quantity] of [
      [paris, 10],
      [lyon, 5],
      [lille, 3],
    ] as const) {
      const moved = await admin.post("/api/admin/transfers", {
        reference: `tr-${uid()}`,
        from: warehouse,
        to,
        lines: [{ sku, quantity }],
      });
      expect(moved.status).toBe(201);
    }
    const tooMany = await admin.post("/api/admin/transfers", {
      reference: `tr-${uid()}`,
      from: lille,
      to: paris,
      lines: [{ sku, quantity: 4 }],
    });
    expect(tooMany.body.error).toMatchObject({ code: "SOLD_OUT", details: { sku, available: 3 } });

    const product = await anyone.get(`/api/products/${sku}`);
    expect(product.body).toMatchObject({ sku, priceCents: 1500, available: 50 });
    expect(product.body.locations).toHaveLength(4);
    expect((await anyone.get(`/api/stores/${paris}/products`)).body).toEqual([
      { sku, name: "T-shirt", priceCents: 1500, available: 10 },
    ]);
    const nearby = await anyone.get(`/api/stores/${paris}/products/${sku}/nearby`);
    expect(nearby.body.map((s: { name: string }) => s.name)).toEqual(["Lille", "Lyon"]);
    expect(nearby.body[0].distanceKm).toBeGreaterThan(200);
    expect(nearby.body[0].distanceKm).toBeLessThan(210);
    expect((await anyone.get(`/api/stores/${warehouse}/products`)).status).toBe(404);

    const checkout = as(await keyFor(["orders"]));
    const till = as(await keyFor([`store:${paris}`]));
    const elsewhere = as(await keyFor([`store:${lyon}`]));
    const order = {
      reference: `web-${uid()}`,
      userId: "u1",
      fulfilment: "PICKUP",
      storeId: paris,
      lines: [{ sku, quantity: 2 }],
    };
    const placed = await checkout.post("/api/orders", order);
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({
      channel: "ONLINE",
      fulfilment: "PICKUP",
      status: "PENDING",
      amountCents: 3000,
      lines: [{ sku, quantity: 2, locationId: paris, priceCents: 1500 }],
    });
    expect((await checkout.post("/api/orders", order)).status).toBe(200);
    expect((await checkout.post("/api/orders", { ...order, userId: "u2" })).body.error.code).toBe(
      "REFERENCE_CONFLICT",
    );
    expect((await till.post("/api/orders", order)).status).toBe(403);
    expect(
      (await elsewhere.post(`/api/stores/${paris}/orders`, { reference: "x", lines: [{ sku, quantity: 1 }] }))
        .status,
    ).toBe(403);
    const sale = await till.post(`/api/stores/${paris}/orders`, {
      reference: `till-${uid()}`,
      lines: [{ sku, quantity: 3 }],
    });
    expect(sale.body).toMatchObject({ channel: "OFFLINE", fulfilment: null, status: "PAID", userId: null });
    expect((await anyone.get(`/api/stores/${paris}/products/${sku}/stock`)).body).toEqual({
      locationId: paris,
      sku,
      available: 5,
    });
    const delivery = await checkout.post("/api/orders", {
      reference: `web-${uid()}`,
      userId: "u3",
      fulfilment: "DELIVERY",
      lines: [{ sku, quantity: 32 }],
    });
    expect(delivery.body.lines[0].locationId).toBe(warehouse);
    const none = await checkout.post("/api/orders", {
      reference: `web-${uid()}`,
      userId: "u3",
      fulfilment: "DELIVERY",
      lines: [{ sku, quantity: 1 }],
    });
    expect(none.body.error).toMatchObject({ code: "SOLD_OUT", details: { sku } });

    // Cancels: online by the checkout, the till's by the till; each unit back once where it came from.
    expect((await elsewhere.patch(`/api/orders/${placed.body.orderId}/cancel`)).status).toBe(404);
    expect((await till.get(`/api/orders/${placed.body.orderId}`)).body.status).toBe("PENDING");
    const cancels = await Promise.all([
      checkout.patch(`/api/orders/${placed.body.orderId}/cancel`),
      checkout.patch(`/api/orders/${placed.body.orderId}/cancel`),
      till.patch(`/api/stores/${paris}/orders/${sale.body.orderId}/cancel`),
      till.patch(`/api/stores/${paris}/orders/${sale.body.orderId}/cancel`),
    ]);
    expect(cancels.map((c) => [c.status, c.body.status])).toEqual(Array(4).fill([200, "CANCELLED"]));
    expect((await elsewhere.patch(`/api/stores/${lyon}/orders/${sale.body.orderId}/cancel`)).status).toBe(
      404,
    );
    expect((await anyone.get(`/api/stores/${paris}/products/${sku}/stock`)).body.available).toBe(10);

    const ledger = await admin.get(`/api/admin/locations/${paris}/ledger?sku=${sku}&limit=3`);
    expect(ledger.body.items).toHaveLength(3);
    expect(ledger.body.nextCursor).not.toBeNull();
    const orders = await admin.get(`/api/admin/catalog-orders?channel=OFFLINE&locationId=${paris}`);
    expect(orders.body.items.map((o: { orderId: string }) => o.orderId)).toEqual([sale.body.orderId]);
  });

  it("300 units, 400 online orders and 100 till sales at once over HTTP: 300 sold, one figure", async () => {
    const sku = `mug-${uid()}`;
    await admin.post("/api/admin/products", { sku, name: "Mug", priceCents: 900 });
    const store = await location("STORE", "Nantes", 47.2184, -1.5536);
    await admin.post(`/api/admin/locations/${store}/receipts`, {
      reference: `in-${uid()}`,
      lines: [{ sku, quantity: 300 }],
    });
    const checkout = as(await keyFor(["orders"]));
    const till = as(await keyFor([`store:${store}`]));
    const answers = await Promise.all([
      ...Array.from({ length: 400 }, (_, i) =>
        checkout.post("/api/orders", {
          reference: `w-${store}-${i}`,
          userId: `u${i}`,
          fulfilment: "SAME_DAY",
          storeId: store,
          lines: [{ sku, quantity: 1 }],
        }),
      ),
      ...Array.from({ length: 100 }, (_, i) =>
        till.post(`/api/stores/${store}/orders`, {
          reference: `t-${store}-${i}`,
          lines: [{ sku, quantity: 1 }],
        }),
      ),
    ]);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(300);
    expect(answers.filter((a) => a.status !== 201 && a.body?.error?.code !== "SOLD_OUT")).toEqual([]);
    await settleStocks(stack.deps, 2);
    const row = await stack.deps.prisma.locationStock.findUniqueOrThrow({
      where: { locationId_sku: { locationId: store, sku } },
    });
    const figures = await expectStockInvariants(stack.deps, row.stockId);
    expect(figures.held + figures.taken).toBe(300);
    expect((await anyone.get(`/api/products/${sku}`)).body.available).toBe(0);
  });

  it("bad input is a 4xx in the contract's shape", async () => {
    const checkout = as(await keyFor(["orders"]));
    const bad: [Promise<Answer>, number][] = [
      [admin.post("/api/admin/products", { sku: "a b", name: "x", priceCents: 1 }), 400],
      [admin.post("/api/admin/locations", { name: "x", kind: "SHED" }), 400],
      [admin.post("/api/admin/locations", { name: "x", kind: "STORE", lat: 1 }), 400],
      [
        admin.post("/api/admin/transfers", {
          reference: "r",
          from: "a",
          to: "a",
          lines: [{ sku: "s", quantity: 1 }],
        }),
        400,
      ],
      [
        admin.post("/api/admin/locations/nope/receipts", {
          reference: "r",
          lines: [{ sku: "s", quantity: 1 }],
        }),
        404,
      ],
      [
        checkout.post("/api/orders", {
          reference: "r",
          userId: "u",
          fulfilment: "PICKUP",
          lines: [{ sku: "s", quantity: 1 }],
        }),
        400,
      ],
      [checkout.post("/api/orders", { reference: "r", userId: "u", fulfilment: "DELIVERY", lines: [] }), 400],
      [
        checkout.post("/api/orders", {
          reference: "r",
          userId: "u",
          fulfilment: "DELIVERY",
          lines: [{ sku: "no-such", quantity: 1 }],
        }),
        404,
      ],
      [anyone.post("/api/orders", {}), 401],
      [anyone.get("/api/products/no-such"), 404],
      [anyone.get("/api/stores/x/products/y/nearby?limit=0"), 400],
      [checkout.get("/api/orders/nope"), 404],
    ];
    for (const [answer, status] of bad) {
      const res = await answer;
      expect(res.status).toBe(status);
      expect(res.body.error.code).toEqual(expect.any(String));
    }
  });
});
