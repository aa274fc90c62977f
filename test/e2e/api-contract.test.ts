// The HTTP and realtime contract (shared API.md) over a real socket: every endpoint
// answers bad input with a 4xx in the contract's error shape, and `ticket:result`
// reaches a shopper exactly once, whether connected before or after the outcome.
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerToClientEvents } from "../../src/realtime/events.js";
import { ADMIN_TOKEN, eventually, liveEvent, startTestStack, type TestStack } from "../support/app.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ workerPools: 1 });
});
afterAll(() => stack.close());

const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };
const json = { "content-type": "application/json" };

async function call(
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: unknown } = {},
) {
  const body =
    typeof opts.body === "string"
      ? opts.body
      : opts.body === undefined
        ? undefined
        : JSON.stringify(opts.body);
  const res = await fetch(`${stack.url}${path}`, { method, headers: opts.headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Asserts the contract's error shape and code. */
function expectError(res: { status: number; body: unknown }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ error: { code, message: expect.any(String) } });
}

const product = { sku: "A", name: "Sneaker", priceCents: 12000, stock: 3 };

describe("bad input gets a 4xx in the contract's shape", () => {
  // The admin token on every admin route: test/e2e/admin.test.ts.

  it("creating an event validates every field and lists the failures", async () => {
    const bodies: unknown[] = [
      undefined,
      {},
      { name: "", products: [product] },
      { name: "x", products: [] },
      { name: "x", products: [{ ...product, stock: -1 }] },
      { name: "x", products: [{ ...product, sku: "has space" }] },
      { name: "x", products: [product, product] },
      { name: "x", products: [{ ...product, priceCents: 1.5 }] },
      { name: "x", admissionRate: 0, products: [product] },
      { name: "x", paymentFailureRate: 2, products: [product] },
      { name: "x", startsAt: "tomorrow", products: [product] },
      { name: "x", unknownField: true, products: [product] },
      { name: 42, products: "many" },
    ];
    for (const body of bodies) {
      const res = await call("POST", "/api/admin/events", { headers: admin, body });
      expectError(res, 400, "VALIDATION_FAILED");
      expect(res.body.error.details.fields.length).toBeGreaterThan(0);
    }
    expectError(
      await call("POST", "/api/admin/events", { headers: admin, body: "{not json" }),
      400,
      "VALIDATION_FAILED",
    );
    const huge = { name: "x".repeat(100_000), products: [product] };
    expectError(
      await call("POST", "/api/admin/events", { headers: admin, body: huge }),
      413,
      "VALIDATION_FAILED",
    );
  });

  it("unknown events, bad ids and transitions that are not allowed", async () => {
    expectError(await call("GET", "/api/admin/events/ev_missing", { headers: admin }), 404, "NOT_FOUND");
    expectError(
      await call("GET", "/api/admin/events/bad%20id", { headers: admin }),
      400,
      "VALIDATION_FAILED",
    );
    expectError(
      await call("POST", "/api/admin/events/ev_missing/start", { headers: admin }),
      404,
      "NOT_FOUND",
    );
    expectError(
      await call("GET", "/api/admin/events/ev_missing/stats", { headers: admin }),
      404,
      "NOT_FOUND",
    );
    const draft = await liveEvent(stack.deps, { products: [product] }, { start: false });
    expectError(
      await call("POST", `/api/admin/events/${draft.id}/pause`, { headers: admin }),
      409,
      "INVALID_STATE",
    );
    expectError(
      await call("POST", `/api/admin/events/${draft.id}/resume`, { headers: admin }),
      409,
      "INVALID_STATE",
    );
    expect((await call("POST", `/api/admin/events/${draft.id}/stop`, { headers: admin })).status).toBe(200);
    expectError(
      await call("POST", `/api/admin/events/${draft.id}/start`, { headers: admin }),
      409,
      "INVALID_STATE",
    );
    // Sent again, an action that already took effect answers the event as it is.
    const again = await call("POST", `/api/admin/events/${draft.id}/stop`, { headers: admin });
    expect([again.status, (again.body as { status?: string }).status]).toEqual([200, "ENDED"]);
  });

  it("joining validates the body and answers the sale's state", async () => {
    const event = await liveEvent(stack.deps, { products: [product] });
    const path = `/api/events/${event.id}/tickets`;
    for (const body of [
      undefined,
      {},
      { userId: "", sku: "A" },
      { userId: "has space", sku: "A" },
      { userId: "u".repeat(65), sku: "A" },
      { userId: "u1", sku: "A", quantity: 0 },
      { userId: "u1", sku: "A", quantity: 1.5 },
      { userId: "u1", sku: "A", quantity: "2" },
      { userId: "u1", sku: "A", extra: 1 },
      { userId: ["u1"], sku: "A" },
      [],
    ]) {
      expectError(await call("POST", path, { headers: json, body }), 400, "VALIDATION_FAILED");
    }
    expectError(await call("POST", path, { headers: json, body: "null" }), 400, "VALIDATION_FAILED");
    expectError(
      await call("POST", path, { headers: { "content-type": "text/plain" }, body: "hi" }),
      400,
      "VALIDATION_FAILED",
    );
    expectError(
      await call("POST", "/api/events/ev_missing/tickets", {
        headers: json,
        body: { userId: "u1", sku: "A" },
      }),
      404,
      "NOT_FOUND",
    );
    expectError(
      await call("POST", path, { headers: json, body: { userId: "u1", sku: "Z" } }),
      404,
      "NOT_FOUND",
    );
    expectError(
      await call("POST", path, { headers: json, body: { userId: "u1", sku: "A", quantity: 2 } }),
      409,
      "LIMIT_REACHED",
    );
    const draft = await liveEvent(stack.deps, { products: [product] }, { start: false });
    expectError(
      await call("POST", `/api/events/${draft.id}/tickets`, {
        headers: json,
        body: { userId: "u1", sku: "A" },
      }),
      409,
      "SALE_NOT_OPEN",
    );
    expectError(await call("GET", "/api/events/ev_missing"), 404, "NOT_FOUND");
    expectError(await call("GET", "/api/nowhere"), 404, "NOT_FOUND");
    expectError(await call("DELETE", `/api/events/${event.id}`), 404, "NOT_FOUND");
  });

  it("reading a ticket needs its own valid token", async () => {
    const event = await liveEvent(stack.deps, { products: [{ ...product, stock: 10 }] });
    const mine = await call("POST", `/api/events/${event.id}/tickets`, {
      headers: json,
      body: { userId: "me", sku: "A" },
    });
    const theirs = await call("POST", `/api/events/${event.id}/tickets`, {
      headers: json,
      body: { userId: "you", sku: "A" },
    });
    expect(mine.status).toBe(202);
    const path = `/api/tickets/${mine.body.ticketId}`;
    expectError(await call("GET", path), 401, "UNAUTHORIZED");
    expectError(
      await call("GET", path, { headers: { authorization: "Bearer forged.token.value" } }),
      401,
      "UNAUTHORIZED",
    );
    expectError(
      await call("GET", path, { headers: { authorization: `Bearer ${theirs.body.token}` } }),
      401,
      "UNAUTHORIZED",
    );
    expectError(
      await call("GET", "/api/tickets/bad%20id", { headers: { authorization: `Bearer ${mine.body.token}` } }),
      400,
      "VALIDATION_FAILED",
    );
    const ok = await call("GET", path, { headers: { authorization: `Bearer ${mine.body.token}` } });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ticketId: mine.body.ticketId, eventId: event.id, sku: "A", quantity: 1 });
  });
});

describe("joining and the outcome over Socket.IO", () => {
  const connect = (ticketId: string, token: string): Socket<ServerToClientEvents> =>
    io(stack.url, {
      path: "/socket.io",
      auth: { ticketId, token },
      transports: ["websocket"],
      reconnection: false,
    });

  it("hands a user's open ticket back, and refuses a socket with a bad token", async () => {
    const event = await liveEvent(stack.deps, { products: [{ ...product, stock: 10 }] });
    await stack.deps.queues.get(event.id).pause(); // keep the ticket waiting
    const first = await call("POST", `/api/events/${event.id}/tickets`, {
      headers: json,
      body: { userId: "u1", sku: "A" },
    });
    const again = await call("POST", `/api/events/${event.id}/tickets`, {
      headers: json,
      body: { userId: "u1", sku: "A" },
    });
    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({
      status: "QUEUED",
      position: expect.any(Number),
      etaSeconds: expect.any(Number),
    });
    expect(again.status).toBe(200);
    expect(again.body.ticketId).toBe(first.body.ticketId);

    const socket = connect(first.body.ticketId, "not-a-token");
    const err = await new Promise<Error & { data?: { code: string } }>((resolve) =>
      socket.on("connect_error", resolve),
    );
    expect(err.data?.code).toBe("UNAUTHORIZED");
    socket.close();
    await stack.deps.queues.get(event.id).resume();
  });

  it("sends ticket:result once to a socket connected before, and replays it to one connecting after", async () => {
    const event = await liveEvent(stack.deps, { products: [{ ...product, stock: 10 }] });
    const queue = stack.deps.queues.get(event.id);
    await queue.pause();
    const joined = await call("POST", `/api/events/${event.id}/tickets`, {
      headers: json,
      body: { userId: "u2", sku: "A" },
    });
    const before = connect(joined.body.ticketId, joined.body.token);
    const results: unknown[] = [];
    const positions: unknown[] = [];
    before.on("ticket:result", (r) => results.push(r));
    before.on("queue:position", (p) => positions.push(p));
    await new Promise((resolve) => before.on("connect", () => resolve(undefined)));
    await eventually(async () => positions.length > 0);
    await queue.resume();

    await eventually(async () => results.length > 0);
    expect(results[0]).toMatchObject({
      ticketId: joined.body.ticketId,
      status: "CONFIRMED",
      orderId: expect.any(String),
    });

    const after = connect(joined.body.ticketId, joined.body.token);
    const replayed: unknown[] = [];
    after.on("ticket:result", (r) => replayed.push(r));
    await eventually(async () => replayed.length > 0);
    await new Promise((r) => setTimeout(r, 300));
    expect(results).toHaveLength(1);
    expect(replayed).toEqual(results);
    before.close();
    after.close();
  });
});
