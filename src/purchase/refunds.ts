// Refunds: money goes back whenever a charged purchase does not end CONFIRMED (it ended
// PROCESSING_FAILED after its charge) or its order is cancelled. The purchase core asks with
// one call, `requestRefund`, which records the intent in PostgreSQL (a Refund row per ticket,
// so asking twice is harmless) and queues a job (job id = ticket id). The RefundWorker (in the
// worker processes) settles it level-triggered: it reads what PostgreSQL holds now (a
// CONFIRMED order stands: NOT_NEEDED), asks the payment step's idempotent `refund`, and
// records REFUNDED / NOT_CHARGED with the provider's reference. Transient faults are retried
// by BullMQ with backoff; when the attempts are spent the row is FAILED and the job stays in
// the failed set: the refunds' dead letters, listed by GET /api/admin/refunds and retried by
// POST /api/admin/refunds/:ticketId/retry. A PENDING row whose job was lost (the process died
// between the row and the job) is asked again by the convergence loop (`reaskLostRefunds`).
import { type Job, Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Deps } from "../deps.js";
import { createBullConnection } from "../redis/client.js";
import type { PaymentStep } from "./payment.js";

export const REFUND_QUEUE = "refund";
/** One hash slot for the refunds queue (it spans events). */
export const REFUND_PREFIX = "dq:{refunds}";
export const REFUND_ATTEMPTS = 8;

export type RefundReason = "CANCELLED" | "PROCESSING_FAILED" | "STALE_RESERVATION";

/** The ticket's purchase is still being decided: the refund waits (BullMQ retries it). */
export class RefundNotYet extends Error {}

interface RefundJob {
  ticketId: string;
}

const queues = new WeakMap<object, Queue<RefundJob>>();
function refundQueue(deps: Pick<Deps, "redis">): Queue<RefundJob> {
  let queue = queues.get(deps.redis);
  if (!queue) {
    queue = new Queue<RefundJob>(REFUND_QUEUE, { connection: deps.redis, prefix: REFUND_PREFIX });
    queues.set(deps.redis, queue);
  }
  return queue;
}

/** Closes the refunds queue of a process's Redis connection (with its dependencies). */
export async function closeRefundQueue(deps: Pick<Deps, "redis">): Promise<void> {
  await queues.get(deps.redis)?.close();
  queues.delete(deps.redis);
}

/**
 * THE hook of the purchase core: this ticket's charge must be given back. Idempotent per
 * ticket. `delayMs` lets a decision still in flight settle first (the worker checks again).
 */
export async function requestRefund(
  deps: Deps,
  ticket: { ticketId: string; eventId: string },
  reason: RefundReason,
  opts: { delayMs?: number } = {},
): Promise<void> {
  const order = await deps.prisma.order.findUnique({ where: { ticketId: ticket.ticketId } });
  const row = order ?? (await deps.prisma.ticket.findUnique({ where: { id: ticket.ticketId } }));
  if (!row) return;
  // A FAILED order records no amount (nothing was sold): the charge was the product's price.
  const amountCents =
    order && order.status !== "FAILED"
      ? Number(order.amountCents)
      : await priceOf(deps, ticket.eventId, row.sku, row.quantity);
  // Once per ticket, also when many ask at once (INSERT … ON CONFLICT DO NOTHING).
  await deps.prisma.refund.createMany({
    data: [
      {
        ticketId: ticket.ticketId,
        eventId: ticket.eventId,
        orderId: order?.id ?? null,
        userId: row.userId,
        amountCents,
        reason,
      },
    ],
    skipDuplicates: true,
  });
  await enqueue(deps, ticket.ticketId, opts.delayMs ?? 0);
}

async function enqueue(deps: Deps, ticketId: string, delayMs: number): Promise<void> {
  await refundQueue(deps).add(
    "refund",
    { ticketId },
    {
      jobId: ticketId,
      delay: delayMs,
      attempts: REFUND_ATTEMPTS,
      backoff: { type: "exponential", delay: deps.config.worker.backoffMs, jitter: 0.5 },
      removeOnComplete: { age: 3600, count: 10_000 },
      // Failed jobs stay: they are the dead letters an admin inspects and retries.
      removeOnFail: false,
    },
  );
}

/** A PENDING refund this long untouched and without a job has lost its job. */
export const REFUND_GRACE_MS = 30_000;
const REASK_BATCH = 500;

/**
 * Asks again the PENDING refunds whose job is gone (what the loop runs each pass). The job id
 * is the ticket id, so asking one that another process is asking too adds one job. Returns
 * how many were asked again.
 */
export async function reaskLostRefunds(deps: Deps, opts: { graceMs?: number } = {}): Promise<number> {
  const pending = await deps.prisma.refund.findMany({
    where: { status: "PENDING", updatedAt: { lt: new Date(Date.now() - (opts.graceMs ?? REFUND_GRACE_MS)) } },
    select: { ticketId: true, eventId: true },
    orderBy: { updatedAt: "asc" },
    take: REASK_BATCH,
  });
  let asked = 0;
  for (const refund of pending) {
    // Waiting, delayed, active or failed: that job settles or records it. Gone: asked again.
    if (await refundQueue(deps).getJob(refund.ticketId)) continue;
    await enqueue(deps, refund.ticketId, 0);
    asked++;
    deps.log.warn(refund, "asked again a refund whose job was lost");
  }
  return asked;
}

async function priceOf(deps: Deps, eventId: string, sku: string, quantity: number): Promise<number> {
  const product = await deps.prisma.product.findUnique({ where: { eventId_sku: { eventId, sku } } });
  return (product?.priceCents ?? 0) * quantity;
}

/** Settles one refund (what the worker runs): safe to run any number of times. */
export async function settleRefund(deps: Deps, payment: PaymentStep, ticketId: string): Promise<string> {
  const refund = await deps.prisma.refund.findUnique({ where: { ticketId } });
  if (!refund) return "unknown";
  if (refund.status !== "PENDING" && refund.status !== "FAILED") return refund.status;
  const order = await deps.prisma.order.findUnique({ where: { ticketId } });
  if (order?.status === "CONFIRMED") {
    // The purchase stands after all (a later delivery confirmed it): nothing to give back.
    await deps.prisma.refund.update({ where: { ticketId }, data: { status: "NOT_NEEDED" } });
    return "NOT_NEEDED";
  }
  if (!order) {
    const ticket = await deps.prisma.ticket.findUnique({ where: { id: ticketId }, select: { status: true } });
    if (ticket?.status === "QUEUED" || ticket?.status === "PROCESSING")
      throw new RefundNotYet("the ticket's purchase is still being decided");
  }
  const event = await deps.prisma.event.findUnique({
    where: { id: refund.eventId },
    select: { paymentFailureRate: true },
  });
  await deps.prisma.refund.update({ where: { ticketId }, data: { attempts: { increment: 1 } } });
  const result = await payment.refund({
    idempotencyKey: ticketId,
    eventId: refund.eventId,
    userId: refund.userId,
    amountCents: Number(refund.amountCents),
    failureRate: event?.paymentFailureRate ?? 0,
  });
  const status = result.refunded ? "REFUNDED" : "NOT_CHARGED";
  await deps.prisma.refund.update({
    where: { ticketId },
    data: {
      status,
      reference: result.refunded ? result.reference : null,
      lastError: null,
      refundedAt: result.refunded ? new Date() : null,
    },
  });
  deps.log.info({ eventId: refund.eventId, ticketId, status }, "refund settled");
  return status;
}

/** The refunds' BullMQ worker (in worker processes, next to the purchase workers). */
export class RefundWorker {
  readonly #connection: Redis;
  #worker: Worker<RefundJob> | undefined;

  constructor(
    private readonly deps: Deps,
    private readonly payment: PaymentStep,
  ) {
    this.#connection = createBullConnection(deps.config);
  }

  async start(): Promise<void> {
    this.#worker = new Worker<RefundJob>(REFUND_QUEUE, (job) => this.#process(job), {
      connection: this.#connection,
      prefix: REFUND_PREFIX,
      concurrency: 8,
    });
    this.#worker.on("failed", (job, err) => {
      if (!job || job.attemptsMade < (job.opts.attempts ?? 1)) return;
      // The attempts are spent: a dead letter, visible to the admin.
      this.deps.prisma.refund
        .update({
          where: { ticketId: job.data.ticketId },
          data: { status: "FAILED", lastError: err.message.slice(0, 500) },
        })
        .catch((e: unknown) => this.deps.log.error({ err: e }, "could not record a failed refund"));
      this.deps.log.error({ ticketId: job.data.ticketId, err }, "refund failed: dead letter");
    });
    await this.#worker.waitUntilReady();
  }

  async #process(job: Job<RefundJob>): Promise<string> {
    try {
      return await settleRefund(this.deps, this.payment, job.data.ticketId);
    } catch (err) {
      await this.deps.prisma.refund
        .update({
          where: { ticketId: job.data.ticketId },
          data: { lastError: err instanceof Error ? err.message.slice(0, 500) : String(err) },
        })
        .catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.#worker?.close();
    await this.#connection.quit().catch(() => undefined);
  }
}

/** Refunds for the admin: by event and status (FAILED: the dead letters), newest first. */
export async function listRefunds(deps: Deps, filter: { eventId?: string; status?: string; limit: number }) {
  const rows = await deps.prisma.refund.findMany({
    where: {
      ...(filter.eventId ? { eventId: filter.eventId } : {}),
      ...(filter.status ? { status: filter.status as "FAILED" } : {}),
    },
    orderBy: { createdAt: "desc" },
    take: filter.limit,
  });
  return rows.map((r) => ({
    ticketId: r.ticketId,
    eventId: r.eventId,
    orderId: r.orderId,
    userId: r.userId,
    amountCents: Number(r.amountCents),
    reason: r.reason,
    status: r.status,
    reference: r.reference,
    attempts: r.attempts,
    lastError: r.lastError,
    createdAt: r.createdAt.toISOString(),
    refundedAt: r.refundedAt?.toISOString() ?? null,
  }));
}

/** The admin's safe retry of a dead letter: the row back to PENDING, the job run again. */
export async function retryRefund(deps: Deps, ticketId: string): Promise<boolean> {
  const updated = await deps.prisma.refund.updateMany({
    where: { ticketId, status: "FAILED" },
    data: { status: "PENDING" },
  });
  if (updated.count === 0) return false;
  const job = await refundQueue(deps).getJob(ticketId);
  if (job && (await job.isFailed())) await job.retry("failed");
  else await enqueue(deps, ticketId, 0);
  return true;
}
