// The fuzz suite's part for the catalog (its own file, as fuzz-service-keys.test.ts: fuzz.test.ts
// is well over 400 lines). fast-check at a fixed seed, bounded runs, over a real socket: every
// catalog route (admin, public, service) gets any body, id, query and credential, around a real
// warehouse, store and product so that some inputs land. Properties: never a 5xx; every 4xx in
// the contract's error shape with a code that fits its status; the stock still adds up after.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, startTestStack, type TestStack } from "../support/app.js";
import { checkWith, createSender, expectSane } from "../support/fuzz.js";
import { expectStockInvariants, settleStocks } from "../support/stock-invariants.js";

const SEED = 1414;
let stack: TestStack;
const admin = `Bearer ${ADMIN_TOKEN}`;
let key = "";
let storeKey = "";
// Each run its own product and references: the test database outlives a run.
const RUN = Date.now().toString(36);
const real = { sku: `fz-tee-${RUN}`, store: "", warehouse: "", order: "" };

const sender = createSender(() => stack.url);

function send(method: string, path: string, opts: { auth?: string; body?: string; type?: string } = {}) {
  const headers: Record<string, string> = {};
  if (opts.auth !== undefined) headers.authorization = opts.auth;
  if (opts.body !== undefined) headers["content-type"] = opts.type ?? "application/json";
  return sender.send(method, path, { headers, ...(opts.body !== undefined ? { body: opts.body } : {}) });
}

const json = async (method: string, path: string, body: unknown, auth = admin) => {
  const res = await send(method, path, { auth, body: JSON.stringify(body) });
  expect(res.status, res.text).toBeLessThan(300);
  return JSON.parse(res.text);
};

beforeAll(async () => {
  stack = await startTestStack({ workerPools: 0 });
  await send("POST", "/api/admin/products", {
    auth: admin,
    body: JSON.stringify({ sku: real.sku, name: "Tee", priceCents: 900 }),
  });
  real.warehouse = (await json("POST", "/api/admin/locations", { name: "W", kind: "WAREHOUSE" })).id;
  real.store = (await json("POST", "/api/admin/locations", { name: "S", kind: "STORE", lat: 48, lng: 2 })).id;
  for (const at of [real.warehouse, real.store])
    await json("POST", `/api/admin/locations/${at}/receipts`, {
      reference: `in-${at}`,
      lines: [{ sku: real.sku, quantity: 500 }],
    });
  key = (await json("POST", "/api/admin/service-keys", { name: "fuzz", scopes: ["orders"] })).key;
  storeKey = (
    await json("POST", "/api/admin/service-keys", { name: "till", scopes: [`store:${real.store}`] })
  ).key;
  real.order = (
    await json(
      "POST",
      "/api/orders",
      {
        reference: `fz-${RUN}`,
        userId: "u",
        fulfilment: "PICKUP",
        storeId: real.store,
        lines: [{ sku: real.sku, quantity: 1 }],
      },
      `Bearer ${key}`,
    )
  ).orderId;
});
afterAll(async () => {
  sender.close();
  await stack?.close();
});

const check = checkWith(SEED);

const odd = fc.oneof(
  fc.constantFrom("", " ", "\u0000", "💥", "%", "..", "__proto__", "NaN", "-1", "null", "x".repeat(300)),
  fc.string({ maxLength: 20 }),
);
const id = () => fc.oneof(fc.constant(real.store), fc.constant(real.warehouse), fc.constant("nope"), odd);
const number = fc.oneof(
  fc.integer({ min: -2, max: 5 }),
  fc.constantFrom(0, 1e9, -0, 1.5, Number.MAX_SAFE_INTEGER),
  fc.constant("3"),
  fc.constant(null),
);
const line = fc.record(
  { sku: fc.oneof(fc.constant(real.sku), odd), quantity: number, extra: fc.jsonValue({ maxDepth: 1 }) },
  { requiredKeys: [] },
);
const catalogBody = fc
  .record(
    {
      sku: fc.oneof(fc.constant(real.sku), odd),
      name: fc.oneof(fc.constant("n"), odd, fc.integer()),
      priceCents: number,
      kind: fc.oneof(fc.constantFrom("STORE", "WAREHOUSE"), odd),
      lat: number,
      lng: number,
      reference: fc.oneof(fc.constantFrom(`fz-${RUN}`, `fz2-${RUN}`, "r"), odd),
      userId: fc.oneof(fc.constant("u"), odd, fc.constant(null)),
      fulfilment: fc.oneof(fc.constantFrom("DELIVERY", "SAME_DAY", "PICKUP"), odd),
      storeId: id(),
      from: id(),
      to: id(),
      lines: fc.oneof(fc.array(line, { maxLength: 4 }), odd, fc.jsonValue({ maxDepth: 2 })),
    },
    { requiredKeys: [] },
  )
  .map((v) => JSON.stringify(v));
const bodyText = fc.oneof(
  { weight: 6, arbitrary: catalogBody },
  fc.constantFrom("[]", "null", "{", `{"lines":[{"sku":"fz-tee-${RUN}","quantity":1}],"lines":[]}`),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null"),
);
const auth = fc.oneof(
  fc.constant(admin),
  fc.constant(undefined),
  fc.constantFrom("key", "till").map((which) => `Bearer ${which === "key" ? key : storeKey}`),
  fc.constantFrom("Bearer ", "Bearer dqk_nope", "Basic x"),
);
const route = fc.oneof(
  fc.constant({ m: "POST", p: "/api/admin/products" }),
  fc.constant({ m: "POST", p: "/api/admin/locations" }),
  id().map((i) => ({ m: "POST", p: `/api/admin/locations/${encodeURIComponent(i)}/receipts` })),
  fc.constant({ m: "POST", p: "/api/admin/transfers" }),
  fc.tuple(id(), odd).map(([i, q]) => ({
    m: "GET",
    p: `/api/admin/locations/${encodeURIComponent(i)}/ledger?cursor=${encodeURIComponent(q)}&limit=${encodeURIComponent(q)}`,
  })),
  fc.constant({ m: "GET", p: "/api/admin/catalog-orders?channel=X" }),
  odd.map((s) => ({ m: "GET", p: `/api/products/${encodeURIComponent(s)}` })),
  fc.tuple(id(), odd).map(([i, s]) => ({
    m: "GET",
    p: `/api/stores/${encodeURIComponent(i)}/products/${encodeURIComponent(s)}/nearby?limit=${encodeURIComponent(s)}`,
  })),
  id().map((i) => ({ m: "GET", p: `/api/stores/${encodeURIComponent(i)}/products/${real.sku}/stock` })),
  fc.constant({ m: "POST", p: "/api/orders" }),
  id().map((i) => ({ m: "POST", p: `/api/stores/${encodeURIComponent(i)}/orders` })),
  fc
    .oneof(fc.constant(real.order), odd)
    .map((o) => ({ m: "PATCH", p: `/api/orders/${encodeURIComponent(o)}/cancel` })),
  fc
    .oneof(fc.constant(real.order), odd)
    .map((o) => ({ m: "GET", p: `/api/orders/${encodeURIComponent(o)}` })),
  fc.tuple(id(), fc.oneof(fc.constant(real.order), odd)).map(([i, o]) => ({
    m: "PATCH",
    p: `/api/stores/${encodeURIComponent(i)}/orders/${encodeURIComponent(o)}/cancel`,
  })),
);

describe("fuzzing the catalog's routes", () => {
  it("any body, id, query and credential: a contract answer, never a 5xx; the stock still adds up", async () => {
    const seen = new Map<number, number>();
    await check(
      fc.asyncProperty(
        route,
        bodyText,
        auth,
        fc.constantFrom("application/json", "text/plain"),
        async (r, body, who, type) => {
          const res = await send(r.m, r.p, { auth: who, ...(r.m === "GET" ? {} : { body, type }) });
          expectSane(res, `${r.m} ${r.p.slice(0, 200)} ${body.slice(0, 200)}`);
          seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        },
      ),
      400,
    );
    // Inputs reached past the gates: some were answered 2xx, others refused for what they said.
    expect([...seen.keys()].filter((s) => s < 300).length, JSON.stringify([...seen])).toBeGreaterThan(0);
    expect(seen.get(400) ?? 0).toBeGreaterThan(0);
    expect(seen.get(404) ?? 0).toBeGreaterThan(0);
    // Any method on any path made of the catalog's segments (as fuzz.test.ts does for the rest).
    const segment = fc.oneof(
      fc.constantFrom(
        "api",
        "admin",
        "products",
        "stores",
        "locations",
        "transfers",
        "catalog-orders",
        "orders",
      ),
      fc.constantFrom("receipts", "ledger", "stock", "nearby", "cancel", real.store, real.sku, real.order),
      odd.map(encodeURIComponent),
    );
    await check(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH"),
        fc.array(segment, { minLength: 1, maxLength: 6 }).map((s) => `/${s.join("/")}`),
        auth,
        async (m, p, who) => {
          const res = await send(m, p, { auth: who, ...(m === "GET" ? {} : { body: "{}" }) });
          expectSane(res, `${m} ${p.slice(0, 200)}`);
        },
      ),
      300,
    );
    await settleStocks(stack.deps, 2);
    const stocks = await stack.deps.prisma.locationStock.findMany({ where: { sku: real.sku } });
    for (const s of stocks) await expectStockInvariants(stack.deps, s.stockId);
  });
});
