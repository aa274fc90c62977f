// The purchase of one ticket: reserve (one Lua step) → pay → persist the order and its
// ledger rows (one PostgreSQL statement) → finish in Redis → tell the shopper. The outcome
// is published only once PostgreSQL holds it (src/realtime/outcomes.ts).
// Every step is safe to run again: BullMQ delivers at least once, and a retry after a
// crash or a transient fault must neither reserve, charge nor persist twice.
import { randomBytes } from "node:crypto";
import type { Deps } from "../deps.js";
import { outcomeOf, publishOutcomes } from "../realtime/outcomes.js";
import { keys } from "../redis/keys.js";
import { cancelPurchase } from "../redis/steps/cancel-purchase.js";
import { finishPurchase } from "../redis/steps/finish-purchase.js";
import { type Reservation, reserveStock } from "../redis/steps/reserve-stock.js";
import { isFinalStatus } from "../waiting-room/ticket.schemas.js";
import type { PurchasePayload } from "./jobs.js";
import type { PlacedOrder } from "./order-store.js";
import type { PaymentStep } from "./payment.js";
import { requestRefund } from "./refunds.js";

export type PurchaseResult =
  | { kind: "confirmed"; orderId: string }
  | { kind: "failed"; reason: "PAYMENT_DECLINED" | "PROCESSING_FAILED"; orderId?: string }
  | { kind: "rejected"; reason: "SOLD_OUT" | "LIMIT_REACHED" | "SALE_ENDED" }
  /** Nothing to do: already decided by an earlier delivery, or the ticket is gone. */
  | { kind: "noop"; why: string };

/** Not now: an earlier ticket decides first, or the sale is paused. Not a failure. */
export class NotYet extends Error {
  constructor(
    readonly why: "WAIT" | "PAUSED" | "NO_EVENT",
    readonly retryInMs: number,
  ) {
    super(`not yet: ${why}`);
  }
}

/** The event's Redis state was rebuilt since this reservation: it died with the old state. */
class StaleReservation extends Error {}

/** The event has no row in this PostgreSQL: its Redis is shared with another database. */
export class UnknownEvent extends Error {}

export interface ProcessOptions {
  /** How long to keep trying in place while earlier tickets decide, before handing the job back. */
  waitBudgetMs?: number;
}

export const newOrderId = () => `ord_${randomBytes(12).toString("base64url")}`;

export async function processPurchase(
  deps: Deps,
  payment: PaymentStep,
  job: PurchasePayload,
  opts: ProcessOptions = {},
): Promise<PurchaseResult> {
  const log = deps.log.child({ eventId: job.eventId, ticketId: job.ticketId });
  // Briefly: a ticket waiting for its turn holds a worker slot meanwhile. Handed back, it
  // comes again in line order (its job's priority is its join sequence).
  const reserved = await reserveInTurn(deps, job, opts.waitBudgetMs ?? 300);
  if (!("qty" in reserved)) {
    // A rejection, or an outcome decided by an earlier delivery: make sure PostgreSQL has it.
    if (reserved.kind === "rejected" || reserved.why === "already decided")
      await recordRedisOutcome(deps, job);
    return reserved;
  }

  const paid = await payment.charge({
    idempotencyKey: job.ticketId,
    eventId: job.eventId,
    userId: reserved.userId,
    amountCents: reserved.priceCents * reserved.qty,
    failureRate: reserved.paymentFailureRate,
  });
  let order: PlacedOrder;
  try {
    order = await persistOrder(deps, job, reserved, paid.approved ? null : paid.reason);
  } catch (err) {
    if (!(err instanceof StaleReservation)) throw err;
    // Charged under the lost state: refunded unless the redelivery confirms it (src/purchase/refunds.ts).
    if (paid.approved) await requestRefund(deps, job, "STALE_RESERVATION", { delayMs: 30_000 });
    // The rebuilt state queued the ticket again; that delivery decides it.
    log.warn("reservation made before a rebuild of the event's state: dropped");
    return { kind: "noop", why: "stale reservation" };
  }
  log.debug({ orderId: order.id, status: order.status }, "purchase finished");
  return finishWithOrder(deps, job, order);
}

/**
 * The last attempt failed on a transient fault: the ticket ends FAILED /
 * PROCESSING_FAILED and its reservation goes back on sale — unless PostgreSQL already
 * holds an order for it (a commit whose answer was lost), whose outcome then stands.
 * Throws when PostgreSQL cannot record the failure: restoring stock without that record
 * could oversell, so the ticket stays reserved until a retry or the reconciler settles it.
 */
export async function failPurchase(deps: Deps, job: PurchasePayload): Promise<PurchaseResult> {
  const [[, t], [, epoch]] = (await deps.redis
    .multi()
    .hmget(keys.ticket(job.eventId, job.ticketId), "status", "user", "qty")
    .hget(keys.meta(job.eventId), "epoch")
    .exec()) as [[unknown, (string | null)[]], [unknown, string | null]];
  const [status, userId, qty] = t;
  if (status === "QUEUED") {
    // Out of the line, unless a delivery reserved for it meanwhile (that one decides it then).
    const finished = await finishPurchase(deps.redis, job, {
      outcome: "FAILED",
      reason: "PROCESSING_FAILED",
      from: "QUEUED",
    });
    if (finished.kind !== "finished") return { kind: "noop", why: "ticket moved on" };
    await recordRedisOutcome(deps, job);
    return { kind: "failed", reason: "PROCESSING_FAILED" };
  }
  if (status !== "PROCESSING" || !userId) return { kind: "noop", why: `ticket is ${status ?? "gone"}` };
  const order = await persistOrder(
    deps,
    job,
    { qty: Number(qty), userId, sku: job.sku, priceCents: 0, paymentFailureRate: 0, epoch: Number(epoch) },
    "PROCESSING_FAILED",
  );
  return finishWithOrder(deps, job, order);
}

/** Ends the ticket in Redis the way its order in PostgreSQL did (that order stands), then tells. */
async function finishWithOrder(
  deps: Deps,
  job: PurchasePayload,
  order: PlacedOrder,
): Promise<PurchaseResult> {
  const ok = order.status !== "FAILED";
  const outcome = ok ? "CONFIRMED" : "FAILED";
  await finishPurchase(deps.redis, job, {
    outcome,
    reason: order.reason,
    orderId: order.id,
    from: "PROCESSING",
  });
  if (order.status === "CANCELLED") {
    // Confirmed, then cancelled before Redis heard of the sale: the cancel's own step found
    // nothing to give back then, so it is applied now (once: it is keyed by the ticket's status).
    await cancelPurchase(deps.redis, job);
    return { kind: "confirmed", orderId: order.id };
  }
  await publishOutcomes(deps.redis, [
    outcomeOf({ ...job, status: outcome, reason: order.reason, orderId: order.id }),
  ]);
  if (ok) return { kind: "confirmed", orderId: order.id };
  const reason = order.reason === "PAYMENT_DECLINED" ? "PAYMENT_DECLINED" : "PROCESSING_FAILED";
  // A charge may have gone through before the purchase failed: give it back (src/purchase/refunds.ts).
  if (reason === "PROCESSING_FAILED") await requestRefund(deps, job, "PROCESSING_FAILED");
  return { kind: "failed", reason, orderId: order.id };
}

/** Runs the reservation step, waiting in place (briefly) while earlier tickets decide. */
async function reserveInTurn(
  deps: Deps,
  job: PurchasePayload,
  waitBudgetMs: number,
): Promise<Reservation | Exclude<PurchaseResult, { kind: "confirmed" | "failed" }>> {
  const started = Date.now();
  for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
    const reply = await reserveStock(deps.redis, job);
    switch (reply.kind) {
      case "reserved":
        return reply;
      case "decided":
        return { kind: "noop", why: "already decided" };
      case "noTicket":
        return { kind: "noop", why: "no such ticket" };
      case "rejected":
        return { kind: "rejected", reason: reply.reason };
      case "notYet":
        if (reply.why !== "WAIT") throw new NotYet(reply.why, 1000);
        if (Date.now() - started > waitBudgetMs) throw new NotYet("WAIT", 250);
        await sleep(pause);
    }
  }
}

/**
 * Writes the order (CONFIRMED, or FAILED with `failure`) with its ledger rows and its
 * ticket's outcome, all or nothing (in a group commit with the orders placed meanwhile).
 * The unique ticket id makes it idempotent: a second delivery finds the first one's order
 * and follows it, whatever it was.
 */
async function persistOrder(
  deps: Deps,
  job: PurchasePayload,
  r: Reservation,
  failure: "PAYMENT_DECLINED" | "PROCESSING_FAILED" | null,
): Promise<PlacedOrder> {
  const result = await deps.orders.place({
    id: newOrderId(),
    eventId: job.eventId,
    ticketId: job.ticketId,
    sku: job.sku,
    userId: r.userId,
    qty: r.qty,
    amountCents: failure ? 0 : r.priceCents * r.qty,
    status: failure ? "FAILED" : "CONFIRMED",
    reason: failure,
    epoch: r.epoch,
  });
  if (result.kind === "unknownEvent")
    throw new UnknownEvent(`event ${job.eventId} is unknown to this database`);
  if (result.kind === "stale") throw new StaleReservation();
  return result.order;
}

/** Copies a ticket's final outcome from Redis to its PostgreSQL row (idempotent), then tells. */
export async function recordRedisOutcome(deps: Deps, job: PurchasePayload): Promise<void> {
  const [status, reason, orderId] = await deps.redis.hmget(
    keys.ticket(job.eventId, job.ticketId),
    "status",
    "reason",
    "orderId",
  );
  if (!isFinalStatus(status)) return;
  await deps.tickets.recordOutcome({ ticketId: job.ticketId, status, reason, orderId });
  // Told again on a redelivery: each socket shows it once.
  await publishOutcomes(deps.redis, [outcomeOf({ ...job, status, reason, orderId })]);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
