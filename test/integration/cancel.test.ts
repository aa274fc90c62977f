// Cancelling a confirmed order: 50 identical calls at once cancel once, and the units
// go back on sale for the next shopper.
import { afterAll, beforeAll, expect, it } from "vitest";
import { keys } from "../../src/redis/keys.js";
import { eventually, liveEvent, startTestStack, type TestStack } from "../support/app.js";
import { eventMovements } from "../support/ledger.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ workerPools: 1 });
});
afterAll(() => stack.close());

async function buy(eventId: string, userId: string) {
  const res = await fetch(`${stack.url}/api/events/${eventId}/tickets`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, sku: "A" }),
  });
  const ticket = (await res.json()) as { ticketId: string; token: string };
  const auth = { authorization: `Bearer ${ticket.token}` };
  const final = await eventually(async () => {
    const t = (await (
      await fetch(`${stack.url}/api/tickets/${ticket.ticketId}`, { headers: auth })
    ).json()) as {
      status: string;
      orderId?: string;
    };
    return t.status !== "QUEUED" && t.status !== "PROCESSING" ? t : undefined;
  });
  return { ...ticket, ...final, auth };
}

it("50 concurrent identical cancels cancel once and put the unit back on sale", async () => {
  const { deps } = stack;
  const event = await liveEvent(deps, { products: [{ sku: "A", name: "Seat", priceCents: 4000, stock: 1 }] });
  const first = await buy(event.id, "alice");
  expect(first.status).toBe("CONFIRMED");

  const answers = await Promise.all(
    Array.from({ length: 50 }, () =>
      fetch(`${stack.url}/api/orders/${first.orderId}/cancel`, { method: "POST", headers: first.auth }),
    ),
  );
  const bodies = await Promise.all(answers.map((r) => r.json() as Promise<{ status: string }>));
  expect(answers.every((r) => r.status === 200)).toBe(true);
  expect(bodies.every((b) => b.status === "CANCELLED")).toBe(true);

  expect(await eventMovements(deps, event.id, "RETURN")).toHaveLength(1);
  expect(await deps.redis.hgetall(keys.stock(event.id, "A"))).toMatchObject({
    remaining: "1",
    reserved: "0",
    sold: "0",
  });
  expect(await deps.redis.hget(keys.stats(event.id), "cancelled")).toBe("1");
  expect(await deps.redis.hget(keys.held(event.id, "A"), "alice")).toBe("0");

  // The unit is on sale again.
  expect((await buy(event.id, "bob")).status).toBe("CONFIRMED");
});

it("refuses a cancel without the order's own ticket token", async () => {
  const { deps } = stack;
  const event = await liveEvent(deps, { products: [{ sku: "A", name: "Seat", priceCents: 4000, stock: 2 }] });
  const mine = await buy(event.id, "carol");
  const theirs = await buy(event.id, "dave");
  const path = `${stack.url}/api/orders/${mine.orderId}/cancel`;
  expect((await fetch(path, { method: "POST" })).status).toBe(401);
  expect((await fetch(path, { method: "POST", headers: theirs.auth })).status).toBe(404);
  expect(
    (await fetch(`${stack.url}/api/orders/bad%20id/cancel`, { method: "POST", headers: mine.auth })).status,
  ).toBe(400);
  expect((await deps.prisma.order.findUniqueOrThrow({ where: { id: mine.orderId } })).status).toBe(
    "CONFIRMED",
  );
});
