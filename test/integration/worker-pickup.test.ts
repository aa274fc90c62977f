// A sale's first shoppers are served at once: a worker process starts the purchase worker of a
// new event as soon as its state is written, not at its next look at the events (every second
// by default). Measured with a pool that looks only every 10 s.
import { afterAll, beforeAll, expect, it } from "vitest";
import { SimulatedPayment } from "../../src/purchase/payment.js";
import { PurchaseWorkerPool } from "../../src/purchase/worker-pool.js";
import { eventually, liveEvent, startTestStack, type TestStack } from "../support/app.js";

let stack: TestStack;
let pool: PurchaseWorkerPool;
beforeAll(async () => {
  stack = await startTestStack({ workerPools: 0 });
  pool = new PurchaseWorkerPool(stack.deps, new SimulatedPayment(), { concurrency: 4, syncEveryMs: 10_000 });
  await pool.start();
});
afterAll(async () => {
  await pool.close();
  await stack.close();
});

it("the first ticket of an event created and started now is confirmed long before the pool's next look", async () => {
  const event = await liveEvent(stack.deps, {
    products: [{ sku: "A", name: "Sneaker", priceCents: 100, stock: 5 }],
  });
  const joinedAt = Date.now();
  const res = await fetch(`${stack.url}/api/events/${event.id}/tickets`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId: "first", sku: "A" }),
  });
  expect(res.status).toBe(202);
  const { ticketId } = (await res.json()) as { ticketId: string };
  await eventually(async () => {
    const t = await stack.deps.prisma.ticket.findUnique({ where: { id: ticketId } });
    return t?.status === "CONFIRMED";
  }, 15_000);
  // Far below the pool's 10 s look (9.9 s without the message), with room for a loaded CI machine.
  expect(Date.now() - joinedAt).toBeLessThan(5_000);
});
