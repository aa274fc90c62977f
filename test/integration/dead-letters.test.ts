// Issue 12: the purchases' dead letters, listed and retried on dropqueue's admin API. A job that
// failed for good without recording an outcome (its ticket still QUEUED or PROCESSING) is run
// again through the ticket's keyed path: retried once, or twice at once, it ends with one outcome.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PaymentRequest, type PaymentResult, SimulatedPayment } from "../../src/purchase/payment.js";
import { failPurchase } from "../../src/purchase/processor.js";
import { PurchaseWorkerPool } from "../../src/purchase/worker-pool.js";
import { keys } from "../../src/redis/keys.js";
import { reserveStock } from "../../src/redis/steps/reserve-stock.js";
import { ADMIN_TOKEN, eventually, liveEvent, startTestStack, type TestStack } from "../support/app.js";
import { failJobsForGood } from "../support/dead-letters.js";
import { expectInvariants } from "../support/invariants.js";

/** Counts the charges per ticket. */
class CountingPayment extends SimulatedPayment {
  readonly charges = new Map<string, number>();
  override async charge(request: PaymentRequest): Promise<PaymentResult> {
    this.charges.set(request.idempotencyKey, (this.charges.get(request.idempotencyKey) ?? 0) + 1);
    return super.charge(request);
  }
}

const payment = new CountingPayment();
let stack: TestStack;
// No purchase workers: each test fails its jobs with a worker of its own, then starts a pool.
beforeAll(async () => {
  stack = await startTestStack({ workerPools: 0, payment });
});
afterAll(() => stack.close());

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const product = { sku: "A", name: "Sneaker", priceCents: 5_000, stock: 5 };

async function join(eventId: string, userId: string): Promise<string> {
  const res = await fetch(`${stack.url}/api/events/${eventId}/tickets`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, sku: "A" }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { ticketId: string }).ticketId;
}

const deadLetters = async (eventId: string) => {
  const res = await fetch(`${stack.url}/api/admin/events/${eventId}/dead-letters`, { headers: admin });
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: { ticketId: string; ticketStatus: string; retryable: boolean }[] })
    .items;
};
const retry = (eventId: string, ticketId: string) =>
  fetch(`${stack.url}/api/admin/events/${eventId}/dead-letters/${ticketId}/retry`, {
    method: "POST",
    headers: admin,
  });

async function withPool<T>(work: () => Promise<T>): Promise<T> {
  const pool = new PurchaseWorkerPool(stack.deps, payment, { concurrency: 4, syncEveryMs: 100 });
  await pool.start();
  try {
    return await work();
  } finally {
    await pool.close();
  }
}

const ticketRow = (id: string) => stack.deps.prisma.ticket.findUniqueOrThrow({ where: { id } });

describe("purchase dead letters", () => {
  it("retries a ticket whose job failed for good while reserved: one charge, one order, one outcome", async () => {
    const event = await liveEvent(stack.deps, { products: [product] });
    const ticketId = await join(event.id, "reserved-then-dead");
    await failJobsForGood(stack.deps, event.id, 1, (job) => reserveStock(stack.deps.redis, job));
    expect(await stack.deps.redis.hget(keys.ticket(event.id, ticketId), "status")).toBe("PROCESSING");

    const listed = await deadLetters(event.id);
    expect(listed).toEqual([
      expect.objectContaining({ ticketId, ticketStatus: "PROCESSING", retryable: true }),
    ]);

    await withPool(async () => {
      // Twice at once: one job either way.
      const answers = await Promise.all([retry(event.id, ticketId), retry(event.id, ticketId)]);
      expect(answers.map((r) => r.status)).toContain(202);
      for (const r of answers) expect([202, 404]).toContain(r.status);
      await eventually(async () => (await ticketRow(ticketId)).status === "CONFIRMED");
    });
    expect(await stack.deps.prisma.order.count({ where: { ticketId } })).toBe(1);
    expect(payment.charges.get(ticketId)).toBe(1);
    expect(await deadLetters(event.id)).toEqual([]);
    await expectInvariants(stack.deps, event.id);
  });

  it("retries a queued ticket whose job failed for good, and refuses one that has its outcome", async () => {
    const event = await liveEvent(stack.deps, { products: [product] });
    const first = await join(event.id, "queued-then-dead");
    await failJobsForGood(stack.deps, event.id, 1);
    expect(await stack.deps.redis.hget(keys.ticket(event.id, first), "status")).toBe("QUEUED");

    await withPool(async () => {
      expect((await retry(event.id, first)).status).toBe(202);
      await eventually(async () => (await ticketRow(first)).status === "CONFIRMED");
      // Retried again once it has its outcome: no dead letter any more.
      expect((await retry(event.id, first)).status).toBe(404);
    });
    expect(payment.charges.get(first)).toBe(1);

    // A dead letter whose ticket already ended (the last attempt settled it) is listed, not retried.
    const second = await join(event.id, "settled-dead");
    await failJobsForGood(stack.deps, event.id, 1);
    await failPurchase(stack.deps, { eventId: event.id, ticketId: second, sku: "A" });
    expect(await deadLetters(event.id)).toEqual([
      expect.objectContaining({ ticketId: second, ticketStatus: "FAILED", retryable: false }),
    ]);
    const refused = await retry(event.id, second);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("INVALID_STATE");
    expect(await ticketRow(second)).toMatchObject({ status: "FAILED", reason: "PROCESSING_FAILED" });
    await expectInvariants(stack.deps, event.id);
  });

  it("answers 404 for an unknown event or job, and 400 for a malformed job id", async () => {
    const event = await liveEvent(stack.deps, { products: [product] });
    expect((await retry(event.id, "no-such-ticket")).status).toBe(404);
    expect((await retry("no-such-event", "t")).status).toBe(404);
    expect((await retry(event.id, "bad%20id")).status).toBe(400);
    const res = await fetch(`${stack.url}/api/admin/events/no-such-event/dead-letters`, { headers: admin });
    expect(res.status).toBe(404);
  });
});
