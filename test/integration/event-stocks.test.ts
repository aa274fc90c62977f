// Issue 13: an event's products are users of the stock core. Each product's units are a core
// Stock (kind EVENT) whose ledger is the core's ledger, the one the event's v1 ledger reads; the
// core's other users (takes, the admin's stock actions) may read it and never move it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { archiveIfSettled } from "../../src/recovery/archive.js";
import { eventStock, keys } from "../../src/redis/keys.js";
import { take } from "../../src/stock/takes.service.js";
import { ADMIN_TOKEN, eventually, liveEvent, startTestStack, type TestStack } from "../support/app.js";
import { call } from "../support/convergence.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ workerPools: 1 });
});
afterAll(() => stack?.close());

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
type Body = any;
const as = (token: string) => ({
  get: (path: string) => call<Body>(stack.url, "GET", path, { token }),
  post: (path: string, body: unknown = {}) => call<Body>(stack.url, "POST", path, { token, body }),
  put: (path: string, body: unknown) => call<Body>(stack.url, "PUT", path, { token, body }),
});
const admin = as(ADMIN_TOKEN);

async function buy(eventId: string, userId: string) {
  const joined = await call<Body>(stack.url, "POST", `/api/events/${eventId}/tickets`, {
    body: { userId, sku: "A" },
  });
  const { ticketId, token } = joined.body as { ticketId: string; token: string };
  return eventually(async () => {
    const t = (await call<Body>(stack.url, "GET", `/api/tickets/${ticketId}`, { token })).body;
    return t.status !== "QUEUED" && t.status !== "PROCESSING" ? { ...t, token } : undefined;
  });
}

describe("an event product's stock is a core stock", () => {
  it("with the core's ledger, the one the event's ledger shows; the core's takes and actions refuse it", async () => {
    const { deps } = stack;
    const event = await liveEvent(deps, {
      products: [
        { sku: "A", name: "Sneaker", priceCents: 100, stock: 3 },
        { sku: "B", name: "Boot", priceCents: 100, stock: 2, perUserLimit: 2 },
      ],
    });
    const a = eventStock(event.id, "A");
    const b = eventStock(event.id, "B");

    // One stock row per product, the only place its figures live.
    expect(
      await deps.prisma.product.findMany({ where: { eventId: event.id }, orderBy: { sku: "asc" } }),
    ).toEqual([
      expect.objectContaining({ sku: "A", stockId: a.stockId }),
      expect.objectContaining({ sku: "B", stockId: b.stockId }),
    ]);
    expect(await deps.prisma.stock.findUnique({ where: { id: b.stockId } })).toMatchObject({
      kind: "EVENT",
      group: b.group,
      name: "Boot",
      status: "LIVE",
      total: 2,
      liveTotal: 2,
      perUserLimit: 2,
    });

    // A unit sold and cancelled, a total lowered.
    const bought = await buy(event.id, "alice");
    expect(bought.status).toBe("CONFIRMED");
    const cancel = await call<Body>(stack.url, "POST", `/api/orders/${bought.orderId}/cancel`, {
      token: bought.token,
    });
    expect(cancel.status).toBe(200);
    expect((await admin.put(`/api/admin/events/${event.id}/products/B/stock`, { total: 1 })).status).toBe(
      200,
    );

    const eventLedger = (await admin.get(`/api/admin/events/${event.id}/ledger?limit=100`)).body.items;
    const CORE: Record<string, string> = {
      RESERVE: "TAKE",
      SALE: "CONFIRM",
      RESTORE: "RELEASE",
      CANCEL: "RETURN",
    };
    for (const [sku, stockId] of [
      ["A", a.stockId],
      ["B", b.stockId],
    ] as const) {
      const stockLedger = await admin.get(`/api/admin/stocks/${stockId}/ledger?limit=100`);
      expect(stockLedger.status).toBe(200);
      expect(stockLedger.body.items).toEqual(
        eventLedger
          .filter((e: Body) => e.sku === sku)
          .map((e: Body) => ({
            id: e.id,
            stockId,
            reason: CORE[e.reason] ?? e.reason,
            quantity: e.quantity,
            reference: e.reference,
            createdAt: e.createdAt,
          })),
      );
    }
    expect(
      eventLedger.map((e: Body) => [e.sku, e.reason, e.quantity, e.reference]),
      "the v1 names, in order",
    ).toEqual([
      ["A", "INITIAL", 3, "create"],
      ["B", "INITIAL", 2, "create"],
      ["A", "RESERVE", 1, bought.ticketId],
      ["A", "SALE", 1, bought.orderId],
      ["A", "CANCEL", 1, bought.orderId],
      ["B", "ADJUST", -1, "admin"],
    ]);

    // Readable by id (not in the list of the admin's own stocks).
    expect((await admin.get(`/api/admin/stocks/${a.stockId}`)).body).toMatchObject({
      id: a.stockId,
      status: "LIVE",
      total: 3,
      remaining: 3,
    });
    const listed = (await admin.get("/api/admin/stocks")).body.map((s: Body) => s.id);
    expect(listed).not.toContain(a.stockId);

    // Never moved by the core's own users.
    const refused = { code: "INVALID_STATE", message: expect.stringContaining("through the event") };
    const key = (await admin.post("/api/admin/service-keys", { name: "checkout", scopes: ["stocks"] })).body
      .key;
    const shop = as(String(key));
    const takeAnswer = await shop.post(`/api/stocks/${a.stockId}/takes`, { reference: "PO-1", userId: "u1" });
    expect(takeAnswer.status).toBe(409);
    expect(takeAnswer.body.error).toMatchObject(refused);
    expect((await shop.post(`/api/stocks/${a.stockId}/takes/PO-1/release`)).body.error).toMatchObject(
      refused,
    );
    expect((await shop.post(`/api/stocks/${a.stockId}/takes/PO-1/confirm`)).body.error).toMatchObject(
      refused,
    );
    await expect(
      take(deps, { reference: "PO-2", userId: null, lines: [{ stockId: a.stockId, quantity: 1 }] }),
    ).rejects.toMatchObject({ code: "INVALID_STATE", status: 409 });
    for (const [method, path] of [
      ["PUT", "total"],
      ["POST", "confirm"],
      ["POST", "sync"],
      ["POST", "close"],
    ] as const) {
      const answer =
        method === "PUT"
          ? await admin.put(`/api/admin/stocks/${a.stockId}/${path}`, { total: 1 })
          : await admin.post(`/api/admin/stocks/${a.stockId}/${path}`);
      expect(answer.status, path).toBe(409);
      expect(answer.body.error, path).toMatchObject(refused);
    }
    expect(await deps.prisma.take.count({ where: { stockId: a.stockId } })).toBe(0);
    expect(await deps.prisma.stock.findUnique({ where: { id: a.stockId } })).toMatchObject({
      status: "LIVE",
      total: 3,
    });
  });

  it("is DRAFT until its event first goes LIVE, and CLOSED when the sale is archived", async () => {
    const { deps } = stack;
    const event = await liveEvent(
      deps,
      { products: [{ sku: "A", name: "Sneaker", priceCents: 100, stock: 2 }] },
      { start: false },
    );
    const { stockId } = eventStock(event.id, "A");
    expect(await deps.prisma.stock.findUnique({ where: { id: stockId } })).toMatchObject({
      status: "DRAFT",
      liveTotal: null,
    });
    expect((await admin.post(`/api/admin/events/${event.id}/start`)).status).toBe(200);
    expect((await admin.post(`/api/admin/events/${event.id}/stop`)).status).toBe(200);
    expect(await deps.prisma.stock.findUnique({ where: { id: stockId } })).toMatchObject({
      status: "LIVE",
      liveTotal: 2,
      archivedAt: null,
    });

    // Settled (nothing sold, nothing waits): archived on the second settled pass.
    await archiveIfSettled(deps, event.id, true);
    await deps.redis.hset(keys.meta(event.id), "settledAt", Date.now() - 60_000);
    expect(await archiveIfSettled(deps, event.id, true)).toBe(true);
    const [ev, stock] = await Promise.all([
      deps.prisma.event.findUniqueOrThrow({ where: { id: event.id } }),
      deps.prisma.stock.findUniqueOrThrow({ where: { id: stockId } }),
    ]);
    expect(stock.status).toBe("CLOSED");
    expect(stock.archivedAt).toEqual(ev.archivedAt);
  });
});
