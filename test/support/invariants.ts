// The promises of dropqueue, checked in PostgreSQL and Redis after a run:
//  - sold never exceeds stock, and remaining + reserved + sold = total per product;
//  - Redis agrees with PostgreSQL (sold = confirmed order units) and the ledger (each
//    product's core stock's movements) sums to the counters;
//  - every CONFIRMED order exists once, and every ticket has exactly one final outcome,
//    the same in PostgreSQL, in Redis and in its order.
import { expect } from "vitest";
import type { Deps } from "../../src/deps.js";
import { keys } from "../../src/redis/keys.js";
import { productLedgers } from "./ledger.js";

const FINAL = ["CONFIRMED", "REJECTED", "FAILED", "CANCELLED"];

export async function expectInvariants(deps: Deps, eventId: string): Promise<void> {
  const [products, orders, tickets] = await Promise.all([
    productLedgers(deps, eventId),
    deps.prisma.order.findMany({ where: { eventId } }),
    deps.prisma.ticket.findMany({ where: { eventId } }),
  ]);

  // A settled, ended sale may be archived meanwhile: then Redis holds nothing of it, and
  // its figures are PostgreSQL's alone.
  const archived = async () =>
    (await deps.prisma.event.findUniqueOrThrow({ where: { id: eventId } })).archivedAt !== null;
  let inPostgresOnly = false;
  for (const p of products) {
    const confirmed = orders
      .filter((o) => o.sku === p.sku && o.status === "CONFIRMED")
      .reduce((n, o) => n + o.quantity, 0);
    let s = await deps.redis.hgetall(keys.stock(eventId, p.sku));
    if (!s.total) {
      expect(await archived(), `product ${p.sku}: Redis lacks its counters, so the sale is archived`).toBe(
        true,
      );
      inPostgresOnly = true;
      s = {
        total: String(p.total),
        remaining: String(p.total - confirmed),
        reserved: "0",
        sold: String(confirmed),
      };
    }
    const [total, remaining, reserved, sold] = [s.total, s.remaining, s.reserved, s.sold].map(Number) as [
      number,
      number,
      number,
      number,
    ];
    const where = `product ${p.sku}`;
    expect(sold, `${where}: sold ≤ stock`).toBeLessThanOrEqual(p.total);
    expect(remaining + reserved + sold, `${where}: remaining + reserved + sold = total`).toBe(total);
    expect(total, `${where}: Redis total = PostgreSQL total`).toBe(p.total);
    expect(reserved, `${where}: nothing left reserved`).toBe(0);
    expect(sold, `${where}: Redis sold = confirmed units in PostgreSQL`).toBe(confirmed);
    expect(p.sum("INITIAL") + p.sum("ADJUST"), `${where}: ledger total`).toBe(p.total);
    expect(p.sum("CONFIRM") - p.sum("RETURN"), `${where}: ledger sold`).toBe(confirmed);
    expect(p.sum("TAKE") - p.sum("CONFIRM") - p.sum("RELEASE"), `${where}: ledger reserved`).toBe(0);
  }

  expect(new Set(orders.map((o) => o.ticketId)).size, "one order per ticket").toBe(orders.length);
  const orderOf = new Map(orders.map((o) => [o.ticketId, o]));
  const pipeline = deps.redis.pipeline();
  for (const t of tickets) pipeline.hmget(keys.ticket(eventId, t.id), "status", "reason");
  const inRedis = ((await pipeline.exec()) ?? []).map(([, v]) => v as (string | null)[]);
  const notFinal = tickets.filter((t) => !FINAL.includes(t.status));
  expect(
    notFinal.map((t) => `${t.id}:${t.status}`),
    "every ticket has a final outcome",
  ).toEqual([]);
  tickets.forEach((t, i) => {
    if (!inPostgresOnly) expect(inRedis[i]?.[0], `ticket ${t.id}: Redis = PostgreSQL`).toBe(t.status);
    const order = orderOf.get(t.id);
    if (t.status === "CONFIRMED" || t.status === "CANCELLED") expect(order?.status).toBe(t.status);
    if (order) expect(t.status, `ticket ${t.id} follows its order`).toBe(order.status);
  });
}

/** Resolves once every ticket of the event is final in PostgreSQL (or times out). */
export async function waitForAllFinal(deps: Deps, eventId: string, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await deps.prisma.ticket.count({
      where: { eventId, status: { in: ["PREQUEUE", "QUEUED", "PROCESSING"] } },
    });
    const reserved = await reservedUnits(deps, eventId);
    if (open === 0 && reserved === 0) return;
    if (Date.now() > deadline) throw new Error(`${open} tickets still open, ${reserved} units reserved`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function reservedUnits(deps: Deps, eventId: string): Promise<number> {
  const skus = (await deps.redis.hget(keys.meta(eventId), "skus"))?.split(",") ?? [];
  const values = await Promise.all(skus.map((sku) => deps.redis.hget(keys.stock(eventId, sku), "reserved")));
  return values.reduce((n, v) => n + Number(v ?? 0), 0);
}

/** Fires joins over HTTP from `lanes` concurrent clients; returns the tickets created. */
export async function fireJoins(
  url: string,
  eventId: string,
  count: number,
  user: (i: number) => string,
  opts: { sku?: (i: number) => string; lanes?: number } = {},
): Promise<{ tickets: { ticketId: string; token: string }[]; statuses: Map<number, number> }> {
  const tickets = new Map<string, string>();
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: opts.lanes ?? 50 }, async () => {
      while (next < count) {
        const i = next++;
        const res = await fetch(`${url}/api/events/${eventId}/tickets`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ userId: user(i), sku: opts.sku?.(i) ?? "A" }),
        });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const body = (await res.json()) as { ticketId?: string; token?: string };
        if (body.ticketId && body.token) tickets.set(body.ticketId, body.token);
      }
    }),
  );
  return { tickets: [...tickets].map(([ticketId, token]) => ({ ticketId, token })), statuses };
}
