// Issue 12, item 8: a charged purchase that does not end CONFIRMED, or a cancelled order,
// gets its money back: once per ticket, retried on faults, failures visible as dead letters
// (GET /api/admin/refunds) and retried by the admin.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type PaymentRequest,
  type PaymentResult,
  type PaymentStep,
  type RefundRequest,
  type RefundResult,
  SimulatedPayment,
} from "../../src/purchase/payment.js";
import { runMaintenance } from "../../src/recovery/maintenance.js";
import { ADMIN_TOKEN, eventually, liveEvent, startTestStack, type TestStack } from "../support/app.js";

/** The simulated provider, with a record of calls and faults a test switches on. */
class RecordingPayment implements PaymentStep {
  readonly inner = new SimulatedPayment();
  readonly charged = new Map<string, number>();
  readonly refunds = new Map<string, number>();
  /** Users whose charge goes through at the provider, then the answer is lost (a timeout). */
  readonly chargeLost = new Set<string>();
  /** Users whose refunds fail (the provider is away). */
  readonly refundDown = new Set<string>();

  async charge(request: PaymentRequest): Promise<PaymentResult> {
    const result = await this.inner.charge(request);
    if (result.approved) this.charged.set(request.idempotencyKey, request.amountCents);
    if (this.chargeLost.has(request.userId)) throw new Error("payment provider timed out");
    return result;
  }

  async refund(request: RefundRequest): Promise<RefundResult> {
    if (this.refundDown.has(request.userId)) throw new Error("payment provider unavailable");
    if (!this.charged.has(request.idempotencyKey)) return { refunded: false, reason: "NOT_CHARGED" };
    this.refunds.set(request.idempotencyKey, (this.refunds.get(request.idempotencyKey) ?? 0) + 1);
    return this.inner.refund(request);
  }
}

const payment = new RecordingPayment();
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ workerPools: 1, payment, env: { PURCHASE_ATTEMPTS: "2" } });
});
afterAll(() => stack.close());

const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };

async function join(eventId: string, userId: string) {
  const res = await fetch(`${stack.url}/api/events/${eventId}/tickets`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, sku: "A" }),
  });
  expect(res.status).toBe(202);
  const ticket = (await res.json()) as { ticketId: string; token: string };
  const auth = { authorization: `Bearer ${ticket.token}` };
  const final = await eventually(async () => {
    const t = (await (
      await fetch(`${stack.url}/api/tickets/${ticket.ticketId}`, { headers: auth })
    ).json()) as {
      status: string;
      reason?: string;
      orderId?: string;
    };
    return t.status !== "QUEUED" && t.status !== "PROCESSING" ? t : undefined;
  });
  return { ...ticket, ...final, auth };
}

/** The refund row, its BIGINT amount as a number (as the admin API answers it). */
const refundOf = async (ticketId: string) => {
  const row = await stack.deps.prisma.refund.findUnique({ where: { ticketId } });
  return row && { ...row, amountCents: Number(row.amountCents) };
};

const product = { sku: "A", name: "Sneaker", priceCents: 12_000, stock: 10 };

describe("refunds", () => {
  it("gives a cancelled order's money back once, however often it is cancelled", async () => {
    const event = await liveEvent(stack.deps, { products: [product] });
    const bought = await join(event.id, "canceller");
    expect(bought.status).toBe("CONFIRMED");
    const cancels = await Promise.all(
      Array.from({ length: 10 }, () =>
        fetch(`${stack.url}/api/orders/${bought.orderId}/cancel`, { method: "POST", headers: bought.auth }),
      ),
    );
    expect(cancels.map((r) => r.status)).toEqual(Array(10).fill(200));
    const refund = await eventually(async () => {
      const r = await refundOf(bought.ticketId);
      return r?.status === "REFUNDED" ? r : undefined;
    });
    expect(refund).toMatchObject({ reason: "CANCELLED", amountCents: 12_000, orderId: bought.orderId });
    expect(refund.reference).toMatch(/^simr_/);
    expect(payment.refunds.get(bought.ticketId)).toBe(1);
    // In the admin's view.
    const listed = await fetch(`${stack.url}/api/admin/refunds?eventId=${event.id}`, { headers: admin });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { items: unknown[] }).items).toContainEqual(
      expect.objectContaining({ ticketId: bought.ticketId, status: "REFUNDED", amountCents: 12_000 }),
    );
  });

  it("refunds a purchase charged at the provider that ended PROCESSING_FAILED", async () => {
    const event = await liveEvent(stack.deps, { products: [product] });
    payment.chargeLost.add("unlucky");
    const failed = await join(event.id, "unlucky");
    expect(failed).toMatchObject({ status: "FAILED", reason: "PROCESSING_FAILED" });
    expect(payment.charged.has(failed.ticketId)).toBe(true);
    const refund = await eventually(async () => {
      const r = await refundOf(failed.ticketId);
      return r?.status === "REFUNDED" ? r : undefined;
    });
    expect(refund).toMatchObject({ reason: "PROCESSING_FAILED", amountCents: 12_000 });
    expect(payment.refunds.get(failed.ticketId)).toBe(1);
    // A confirmed purchase has nothing to give back.
    const fine = await join(event.id, "lucky");
    expect(fine.status).toBe("CONFIRMED");
    expect(await refundOf(fine.ticketId)).toBeNull();
  });

  it("retries a failing refund, shows it as a dead letter when the attempts are spent, and the admin retries it", async () => {
    const event = await liveEvent(stack.deps, { products: [product] });
    payment.refundDown.add("stuck");
    const bought = await join(event.id, "stuck");
    const cancel = await fetch(`${stack.url}/api/orders/${bought.orderId}/cancel`, {
      method: "POST",
      headers: bought.auth,
    });
    expect(cancel.status).toBe(200);
    const dead = await eventually(async () => {
      const r = await refundOf(bought.ticketId);
      return r?.status === "FAILED" ? r : undefined;
    }, 60_000);
    expect(dead.attempts).toBeGreaterThan(1);
    expect(dead.lastError).toMatch(/unavailable/);
    const listed = await fetch(`${stack.url}/api/admin/refunds?status=FAILED&eventId=${event.id}`, {
      headers: admin,
    });
    expect(((await listed.json()) as { items: { ticketId: string }[] }).items.map((i) => i.ticketId)).toEqual(
      [bought.ticketId],
    );

    payment.refundDown.delete("stuck");
    const retry = await fetch(`${stack.url}/api/admin/refunds/${bought.ticketId}/retry`, {
      method: "POST",
      headers: admin,
    });
    expect(retry.status).toBe(202);
    await eventually(async () => (await refundOf(bought.ticketId))?.status === "REFUNDED");
    expect(payment.refunds.get(bought.ticketId)).toBe(1);
  }, 90_000);
  it("asks again a refund whose job was lost (the process died between its row and its job)", async () => {
    const event = await liveEvent(stack.deps, { products: [product] });
    // What requestRefund leaves when it is killed after its INSERT: a PENDING row, no job.
    const ticketId = `t_lost_refund_${Date.now()}`;
    payment.charged.set(ticketId, 12_000);
    const longAgo = new Date(Date.now() - 10 * 60_000);
    await stack.deps.prisma.refund.create({
      data: {
        ticketId,
        eventId: event.id,
        userId: "lost-refund",
        amountCents: 12_000,
        reason: "PROCESSING_FAILED",
        createdAt: longAgo,
        updatedAt: longAgo,
      },
    });
    // The convergence loop asks it again; asked on every pass, it is refunded once.
    await runMaintenance(stack.deps);
    const refund = await eventually(async () => {
      const r = await refundOf(ticketId);
      return r?.status === "REFUNDED" ? r : undefined;
    }, 10_000);
    expect(refund.attempts).toBe(1);
    await runMaintenance(stack.deps);
    await runMaintenance(stack.deps);
    expect(payment.refunds.get(ticketId)).toBe(1);
    expect((await refundOf(ticketId))?.status).toBe("REFUNDED");
  });
});
