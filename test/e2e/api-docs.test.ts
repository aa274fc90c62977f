// The routes document themselves (src/http/api-router.ts): whatever the Express app serves is
// in /api/docs and whatever /api/docs names is served, whichever router file it came from;
// the page over it works in any spelling of its path; and the process-wide series of
// /metrics are recorded where the work happens.
import type { Express } from "express";
import type { Metric } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/http/app.js";
import { createMetrics } from "../../src/http/metrics.js";
import { dbErrors, purchaseDuration } from "../../src/metrics.js";
import { TicketTokens } from "../../src/waiting-room/tokens.js";
import { eventually, liveEvent, startTestStack, type TestStack } from "../support/app.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ workerPools: 1 });
});
afterAll(() => stack.close());

/** The parts of Express 5's router layers (the `router` package) that say what is served. */
interface Layer {
  rawPath?: unknown;
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
}

const join = (prefix: string, path: string) => `${prefix}${path === "/" ? "" : path}` || "/";
const toOpenApi = (path: string) => path.replace(/:(\w+)/g, "{$1}");

/**
 * Every `METHOD path` the app answers with a route of its own, found by walking its router
 * stack. A router mounted at a path the document names as a GET (a page served by a
 * package, the queue dashboard) counts as that one documented page.
 */
function servedRoutes(app: Express, documented: Set<string>): Set<string> {
  const out = new Set<string>();
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const path of paths)
          for (const method of Object.keys(layer.route.methods))
            out.add(`${method} ${toOpenApi(join(prefix, path))}`);
      } else if (layer.handle.stack) {
        if (typeof layer.rawPath !== "string")
          throw new Error(`a router mounted at ${String(layer.rawPath)}`);
        const path = toOpenApi(join(prefix, layer.rawPath));
        if (path !== "/" && documented.has(`get ${path}`)) out.add(`get ${path}`);
        else walk(layer.handle.stack, path === "/" ? "" : path);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, "");
  return out;
}

async function documentedRoutes(): Promise<Set<string>> {
  const doc = (await (await fetch(`${stack.url}/api/docs`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return new Set(
    Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`)),
  );
}

const newApp = () =>
  createApp({
    deps: stack.deps,
    tokens: new TicketTokens(stack.deps.config.tokenSecret, 60),
    metrics: createMetrics(),
  });

describe("/api/docs and the routes", () => {
  it("names exactly the routes the app serves", async () => {
    const documented = await documentedRoutes();
    const served = servedRoutes(newApp(), documented);
    expect(served.size).toBeGreaterThan(15);
    expect(
      [...served].filter((r) => !documented.has(r)),
      "served without a document",
    ).toEqual([]);
    expect(
      [...documented].filter((r) => !served.has(r)),
      "documented but not served",
    ).toEqual([]);
  });

  it("a route added without its declaration is caught", async () => {
    const documented = await documentedRoutes();
    const app = newApp();
    app.get("/api/undeclared/:id", (_req, res) => {
      res.json({});
    });
    const served = servedRoutes(app, documented);
    expect([...served].filter((r) => !documented.has(r))).toEqual(["get /api/undeclared/{id}"]);
  });

  it("the document and its page answer in any case and with a trailing slash", async () => {
    for (const path of ["/api/docs", "/API/Docs/", "/api/DOCS"]) {
      const res = await fetch(`${stack.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(((await res.json()) as { openapi: string }).openapi, path).toBe("3.1.0");
    }
    for (const path of ["/api/docs.html", "/API/DOCS.HTML", "/api/docs.html/"]) {
      const res = await fetch(`${stack.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toContain("text/html");
      expect(await res.text(), path).toContain("/api/docs-ui/swagger-ui-bundle.js");
    }
    // Only the files the page loads come out of the UI package.
    expect((await fetch(`${stack.url}/api/docs-ui/package.json`)).status).toBe(404);
    expect((await fetch(`${stack.url}/api/docs-ui/swagger-initializer.js`)).status).toBe(404);
  });
});

describe("/api/docs: the v2 routes (stocks, takes, coupons, service keys)", () => {
  // biome-ignore lint/suspicious/noExplicitAny: the document is read field by field
  type Op = any;
  /** [method path, tag, the answers and their schema ($ref name, or "[Name]" for a list), the errors, a body?] */
  const V2: [string, string, Record<number, string | null>, string[], boolean?][] = [
    ["post /api/admin/stocks", "Admin", { 201: "Stock" }, ["VALIDATION_FAILED"], true],
    ["get /api/admin/stocks", "Admin", { 200: "[Stock]" }, []],
    ["get /api/admin/stocks/{stockId}", "Admin", { 200: "Stock" }, ["NOT_FOUND"]],
    ["post /api/admin/stocks/{stockId}/confirm", "Admin", { 200: "Stock" }, ["NOT_FOUND", "INVALID_STATE"]],
    [
      "put /api/admin/stocks/{stockId}/total",
      "Admin",
      { 200: "Stock" },
      ["INVALID_STATE", "STOCK_RULE"],
      true,
    ],
    ["post /api/admin/stocks/{stockId}/sync", "Admin", { 200: "Stock" }, ["NOT_FOUND"]],
    ["post /api/admin/stocks/{stockId}/close", "Admin", { 200: "Stock" }, ["NOT_FOUND"]],
    ["get /api/admin/stocks/{stockId}/ledger", "Admin", { 200: "StockLedgerPage" }, ["NOT_FOUND"]],
    ["get /api/stocks/{stockId}", "Service", { 200: "Stock" }, ["UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND"]],
    [
      "post /api/stocks/{stockId}/takes",
      "Service",
      { 200: "Take", 201: "Take" },
      ["SOLD_OUT", "FORBIDDEN"],
      true,
    ],
    ["get /api/stocks/{stockId}/takes/{reference}", "Service", { 200: "Take" }, ["NOT_FOUND"]],
    ["post /api/stocks/{stockId}/takes/{reference}/confirm", "Service", { 200: "Take" }, ["INVALID_STATE"]],
    ["post /api/stocks/{stockId}/takes/{reference}/release", "Service", { 200: "Take" }, ["NOT_FOUND"]],
    ["post /api/admin/coupons", "Admin", { 201: "Coupon" }, ["VALIDATION_FAILED"], true],
    ["get /api/admin/coupons", "Admin", { 200: "[Coupon]" }, []],
    ["get /api/admin/coupons/{couponId}", "Admin", { 200: "Coupon" }, ["NOT_FOUND"]],
    ["post /api/admin/coupons/{couponId}/confirm", "Admin", { 200: "Coupon" }, ["INVALID_STATE"]],
    ["post /api/admin/coupons/{couponId}/sync", "Admin", { 200: "Coupon" }, ["NOT_FOUND"]],
    ["post /api/admin/coupons/{couponId}/close", "Admin", { 200: "Coupon" }, ["NOT_FOUND"]],
    [
      "post /api/coupons/{couponId}/issues",
      "Service",
      { 200: "CouponCode", 201: "CouponCode" },
      ["SOLD_OUT"],
      true,
    ],
    [
      "post /api/coupon-codes/{code}/redeem",
      "Service",
      { 200: "CouponCode" },
      ["SOLD_OUT", "INVALID_STATE"],
      true,
    ],
    ["post /api/coupon-codes/{code}/unredeem", "Service", { 200: "CouponCode" }, ["NOT_FOUND"]],
    ["get /api/users/{userId}/coupons", "Service", { 200: "[]" }, ["FORBIDDEN"]],
    ["post /api/admin/service-keys", "Admin", { 201: "CreatedServiceKey" }, ["VALIDATION_FAILED"], true],
    ["get /api/admin/service-keys", "Admin", { 200: "ServiceKeys" }, []],
    ["delete /api/admin/service-keys/{keyId}", "Admin", { 204: null }, ["NOT_FOUND"]],
  ];
  const STATUS: Record<string, string> = {
    VALIDATION_FAILED: "400",
    UNAUTHORIZED: "401",
    FORBIDDEN: "403",
    NOT_FOUND: "404",
    SOLD_OUT: "409",
    INVALID_STATE: "409",
    STOCK_RULE: "422",
  };

  it("each is documented with its tag, security, path params, body, answers and errors", async () => {
    const doc = (await (await fetch(`${stack.url}/api/docs`)).json()) as Op;
    for (const [route, tag, answers, errors, hasBody] of V2) {
      const [method = "", path = ""] = route.split(" ");
      const op: Op = doc.paths[path]?.[method];
      expect(op, route).toBeDefined();
      expect(op.tags, route).toEqual([tag]);
      expect(op.security, route).toEqual([{ [tag === "Admin" ? "adminToken" : "serviceKey"]: [] }]);
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      expect(
        op.parameters
          ?.filter((p: Op) => p.in === "path")
          .map((p: Op) => [p.name, p.required, typeof p.schema?.pattern]),
        route,
      ).toEqual(inPath.length ? inPath.map((name) => [name, true, "string"]) : undefined);
      if (hasBody) expect(op.requestBody?.content?.["application/json"]?.schema, route).toBeDefined();
      else expect(op.requestBody, route).toBeUndefined();
      for (const [status, name] of Object.entries(answers)) {
        const schema = op.responses[status]?.content?.["application/json"]?.schema;
        expect(op.responses[status], `${route} ${status}`).toBeDefined();
        if (name === null) expect(schema, `${route} ${status}`).toBeUndefined();
        else if (name.startsWith("[")) {
          expect(schema?.type, `${route} ${status}`).toBe("array");
          if (name !== "[]")
            expect(schema.items.$ref, `${route} ${status}`).toBe(`#/components/schemas/${name.slice(1, -1)}`);
        } else expect(schema?.$ref, `${route} ${status}`).toBe(`#/components/schemas/${name}`);
      }
      for (const code of [...errors, "UNAUTHORIZED", "RATE_LIMITED"]) {
        const status = STATUS[code] ?? "429";
        expect(op.responses[status]?.description, `${route} ${code}`).toContain(code);
        expect(op.responses[status].content["application/json"].schema.$ref).toBe(
          "#/components/schemas/Error",
        );
      }
    }
    // The shapes themselves, named once: a stock's figures, a take, a coupon's two stocks.
    const schemas = doc.components.schemas;
    expect(Object.keys(schemas.Stock.properties)).toEqual(
      expect.arrayContaining([
        "id",
        "status",
        "total",
        "remaining",
        "held",
        "taken",
        "perUserLimit",
        "remainSyncedAt",
      ]),
    );
    expect(schemas.Take.properties.status.enum).toEqual(["HELD", "CONFIRMED", "RELEASED"]);
    expect(schemas.Coupon.properties.issueStock.$ref).toBe("#/components/schemas/Stock");
    expect(schemas.Coupon.properties.useStock.$ref).toBe("#/components/schemas/Stock");
    expect(schemas.CreatedServiceKey.required).toContain("key");
    expect(schemas.ServiceKey.properties.key).toBeUndefined();
  });

  it("the tests that call these routes check every answer against its schema (NODE_ENV=test)", () => {
    // createApp sets checkAnswers on every router when the config says test (src/http/app.ts):
    // startTestStack's config does, so stock-api.test.ts and fuzz-stocks.test.ts run with it.
    expect(stack.deps.config.env).toBe("test");
  });
});

describe("the process-wide series of /metrics", () => {
  /** A sample of a series, read from the process' registry (what /metrics renders). */
  const sample = async (metric: Metric, name: string, labels: Record<string, string>) => {
    // Histograms name each sample (_count, _sum, _bucket); counters do not.
    const values = (await metric.get()).values as {
      metricName?: string;
      labels: Record<string, unknown>;
      value: number;
    }[];
    const found = values.find(
      (v) =>
        (v.metricName ?? name) === name &&
        Object.entries(labels).every(([k, value]) => v.labels[k] === value),
    );
    return found?.value ?? 0;
  };
  const confirmedCount = () =>
    sample(purchaseDuration, "dropqueue_purchase_duration_seconds_count", { result: "confirmed" });
  const rawQueryErrors = () => sample(dbErrors, "dropqueue_db_errors_total", { op: "$queryRaw" });

  it("a purchase attempt is timed by its result", async () => {
    const before = await confirmedCount();
    const event = await liveEvent(stack.deps, {
      products: [{ sku: "A", name: "Cap", priceCents: 100, stock: 1 }],
    });
    const joined = await fetch(`${stack.url}/api/events/${event.id}/tickets`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ userId: "metrics-user", sku: "A" }),
    });
    expect(joined.status).toBe(202);
    await eventually(async () => (await confirmedCount()) > before);
  });

  it("a failed PostgreSQL query is counted by its operation", async () => {
    const before = await rawQueryErrors();
    await expect(stack.deps.prisma.$queryRaw`SELECT * FROM no_such_table`).rejects.toThrow();
    expect(await rawQueryErrors()).toBe(before + 1);
  });
});
