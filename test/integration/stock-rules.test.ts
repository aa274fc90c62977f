// The stock rules (shared API.md) against the real Redis and PostgreSQL: free changes
// before the first LIVE, a ceiling and a floor afterwards, and adjustments racing a
// thousand purchases without ever breaking remaining + reserved + sold = total.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDeps } from "../../src/bootstrap.js";
import type { Deps } from "../../src/deps.js";
import { readStock } from "../../src/events/event-state.js";
import { transition } from "../../src/events/events.service.js";
import { adjustStock, syncTotal } from "../../src/events/stock.service.js";
import { keys } from "../../src/redis/keys.js";
import {
  ADMIN_TOKEN,
  eventually,
  liveEvent,
  startTestStack,
  type TestStack,
  testConfig,
} from "../support/app.js";
import { eventMovements, expectLedgerMatchesCounters, productLedgers } from "../support/ledger.js";
import { join, reserve, ticketIdOf } from "../support/lua.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ workerPools: 2, concurrency: 8, env: { RATE_LIMIT_PER_SECOND: "0" } });
});
afterAll(() => stack.close());

const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };

async function setTotal(eventId: string, sku: string, total: unknown) {
  const res = await fetch(`${stack.url}/api/admin/events/${eventId}/products/${sku}/stock`, {
    method: "PUT",
    headers: admin,
    body: JSON.stringify(total === undefined ? {} : { total }),
  });
  return { status: res.status, body: await res.json() };
}

async function joinOverHttp(eventId: string, userId: string, sku: string) {
  const res = await fetch(`${stack.url}/api/events/${eventId}/tickets`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, sku }),
  });
  return { status: res.status, body: (await res.json()) as { ticketId?: string; error?: { code: string } } };
}

const FINAL = new Set(["CONFIRMED", "REJECTED", "FAILED", "CANCELLED"]);
async function allFinal(deps: Deps, eventId: string, ticketIds: Iterable<string>) {
  const statuses = await Promise.all(
    [...ticketIds].map((t) => deps.redis.hget(keys.ticket(eventId, t), "status")),
  );
  return statuses.every((s) => s !== null && FINAL.has(s));
}

const adjustRows = (deps: Deps, eventId: string) => eventMovements(deps, eventId, "ADJUST");

describe("stock adjustments", () => {
  it("before the event first goes LIVE, any total ≥ 0 may be set; going LIVE fixes the ceiling", async () => {
    const { deps } = stack;
    const event = await liveEvent(
      deps,
      { products: [{ sku: "A", name: "Sneaker", priceCents: 100, stock: 10, perUserLimit: 2 }] },
      { start: false },
    );
    for (const total of [0, 50_000, 5]) {
      const res = await setTotal(event.id, "A", total);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toEqual({
        sku: "A",
        name: "Sneaker",
        priceCents: 100,
        perUserLimit: 2,
        total,
        remaining: total,
        reserved: 0,
        sold: 0,
      });
    }
    expect((await adjustRows(deps, event.id)).map((r) => [r.quantity, r.reference])).toEqual([
      [-10, "admin"],
      [50_000, "admin"],
      [-49_995, "admin"],
    ]);
    // The same total again changes nothing, and records nothing.
    expect((await setTotal(event.id, "A", 5)).status).toBe(200);
    expect(await adjustRows(deps, event.id)).toHaveLength(3);

    await transition(deps, event.id, "start");
    const [product] = await productLedgers(deps, event.id);
    expect(product).toMatchObject({ total: 5, liveTotal: 5 });
    // The product's stock is a core Stock, LIVE from the event's first LIVE.
    expect(await deps.prisma.stock.findUnique({ where: { id: product?.stockId } })).toMatchObject({
      kind: "EVENT",
      status: "LIVE",
      total: 5,
      liveTotal: 5,
    });
    const above = await setTotal(event.id, "A", 6);
    expect(above.status).toBe(422);
    expect(above.body.error).toMatchObject({
      code: "STOCK_RULE",
      details: { min: 0, max: 5, sold: 0, reserved: 0, current: 5 },
    });
    await expectLedgerMatchesCounters(deps, event.id);
  });

  it("after LIVE: never above the total at the first LIVE, never below sold + reserved", async () => {
    const { deps } = stack;
    const event = await liveEvent(deps, {
      products: [{ sku: "A", name: "Sneaker", priceCents: 100, stock: 10 }],
    });
    // Three sold through the pipeline ...
    const tickets: string[] = [];
    for (const user of ["u1", "u2", "u3"]) {
      tickets.push((await joinOverHttp(event.id, user, "A")).body.ticketId ?? "missing");
    }
    await eventually(() => allFinal(deps, event.id, tickets));
    // ... and two held by a purchase in flight (reserved, not yet sold or restored).
    const held = ticketIdOf(await join(deps.redis, event.id, "u4", "A", 1));
    const held2 = ticketIdOf(await join(deps.redis, event.id, "u5", "A", 1));
    expect((await reserve(deps.redis, event.id, "A", held)).kind).toBe("reserved");
    expect((await reserve(deps.redis, event.id, "A", held2)).kind).toBe("reserved");
    expect((await readStock(deps.redis, event.id, ["A"]))[0]).toEqual({
      total: 10,
      remaining: 5,
      reserved: 2,
      sold: 3,
    });

    const bounds = { min: 5, max: 10, sold: 3, reserved: 2, current: 10 };
    for (const total of [11, 1_000, 4, 0]) {
      const res = await setTotal(event.id, "A", total);
      expect(res.status, `total ${total}`).toBe(422);
      expect(res.body).toMatchObject({ error: { code: "STOCK_RULE", message: expect.any(String) } });
      expect(res.body.error.details).toEqual(bounds);
    }
    expect((await readStock(deps.redis, event.id, ["A"]))[0]).toMatchObject({ total: 10, remaining: 5 });

    const lowest = await setTotal(event.id, "A", 5);
    expect(lowest.body).toMatchObject({ total: 5, remaining: 0, reserved: 2, sold: 3 });
    const highest = await setTotal(event.id, "A", 10);
    expect(highest.body).toMatchObject({ total: 10, remaining: 5, reserved: 2, sold: 3 });
    expect((await adjustRows(deps, event.id)).map((r) => r.quantity)).toEqual([-5, 5]);
    const [row] = await productLedgers(deps, event.id);
    expect(row?.total).toBe(10);
  });

  it("answers 404 for an unknown event or product, 409 once the event ended, 400 for a bad body", async () => {
    const { deps } = stack;
    const event = await liveEvent(deps, {
      products: [{ sku: "A", name: "Sneaker", priceCents: 100, stock: 3 }],
    });
    expect((await setTotal("ev_missing", "A", 1)).body.error.code).toBe("NOT_FOUND");
    const missing = await setTotal(event.id, "B", 1);
    expect([missing.status, missing.body.error.code]).toEqual([404, "NOT_FOUND"]);
    for (const body of [undefined, -1, 1.5, "2", null, 10_000_001]) {
      const res = await setTotal(event.id, "A", body);
      expect([res.status, res.body.error.code]).toEqual([400, "VALIDATION_FAILED"]);
    }
    const extra = await fetch(`${stack.url}/api/admin/events/${event.id}/products/A/stock`, {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({ total: 2, remaining: 2 }),
    });
    expect(extra.status).toBe(400);
    const badSku = await setTotal(event.id, "has%20space", 1);
    expect(badSku.status).toBe(400);

    await transition(deps, event.id, "stop");
    const ended = await setTotal(event.id, "A", 2);
    expect([ended.status, ended.body.error.code]).toEqual([409, "INVALID_STATE"]);
    expect((await readStock(deps.redis, event.id, ["A"]))[0]?.total).toBe(3);
  });

  it("when PostgreSQL does not commit a lowering, Redis is never above PostgreSQL and follows it back", async () => {
    const event = await liveEvent(stack.deps, {
      products: [{ sku: "A", name: "Sneaker", priceCents: 100, stock: 10 }],
    });
    // A process of its own whose database connection dies right after the Lua step ran:
    // a real fault, injected at the one moment it matters.
    const deps = createDeps(testConfig(), { name: "faulty", dbPoolSize: 2 });
    const killer = new pg.Client({ connectionString: inject("databaseUrl") });
    await killer.connect();
    const set = deps.redis.setTotal.bind(deps.redis);
    deps.redis.setTotal = (async (...args: (string | number)[]) => {
      const reply = await set(...args);
      if (args[2] === "check") {
        await killer.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE datname = current_database() AND pid <> pg_backend_pid()
             AND state LIKE 'idle in transaction%' AND query LIKE '%FOR UPDATE%'`,
        );
      }
      return reply;
    }) as typeof deps.redis.setTotal;
    try {
      await expect(adjustStock(deps, event.id, "A", 4)).rejects.toThrow();
    } finally {
      await killer.end();
      // Not closeDeps: the adapter's pool never gets the killed connection back, so ending
      // the pool would wait forever (@prisma/adapter-pg 6.19).
      await deps.queues.close();
      deps.redis.disconnect();
      void deps.prisma.$disconnect();
    }
    // At or below PostgreSQL's total whatever happened, and PostgreSQL's once synced (the
    // failed call tries at once; the reconciler does it on every pass).
    expect((await readStock(stack.deps.redis, event.id, ["A"]))[0]?.total).toBeLessThanOrEqual(10);
    await syncTotal(stack.deps, event.id, "A");
    expect((await readStock(stack.deps.redis, event.id, ["A"]))[0]).toEqual({
      total: 10,
      remaining: 10,
      reserved: 0,
      sold: 0,
    });
    expect(await adjustRows(stack.deps, event.id)).toHaveLength(0);
    await expectLedgerMatchesCounters(stack.deps, event.id);
  });

  it("races 1,000 purchases: every observation keeps remaining + reserved + sold = total within the rules", async () => {
    const { deps } = stack;
    const ceiling = 600;
    const event = await liveEvent(deps, {
      products: [{ sku: "A", name: "Sneaker", priceCents: 100, stock: ceiling }],
      paymentFailureRate: 0.1,
      // Slow enough that the sale lasts a few seconds, for the adjustments to race it.
      admissionRate: 200,
    });
    const stockKey = keys.stock(event.id, "A");
    const violations: string[] = [];
    const answers = { adjusted: 0, refused: 0 };
    let done = false;

    const observe = async () => {
      let observations = 0;
      while (!done) {
        const [total, remaining, reserved, sold] = (
          await deps.redis.hmget(stockKey, "total", "remaining", "reserved", "sold")
        ).map(Number) as [number, number, number, number];
        observations++;
        if (remaining + reserved + sold !== total || remaining < 0 || reserved < 0 || total > ceiling) {
          violations.push(JSON.stringify({ total, remaining, reserved, sold }));
        }
      }
      return observations;
    };

    const adjust = async () => {
      for (let i = 0; !done; i++) {
        // Near the floor, up to the ceiling, anywhere between, and just past either bound
        // (refused). Purchases move the floor between this read and the change, so some
        // near it are refused as well.
        const s = (await readStock(deps.redis, event.id, ["A"]))[0];
        if (!s) throw new Error("no stock");
        const floor = s.sold + s.reserved;
        const targets = [
          floor + 40 + Math.floor(Math.random() * 40),
          ceiling - (i % 7),
          floor + Math.floor(Math.random() * (ceiling - floor + 1)),
          floor - 1,
          ceiling + 1,
        ];
        const target = Math.min(targets[i % targets.length] ?? 0, ceiling + 1);
        if (target < 0) continue;
        const res = await setTotal(event.id, "A", target);
        if (res.status === 200) {
          answers.adjusted++;
          const p = res.body;
          if (p.total !== target || p.remaining + p.reserved + p.sold !== p.total || p.total > ceiling) {
            violations.push(`answer ${JSON.stringify(p)}`);
          }
        } else if (res.status === 422) {
          answers.refused++;
          const d = res.body.error.details;
          // Refused only when the rule truly did not allow it at that moment.
          if (!(target < d.min || target > d.max))
            violations.push(`refused ${target} in ${JSON.stringify(d)}`);
        } else {
          violations.push(`status ${res.status} ${JSON.stringify(res.body)}`);
        }
      }
    };

    const observer = observe();
    const adjusters = Promise.all([adjust(), adjust(), adjust()]);
    const ticketIds = new Set<string>();
    const joins = new Map<number | string, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (next < 1000) {
          const i = next++;
          const { status, body } = await joinOverHttp(event.id, `user-${i}`, "A");
          const key = body.error?.code ?? status;
          joins.set(key, (joins.get(key) ?? 0) + 1);
          if (body.ticketId) ticketIds.add(body.ticketId);
        }
      }),
    );
    await eventually(() => allFinal(deps, event.id, ticketIds), 60_000);
    done = true;
    const observations = await observer;
    await adjusters;

    expect(violations).toEqual([]);
    expect(observations).toBeGreaterThan(100);
    expect(answers.adjusted).toBeGreaterThan(10);
    expect(answers.refused).toBeGreaterThan(0);
    expect(joins.get(500)).toBeUndefined();
    expect(ticketIds.size).toBeGreaterThan(0);

    // The end: consistent in Redis, in PostgreSQL, in the ledger; nothing oversold.
    const end = (await readStock(deps.redis, event.id, ["A"]))[0];
    expect(end).toBeDefined();
    if (!end) return;
    expect(end.reserved).toBe(0);
    expect(end.remaining + end.sold).toBe(end.total);
    expect(end.total).toBeLessThanOrEqual(ceiling);
    const confirmed = await deps.prisma.order.count({ where: { eventId: event.id, status: "CONFIRMED" } });
    expect(confirmed).toBe(end.sold);
    await expectLedgerMatchesCounters(deps, event.id);
    // And the rule still holds after the race: the floor is what was sold.
    const below = await setTotal(event.id, "A", end.sold - 1);
    if (end.sold > 0)
      expect(below.body.error).toMatchObject({ code: "STOCK_RULE", details: { min: end.sold } });
  });
});
