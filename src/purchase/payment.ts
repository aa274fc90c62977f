// The payment step, between reservation and persistence, behind a small interface so a
// real provider can replace the built-in one. A provider must answer the same way for
// the same idempotency key: a retried purchase is never charged or declined twice.
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

export interface PaymentRequest {
  /** The ticket id: one charge per ticket, however often the purchase is retried. */
  idempotencyKey: string;
  eventId: string;
  userId: string;
  amountCents: number;
  /** The event's share of purchases the built-in step declines. */
  failureRate: number;
}

export type PaymentResult =
  | { approved: true; reference: string }
  | { approved: false; reason: "PAYMENT_DECLINED" };

export interface PaymentStep {
  charge(request: PaymentRequest): Promise<PaymentResult>;
}

/**
 * Declines `failureRate` of purchases at random: the seed scenario of a shopper without
 * enough balance. "Random" is a hash of the idempotency key, uniform over tickets and
 * the same on every retry, as a real provider's idempotent answer would be. Each charge
 * takes `latencyMs`, as a call to a real provider does.
 */
export class SimulatedPayment implements PaymentStep {
  constructor(private readonly latencyMs = 0) {}

  async charge(request: PaymentRequest): Promise<PaymentResult> {
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const digest = createHash("sha256").update(request.idempotencyKey).digest();
    const draw = digest.readUIntBE(0, 6) / 2 ** 48;
    if (draw < request.failureRate) return { approved: false, reason: "PAYMENT_DECLINED" };
    return { approved: true, reference: `sim_${digest.toString("hex", 6, 14)}` };
  }
}
