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

export interface RefundRequest {
  /** The charge's idempotency key (the ticket id): one refund per ticket, however often asked. */
  idempotencyKey: string;
  eventId: string;
  userId: string;
  amountCents: number;
  /** The event's share of declined charges (the built-in step decides "was it charged?" by it). */
  failureRate: number;
}

export type RefundResult = { refunded: true; reference: string } | { refunded: false; reason: "NOT_CHARGED" };

export interface PaymentStep {
  charge(request: PaymentRequest): Promise<PaymentResult>;
  /**
   * Gives back the charge of `idempotencyKey`, idempotently (the same answer every time);
   * NOT_CHARGED when no charge holds for it. Throws on a transient fault (retried).
   */
  refund(request: RefundRequest): Promise<RefundResult>;
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
    return this.#decide(request);
  }

  #decide(request: Pick<PaymentRequest, "idempotencyKey" | "failureRate">): PaymentResult {
    const digest = createHash("sha256").update(request.idempotencyKey).digest();
    const draw = digest.readUIntBE(0, 6) / 2 ** 48;
    if (draw < request.failureRate) return { approved: false, reason: "PAYMENT_DECLINED" };
    return { approved: true, reference: `sim_${digest.toString("hex", 6, 14)}` };
  }

  /** Charged is what charge() would answer for the key: approved ones are given back. */
  async refund(request: RefundRequest): Promise<RefundResult> {
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const charged = this.#decide(request);
    if (!charged.approved) return { refunded: false, reason: "NOT_CHARGED" };
    return { refunded: true, reference: `simr_${charged.reference.slice(4)}` };
  }
}
