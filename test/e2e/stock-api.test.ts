// The v2 stock and coupon API (API.md "Stocks", "Coupons") over real HTTP, Redis and
// PostgreSQL, as another service's checkout and a coupon platform call it with their keys.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, startTestStack, type TestStack } from "../support/app.js";
import { call as rawCall } from "../support/convergence.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ workerPools: 0 });
});
afterAll(() => stack?.close());

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
type Answer = { status: number; body: any };
const call = (url: string, method: string, path: string, body?: unknown, token?: string): Promise<Answer> =>
  rawCall(url, method, path, { body, token });

const as = (auth: string) => ({
  get: (path: string) => call(stack.url, "GET", path, undefined, auth),
  post: (path: string, body?: unknown) => call(stack.url, "POST", path, body ?? {}, auth),
  put: (path: string, body: unknown) => call(stack.url, "PUT", path, body, auth),
});
const admin = as(ADMIN_TOKEN);

async function keyFor(scopes: string[]): Promise<string> {
  const res = await admin.post("/api/admin/service-keys", { name: "checkout", scopes });
  expect(res.status).toBe(201);
  return String(res.body.key);
}

describe("stocks over HTTP", () => {
  it("a voucher shop takes, repeats, confirms and releases by its own purchase number", async () => {
    const created = await admin.post("/api/admin/stocks", { name: "Voucher 50", total: 3, perUserLimit: 2 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: "DRAFT", total: 3, remaining: 3, held: 0, taken: 0 });
    const id = String(created.body.id);
    const shop = as(await keyFor([`stock:${id}`]));
    expect(
      (await shop.post(`/api/stocks/${id}/takes`, { reference: "P-1", userId: "u1" })).body.error.code,
    ).toBe("SALE_NOT_OPEN");
    expect((await admin.post(`/api/admin/stocks/${id}/confirm`)).body).toMatchObject({
      status: "LIVE",
      remaining: 3,
    });

    const taken = await shop.post(`/api/stocks/${id}/takes`, { reference: "P-1", userId: "u1" });
    expect(taken.status).toBe(201);
    expect(taken.body).toMatchObject({
      reference: "P-1",
      stockId: id,
      status: "HELD",
      quantity: 1,
      remaining: 2,
    });
    const again = await shop.post(`/api/stocks/${id}/takes`, { reference: "P-1", userId: "u1" });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ status: "HELD", remaining: 2 });
    expect(
      (await shop.post(`/api/stocks/${id}/takes`, { reference: "P-1", userId: "u1", quantity: 2 })).status,
    ).toBe(409);
    expect(
      (await shop.post(`/api/stocks/${id}/takes`, { reference: "P-2", userId: "u1", quantity: 2 })).body.error
        .code,
    ).toBe("LIMIT_REACHED");
    expect((await shop.post(`/api/stocks/${id}/takes`, { reference: "P-3" })).body.error.code).toBe(
      "LIMIT_REACHED",
    );
    await shop.post(`/api/stocks/${id}/takes`, { reference: "P-4", userId: "u2", quantity: 2 });
    expect(
      (await shop.post(`/api/stocks/${id}/takes`, { reference: "P-5", userId: "u3" })).body.error.code,
    ).toBe("SOLD_OUT");

    expect((await shop.post(`/api/stocks/${id}/takes/P-1/confirm`)).body).toMatchObject({
      status: "CONFIRMED",
    });
    const released = await shop.post(`/api/stocks/${id}/takes/P-4/release`);
    expect(released.body).toMatchObject({ status: "RELEASED", remaining: 2 });
    expect((await shop.post(`/api/stocks/${id}/takes/P-4/release`)).body).toMatchObject({
      status: "RELEASED",
      remaining: 2,
    });
    expect((await shop.post(`/api/stocks/${id}/takes/P-4/confirm`)).status).toBe(409);
    expect((await shop.get(`/api/stocks/${id}/takes/P-1`)).body).toMatchObject({ status: "CONFIRMED" });
    expect((await shop.get(`/api/stocks/${id}/takes/nope`)).status).toBe(404);
    expect((await shop.get(`/api/stocks/${id}`)).body).toMatchObject({ remaining: 2, held: 0, taken: 1 });

    expect((await admin.put(`/api/admin/stocks/${id}/total`, { total: 4 })).body.error.code).toBe(
      "STOCK_RULE",
    );
    expect((await admin.put(`/api/admin/stocks/${id}/total`, { total: 1 })).body).toMatchObject({
      total: 1,
      remaining: 0,
    });
    const ledger = await admin.get(`/api/admin/stocks/${id}/ledger?limit=100`);
    expect(ledger.body.items.map((m: { reason: string }) => m.reason)).toEqual([
      "INITIAL",
      "TAKE",
      "TAKE",
      "CONFIRM",
      "RELEASE",
      "ADJUST",
    ]);
    expect((await admin.post(`/api/admin/stocks/${id}/sync`)).body.remainSyncedAt).not.toBeNull();
    // The operator sees it: the live units by kind, and the takes by outcome.
    const metrics = await (
      await fetch(`${stack.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).text();
    expect(metrics).toContain(`dropqueue_stock_core_units{stock="${id}",stock_kind="STOCK",kind="held"} 0`);
    expect(metrics).toMatch(/dropqueue_stock_takes_total\{outcome="SOLD_OUT"\} [1-9]/);
    expect((await admin.post(`/api/admin/stocks/${id}/close`)).body).toMatchObject({ status: "CLOSED" });
  });

  it("keys are checked: none → 401, another stock's key → 403; bad bodies → 400", async () => {
    const created = await admin.post("/api/admin/stocks", { name: "Other", total: null });
    const id = String(created.body.id);
    const other = as(await keyFor(["stock:someone-else"]));
    expect((await call(stack.url, "POST", `/api/stocks/${id}/takes`, { reference: "x" })).status).toBe(401);
    expect((await other.post(`/api/stocks/${id}/takes`, { reference: "x" })).status).toBe(403);
    const all = as(await keyFor(["stocks"]));
    for (const body of [
      {},
      { reference: "" },
      { reference: "x", quantity: 0 },
      { reference: "x", extra: 1 },
    ]) {
      expect((await all.post(`/api/stocks/${id}/takes`, body)).status).toBe(400);
    }
    expect((await admin.post("/api/admin/stocks", { name: "x", total: -1 })).status).toBe(400);
    expect((await admin.get("/api/admin/stocks/nope")).status).toBe(404);
  });
});

describe("coupons over HTTP", () => {
  it("a coupon platform issues, redeems and un-redeems; the admin sees and closes it", async () => {
    const created = await admin.post("/api/admin/coupons", {
      name: "SPRING10",
      issueTotal: 2,
      useTotal: 1,
      perUserIssueLimit: 1,
    });
    expect(created.status).toBe(201);
    const id = String(created.body.id);
    await admin.post(`/api/admin/coupons/${id}/confirm`);
    const platform = as(await keyFor(["coupons"]));
    const ann = `ann-${id}`;
    const issued = await platform.post(`/api/coupons/${id}/issues`, { userId: ann, reference: "mail-1" });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ couponId: id, userId: ann, status: "ISSUED" });
    expect(
      (await platform.post(`/api/coupons/${id}/issues`, { userId: ann, reference: "mail-1" })).status,
    ).toBe(200);
    expect(
      (await platform.post(`/api/coupons/${id}/issues`, { userId: ann, reference: "mail-2" })).body.error
        .code,
    ).toBe("LIMIT_REACHED");
    const bob = await platform.post(`/api/coupons/${id}/issues`, { userId: "bob", reference: "mail-3" });
    expect(
      (await platform.post(`/api/coupons/${id}/issues`, { userId: "cat", reference: "mail-4" })).body.error
        .code,
    ).toBe("SOLD_OUT");
    const code = String(issued.body.code);
    expect(
      (await platform.post(`/api/coupon-codes/${code}/redeem`, { orderReference: "O-1" })).body,
    ).toMatchObject({
      status: "REDEEMED",
      orderReference: "O-1",
    });
    expect((await platform.post(`/api/coupon-codes/${code}/redeem`, { orderReference: "O-2" })).status).toBe(
      409,
    );
    expect(
      (await platform.post(`/api/coupon-codes/${bob.body.code}/redeem`, { orderReference: "O-3" })).body.error
        .code,
    ).toBe("SOLD_OUT");
    expect((await platform.post(`/api/coupon-codes/${code}/unredeem`)).body).toMatchObject({
      status: "ISSUED",
    });
    expect(
      (await platform.post(`/api/coupon-codes/${bob.body.code}/redeem`, { orderReference: "O-3" })).status,
    ).toBe(200);
    expect((await platform.get(`/api/users/${ann}/coupons`)).body).toEqual([
      { code, couponId: id, status: "ISSUED" },
    ]);
    const view = await admin.get(`/api/admin/coupons/${id}`);
    expect(view.body.issueStock).toMatchObject({ total: 2, taken: 2, remaining: 0 });
    expect(view.body.useStock).toMatchObject({ total: 1, taken: 1, remaining: 0 });
    expect((await admin.post(`/api/admin/coupons/${id}/close`)).body.status).toBe("CLOSED");
    expect(
      (await as(await keyFor(["stocks"])).post(`/api/coupons/${id}/issues`, { userId: "x", reference: "y" }))
        .status,
    ).toBe(403);
  });

  it("a period PostgreSQL cannot hold (year 0, found by fuzz-stocks) is a 400, not a 500", async () => {
    const times = ["0000-01-01T00:00:00Z", "0001-01-01T05:00:00+14:00", "9999-12-31T20:00:00-05:00"];
    for (const time of times) {
      for (const [path, body] of [
        ["/api/admin/stocks", { name: "Old", total: 1, startsAt: time }],
        ["/api/admin/stocks", { name: "Old", total: 1, endsAt: time }],
        ["/api/admin/coupons", { name: "Old", issueTotal: 1, useTotal: 1, useStartsAt: time }],
        ["/api/admin/coupons", { name: "Old", issueTotal: 1, useTotal: 1, issueEndsAt: time }],
        [
          "/api/admin/events",
          { name: "Old", startsAt: time, products: [{ sku: "A", name: "A", priceCents: 1, stock: 1 }] },
        ],
      ] as const) {
        const res = await admin.post(path, body);
        expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
        expect(res.body.error.code).toBe("VALIDATION_FAILED");
      }
    }
    // The latest time the contract takes still works.
    expect(
      (await admin.post("/api/admin/stocks", { name: "Late", total: 1, endsAt: "9999-12-31T23:59:59Z" }))
        .status,
    ).toBe(201);
  });
});
