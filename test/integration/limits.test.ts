// The per-user limit under real concurrency: waves of 300 concurrent joins from 50 users,
// with quantities of 1–3 against a limit of 3, bought by several worker pools at once.
// Nobody ever holds or buys more than the limit, and the ledger adds up per product.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys } from "../../src/redis/keys.js";
import { eventually, liveEvent, startTestStack, type TestStack } from "../support/app.js";
import { expectLedgerMatchesCounters } from "../support/ledger.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ workerPools: 3, concurrency: 4, env: { RATE_LIMIT_PER_SECOND: "0" } });
});
afterAll(() => stack.close());

const LIMIT = 3;
const USERS = 50;
const FINAL = new Set(["CONFIRMED", "REJECTED", "FAILED", "CANCELLED"]);

async function join(eventId: string, userId: string, sku: string, quantity: number) {
  const res = await fetch(`${stack.url}/api/events/${eventId}/tickets`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, sku, quantity }),
  });
  return { status: res.status, body: (await res.json()) as { ticketId?: string; error?: { code: string } } };
}

describe("the per-user limit", () => {
  it("300 concurrent tickets at a time from 50 users never put a user above 3 units of a product", async () => {
    const { deps } = stack;
    const event = await liveEvent(deps, {
      perUserLimit: LIMIT,
      // Declined payments give units back, so users come back for more.
      paymentFailureRate: 0.2,
      products: [
        // The limit binds: more stock than 50 users may buy.
        { sku: "A", name: "Sneaker", priceCents: 100, stock: 1_000 },
        // Stock binds as well: fewer units than users want.
        { sku: "B", name: "Hoodie", priceCents: 100, stock: 60 },
      ],
    });

    const ticketIds = new Set<string>();
    const answers = new Map<string, number>();
    for (let wave = 0; wave < 3; wave++) {
      await Promise.all(
        Array.from({ length: 300 }, async (_, i) => {
          const user = `user-${i % USERS}`;
          const sku = Math.floor(i / USERS) % 2 === 0 ? "A" : "B";
          const quantity = 1 + ((i * 7 + wave) % 3);
          const { status, body } = await join(event.id, user, sku, quantity);
          const answer = body.error?.code ?? String(status);
          answers.set(answer, (answers.get(answer) ?? 0) + 1);
          if (body.ticketId) ticketIds.add(body.ticketId);
        }),
      );
      await eventually(async () => {
        const statuses = await Promise.all(
          [...ticketIds].map((t) => deps.redis.hget(keys.ticket(event.id, t), "status")),
        );
        return statuses.every((s) => s !== null && FINAL.has(s));
      }, 60_000);
    }
    // Every join got a ticket, its open ticket back, or one of the two expected refusals.
    expect(
      [...answers.keys()].filter((a) => !["202", "200", "LIMIT_REACHED", "SOLD_OUT"].includes(a)),
    ).toEqual([]);
    expect(answers.get("202")).toBeGreaterThan(100);
    // The limit was put to work: at the door, or (for a ticket that raced) at the reservation.
    const atDoor = answers.get("LIMIT_REACHED") ?? 0;
    const atReservation = Number(await deps.redis.hget(keys.stats(event.id), "rejected:LIMIT_REACHED"));
    expect(atDoor + atReservation).toBeGreaterThan(0);

    for (const sku of ["A", "B"]) {
      const orders = await deps.prisma.order.findMany({ where: { eventId: event.id, sku } });
      const bought = new Map<string, number>();
      for (const o of orders) {
        if (o.status === "CONFIRMED") bought.set(o.userId, (bought.get(o.userId) ?? 0) + o.quantity);
      }
      const held = await deps.redis.hgetall(keys.held(event.id, sku));
      for (let u = 0; u < USERS; u++) {
        const user = `user-${u}`;
        const units = bought.get(user) ?? 0;
        expect(units, `${sku} ${user} bought`).toBeLessThanOrEqual(LIMIT);
        // Redis' held count is exactly what the user bought: every declined unit came back.
        expect(Number(held[user] ?? 0), `${sku} ${user} held`).toBe(units);
      }
      expect(Math.max(...bought.values())).toBe(LIMIT);
    }
    const b = await deps.redis.hmget(keys.stock(event.id, "B"), "remaining", "sold");
    expect(Number(b[0]) + Number(b[1])).toBe(60);
    await expectLedgerMatchesCounters(deps, event.id);
  });
});
