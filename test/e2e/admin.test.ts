// The admin surface over real HTTP: every admin route wants the token, the orders and the
// ledger page with opaque cursors, /metrics tells what the stats endpoint tells, the queue
// dashboard takes the token once and then a cookie, and /api/docs describes the API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deps } from "../../src/deps.js";
import { keys } from "../../src/redis/keys.js";
import { ADMIN_TOKEN, eventually, liveEvent, startTestStack, type TestStack } from "../support/app.js";
import { eventMovements } from "../support/ledger.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ workerPools: 1, env: { RATE_LIMIT_PER_SECOND: "0" } });
});
afterAll(() => stack.close());

const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };

async function call(
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: unknown } = {},
) {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: opts.headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    redirect: "manual",
  });
  const text = await res.text();
  let body: unknown = text;
  if (res.headers.get("content-type")?.includes("json") && text) body = JSON.parse(text);
  // biome-ignore lint/suspicious/noExplicitAny: test answers are read field by field
  return { status: res.status, body: body as any, text, headers: res.headers };
}

function expectError(res: { status: number; body: unknown }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ error: { code, message: expect.any(String) } });
}

async function sale(deps: Deps, users: number, stock: number, extra: { pfr?: number } = {}) {
  const event = await liveEvent(deps, {
    paymentFailureRate: extra.pfr ?? 0,
    products: [
      { sku: "A", name: "Sneaker", priceCents: 1000, stock },
      { sku: "B", name: "Cap", priceCents: 500, stock: 5 },
    ],
  });
  const ticketIds: string[] = [];
  await Promise.all(
    Array.from({ length: users }, async (_, i) => {
      const res = await call("POST", `/api/events/${event.id}/tickets`, {
        headers: { "content-type": "application/json" },
        body: { userId: `u${i}`, sku: "A" },
      });
      if (res.body.ticketId) ticketIds.push(res.body.ticketId);
    }),
  );
  await eventually(async () => {
    const statuses = await Promise.all(
      ticketIds.map((t) => deps.redis.hget(keys.ticket(event.id, t), "status")),
    );
    const stats = await deps.redis.hmget(keys.stats(event.id), "waiting", "processing");
    return (
      statuses.every((s) => s === "CONFIRMED" || s === "REJECTED" || s === "FAILED") &&
      stats.every((n) => Number(n) === 0)
    );
  });
  return { event, ticketIds };
}

/** Every page of a paged admin list, following nextCursor. */
async function allPages(path: string, limit: number) {
  const pages: { items: { [k: string]: unknown }[]; nextCursor: string | null }[] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const res = await call(
      "GET",
      `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      { headers: admin },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    pages.push(res.body);
    cursor = res.body.nextCursor;
  } while (cursor !== null && pages.length < 100);
  return pages;
}

describe("admin routes want the admin token", () => {
  it("every admin route refuses a missing or wrong token", async () => {
    const routes: [string, string][] = [
      ["POST", "/api/admin/events"],
      ["GET", "/api/admin/events"],
      ["GET", "/api/admin/events/ev_x"],
      ["POST", "/api/admin/events/ev_x/start"],
      ["POST", "/api/admin/events/ev_x/pause"],
      ["POST", "/api/admin/events/ev_x/resume"],
      ["POST", "/api/admin/events/ev_x/stop"],
      ["PUT", "/api/admin/events/ev_x/products/A/stock"],
      ["GET", "/api/admin/events/ev_x/stats"],
      ["GET", "/api/admin/events/ev_x/orders"],
      ["GET", "/api/admin/events/ev_x/ledger"],
      ["POST", "/api/admin/events/ev_x/reconcile"],
      ["GET", "/admin/queues"],
      ["GET", "/admin/queues/api/queues"],
    ];
    const wrong = [
      {},
      { authorization: "Bearer wrong-token-123456" },
      { authorization: `Bearer ${ADMIN_TOKEN}x` },
      { authorization: ADMIN_TOKEN },
      { cookie: `dq_admin=${ADMIN_TOKEN}` },
    ];
    for (const [method, path] of routes) {
      for (const headers of wrong as Record<string, string>[]) {
        const body = method === "GET" ? undefined : { total: 1 };
        expectError(
          await call(method, path, { headers: { ...headers, "content-type": "application/json" }, body }),
          401,
          "UNAUTHORIZED",
        );
      }
    }
    expectError(await call("GET", "/admin/queues?token=wrong-token-123456"), 401, "UNAUTHORIZED");
  });
});

describe("orders and ledger, a page at a time", () => {
  it("pages orders with limit and an opaque cursor, filters by status, refuses bad queries", async () => {
    const { deps } = stack;
    const { event } = await sale(deps, 9, 7, { pfr: 0.3 });
    const orders = await deps.prisma.order.findMany({
      where: { eventId: event.id },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    });
    expect(orders.length).toBeGreaterThanOrEqual(7);

    const base = `/api/admin/events/${event.id}/orders`;
    const pages = await allPages(base, 3);
    expect(pages.map((p) => p.items.length)).toEqual(
      Array.from({ length: Math.ceil(orders.length / 3) }, (_, i) => Math.min(3, orders.length - i * 3)),
    );
    expect(pages.at(-1)?.nextCursor).toBeNull();
    const items = pages.flatMap((p) => p.items);
    expect(items.map((o) => o.orderId)).toEqual(orders.map((o) => o.id));
    const first = orders[0];
    expect(items[0]).toEqual({
      orderId: first?.id,
      ticketId: first?.ticketId,
      eventId: event.id,
      sku: "A",
      userId: first?.userId,
      quantity: 1,
      amountCents: Number(first?.amountCents),
      status: first?.status,
      ...(first?.reason ? { reason: first.reason } : {}),
      createdAt: first?.createdAt.toISOString(),
    });

    for (const status of ["CONFIRMED", "FAILED", "CANCELLED"]) {
      const filtered = (await allPages(`${base}?status=${status}`, 2)).flatMap((p) => p.items);
      expect(filtered.map((o) => o.orderId)).toEqual(
        orders.filter((o) => o.status === status).map((o) => o.id),
      );
    }
    const whole = await call("GET", base, { headers: admin });
    expect(whole.body.items).toHaveLength(orders.length);
    expect(whole.body.nextCursor).toBeNull();

    for (const query of [
      "limit=0",
      "limit=501",
      "limit=abc",
      "limit=",
      "limit=1.5",
      "status=PAID",
      "status=confirmed",
      "cursor=not-a-cursor",
      `cursor=${Buffer.from("123:bad id").toString("base64url")}`,
      "unknown=1",
      "limit=1&limit=2",
    ]) {
      const res = await call("GET", `${base}?${query}`, { headers: admin });
      expectError(res, 400, "VALIDATION_FAILED");
      expect(res.body.error.details).toMatchObject({ in: "query", fields: expect.any(Array) });
    }
    expectError(
      await call("GET", "/api/admin/events/ev_missing/orders", { headers: admin }),
      404,
      "NOT_FOUND",
    );
  });

  it("pages the ledger by id, per product or whole, and it adds up", async () => {
    const { deps } = stack;
    const { event } = await sale(deps, 6, 4);
    const rows = await eventMovements(deps, event.id);
    const base = `/api/admin/events/${event.id}/ledger`;

    const whole = (await allPages(base, 4)).flatMap((p) => p.items);
    expect(whole.map((e) => e.id)).toEqual(rows.map((r) => r.id.toString()));
    expect(whole.every((e) => typeof e.id === "string")).toBe(true);

    const pagesOfA = await allPages(`${base}?sku=A`, 2);
    expect(pagesOfA.slice(0, -1).every((p) => p.items.length === 2)).toBe(true);
    const ofA = pagesOfA.flatMap((p) => p.items);
    expect(ofA.every((e) => e.sku === "A" && e.eventId === event.id)).toBe(true);
    const ids = ofA.map((e) => BigInt(e.id as string));
    expect(ids).toEqual([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect(ofA[0]).toMatchObject({ reason: "INITIAL", quantity: 4, reference: "create" });
    const sum = (reason: string) =>
      ofA.filter((e) => e.reason === reason).reduce((n, e) => n + (e.quantity as number), 0);
    expect(sum("SALE")).toBe(4);
    expect(sum("RESERVE") - sum("SALE") - sum("RESTORE")).toBe(0);

    // An adjustment shows up as a signed ADJUST entry by "admin".
    await call("PUT", `/api/admin/events/${event.id}/products/B/stock`, {
      headers: admin,
      body: { total: 2 },
    });
    const ofB = (await allPages(`${base}?sku=B`, 100)).flatMap((p) => p.items);
    expect(ofB.map((e) => [e.reason, e.quantity, e.reference])).toEqual([
      ["INITIAL", 5, "create"],
      ["ADJUST", -3, "admin"],
    ]);

    for (const query of [
      "limit=0",
      "limit=501",
      "limit=x",
      "cursor=-1",
      "cursor=abc",
      "sku=has space",
      "page=2",
    ]) {
      expectError(await call("GET", `${base}?${query}`, { headers: admin }), 400, "VALIDATION_FAILED");
    }
    expectError(
      await call("GET", "/api/admin/events/ev_missing/ledger", { headers: admin }),
      404,
      "NOT_FOUND",
    );
  });
});

/** Prometheus text → samples with their labels. */
function parseMetrics(text: string) {
  return text
    .split("\n")
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, k, v] of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
        labels[k as string] = v as string;
      return { name: match[1] as string, labels, value: Number(match[3]) };
    });
}

describe("/metrics", () => {
  it("after a small sale, shows the joins and outcomes the stats endpoint reports, and the stock", async () => {
    const { deps } = stack;
    const { event } = await sale(deps, 8, 5, { pfr: 0.2 });
    const stats = (await call("GET", `/api/admin/events/${event.id}/stats`, { headers: admin })).body;
    const res = await call("GET", "/metrics", { headers: admin });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const samples = parseMetrics(res.text).filter((s) => s.labels.event === event.id);
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples
        .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        .reduce((n, s) => n + s.value, 0);

    expect(stats.joins).toBeGreaterThan(0);
    expect(value("dropqueue_joins_total")).toBe(stats.joins);
    expect(value("dropqueue_tickets_outcome_total", { status: "CONFIRMED" })).toBe(stats.confirmed);
    expect(value("dropqueue_tickets_outcome_total", { status: "REJECTED", reason: "SOLD_OUT" })).toBe(
      stats.rejected.SOLD_OUT,
    );
    expect(value("dropqueue_tickets_outcome_total", { status: "FAILED", reason: "PAYMENT_DECLINED" })).toBe(
      stats.failed.PAYMENT_DECLINED,
    );
    expect(value("dropqueue_waiting")).toBe(stats.waiting);
    expect(value("dropqueue_processing")).toBe(stats.processing);
    for (const p of stats.products) {
      for (const kind of ["total", "remaining", "reserved", "sold"]) {
        expect(value("dropqueue_stock", { sku: p.sku, kind }), `${p.sku} ${kind}`).toBe(p[kind]);
      }
    }
    const depth = samples.filter((s) => s.name === "dropqueue_queue_depth").map((s) => s.labels.state);
    expect(depth.sort()).toEqual(["active", "delayed", "failed", "wait"]);
    expect(value("dropqueue_queue_depth", { state: "wait" })).toBe(0);

    // The HTTP and pipeline series are there too; an ended event drops out of the sale series.
    // Labelled by the whole route pattern, so the shopper's and the admin's routes stay apart.
    const routes = new Set(
      parseMetrics(res.text)
        .filter((s) => s.name === "dropqueue_http_requests_total")
        .map((s) => `${s.labels.method} ${s.labels.route}`),
    );
    expect(routes).toContain("GET /api/admin/events/:eventId/stats");
    expect(routes).toContain("POST /api/events/:eventId/tickets");
    expect(res.text).toContain("# TYPE dropqueue_purchase_duration_seconds histogram");
    expect(res.text).toContain("# TYPE dropqueue_redis_errors_total counter");
    expect(res.text).toContain("# TYPE dropqueue_db_errors_total counter");
    await call("POST", `/api/admin/events/${event.id}/stop`, { headers: admin });
    const after = parseMetrics((await call("GET", "/metrics", { headers: admin })).text);
    expect(after.filter((s) => s.labels.event === event.id)).toEqual([]);
  });
});

describe("/admin/queues", () => {
  it("signs in with a form (never a token in the URL) into an HttpOnly SameSite=Strict cookie, read-only", async () => {
    const { deps } = stack;
    const event = await liveEvent(deps, {
      products: [{ sku: "A", name: "Sneaker", priceCents: 1, stock: 1 }],
    });
    expectError(await call("GET", "/admin/queues"), 401, "UNAUTHORIZED");
    // A browser is sent to the sign-in form.
    const page = await fetch(`${stack.url}/admin/queues`, {
      headers: { accept: "text/html" },
      redirect: "manual",
    });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/admin/queues/sign-in");

    const first = await fetch(`${stack.url}/admin/queues/sign-in`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: ADMIN_TOKEN }).toString(),
    });
    expect(first.status).toBe(303);
    expect(first.headers.get("referrer-policy")).toBe("no-referrer");
    const setCookie = first.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^dq_admin=[\w.-]+;/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Path=\/admin\/queues/);
    // The cookie carries a value derived from the token, never the token itself.
    expect(setCookie).not.toContain(ADMIN_TOKEN);
    const cookie = setCookie.split(";")[0] as string;

    const board = await call("GET", "/admin/queues", { headers: { cookie } });
    expect(board.status).toBe(200);
    expect(board.headers.get("content-type")).toContain("text/html");
    expect(
      (await call("GET", "/admin/queues", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status,
    ).toBe(200);
    const queues = await call("GET", "/admin/queues/api/queues", { headers: { cookie } });
    expect(queues.status).toBe(200);
    const names = (queues.body.queues as { name: string }[]).map((q) => q.name);
    expect(names).toContain(`${event.id}-purchase`);
    expectError(
      await call("GET", "/admin/queues", { headers: { cookie: `${cookie.slice(0, -2)}xx` } }),
      401,
      "UNAUTHORIZED",
    );

    // Read-only: what would strand tickets or fight the lifecycle goes through the admin API
    // instead. Refused with the contract's pair for INVALID_STATE: 409.
    expectError(
      await call("PUT", `/admin/queues/api/queues/${event.id}-purchase/empty`, { headers: { cookie } }),
      409,
      "INVALID_STATE",
    );
    expectError(
      await call("PUT", `/admin/queues/api/queues/${event.id}-purchase/pause`, { headers: { cookie } }),
      409,
      "INVALID_STATE",
    );
    expect(await deps.queues.get(event.id).isPaused()).toBe(false);
  });
});

describe("/api/docs", () => {
  it("is an OpenAPI 3.1 document of every route, with inputs, answers and the error shape", async () => {
    const res = await call("GET", "/api/docs");
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe("3.1.0");
    const expected: [string, string][] = [
      ["post", "/api/admin/events"],
      ["get", "/api/admin/events"],
      ["get", "/api/admin/events/{eventId}"],
      ["post", "/api/admin/events/{eventId}/start"],
      ["post", "/api/admin/events/{eventId}/pause"],
      ["post", "/api/admin/events/{eventId}/resume"],
      ["post", "/api/admin/events/{eventId}/stop"],
      ["put", "/api/admin/events/{eventId}/products/{sku}/stock"],
      ["get", "/api/admin/events/{eventId}/stats"],
      ["get", "/api/admin/events/{eventId}/orders"],
      ["get", "/api/admin/events/{eventId}/ledger"],
      ["post", "/api/admin/events/{eventId}/reconcile"],
      ["get", "/admin/queues"],
      ["get", "/api/events/{eventId}"],
      ["post", "/api/events/{eventId}/tickets"],
      ["get", "/api/tickets/{ticketId}"],
      ["post", "/api/orders/{orderId}/cancel"],
      ["get", "/healthz"],
      ["get", "/readyz"],
      ["get", "/metrics"],
    ];
    for (const [method, path] of expected)
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();

    const stock = doc.paths["/api/admin/events/{eventId}/products/{sku}/stock"].put;
    expect(stock.requestBody.content["application/json"].schema).toMatchObject({
      type: "object",
      properties: { total: { type: "integer", minimum: 0 } },
      required: ["total"],
      additionalProperties: false,
    });
    expect(stock.responses["200"].content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/Product",
    });
    expect(stock.responses["422"].description).toContain("STOCK_RULE");
    expect(stock.responses["401"].content["application/json"].schema).toEqual({
      $ref: "#/components/schemas/Error",
    });
    expect(stock.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual([
      "path:eventId",
      "path:sku",
    ]);
    const orders = doc.paths["/api/admin/events/{eventId}/orders"].get;
    expect(
      orders.parameters.filter((p: { in: string }) => p.in === "query").map((p: { name: string }) => p.name),
    ).toEqual(["status", "limit", "cursor"]);
    const join = doc.paths["/api/events/{eventId}/tickets"].post;
    expect(Object.keys(join.responses)).toEqual(
      expect.arrayContaining(["200", "202", "400", "404", "409", "429", "503"]),
    );
    // userId may be left out when the event takes it from the shop's signed identity (issue 12).
    expect(join.requestBody.content["application/json"].schema.required).toEqual(["sku"]);
    for (const name of [
      "Error",
      "Event",
      "Product",
      "Ticket",
      "Order",
      "LedgerEntry",
      "Stats",
      "OrdersPage",
    ]) {
      expect(doc.components.schemas[name], name).toBeDefined();
    }
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toContain("STOCK_RULE");

    const page = await call("GET", "/api/docs.html");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    // Swagger UI, from the package's own files served here, over /api/docs.
    expect(page.text).toContain('src="/api/docs-ui/swagger-ui-bundle.js"');
    for (const asset of ["swagger-ui-bundle.js", "swagger-ui.css", "docs-page.js"]) {
      const file = await call("GET", `/api/docs-ui/${asset}`);
      expect(file.status, asset).toBe(200);
    }
    // Self-contained: nothing loaded from elsewhere.
    expect(page.text).not.toMatch(/(src|href)="(https?:)?\/\//);
  });
});
