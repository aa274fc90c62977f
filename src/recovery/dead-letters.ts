// The purchases' dead letters: jobs of an event's purchase queue that failed for good (out of
// attempts, or unrecoverable). Most have settled their ticket on the way out (the last
// attempt ends it FAILED / PROCESSING_FAILED); one whose failure could not be recorded leaves
// its ticket QUEUED or PROCESSING, and the convergence loop would settle it as failed. The
// admin may instead give it another run: the dead job is removed and the ticket queued again
// the way line.ts requeues a ticket whose job is gone (keyed by the ticket id, at its place in
// line). Every step of a purchase is keyed by the ticket (the reservation by its status, the
// charge and the order by its id), so a retry, twice or next to the loop, ends with one outcome.
import { z } from "zod";
import type { Deps } from "../deps.js";
import { AppError, notFound } from "../errors.js";
import { SKU, TIME } from "../events/event.schemas.js";
import { purchasePayload } from "../purchase/jobs.js";
import { keys } from "../redis/keys.js";
import { isFinalStatus, TICKET_STATUSES } from "../waiting-room/ticket.schemas.js";

export const deadLetterView = z
  .object({
    ticketId: z.string(),
    sku: SKU,
    ticketStatus: z.enum(TICKET_STATUSES).nullable().describe("The ticket in Redis now (null: gone)"),
    attemptsMade: z.number().int(),
    failedReason: z.string().nullable(),
    failedAt: TIME.nullable(),
    retryable: z.boolean().describe("The ticket has no outcome yet: a retry runs its purchase again"),
  })
  .meta({ id: "DeadLetter" });
export type DeadLetterView = z.infer<typeof deadLetterView>;

/** The failed jobs of an event's purchase queue, most recently failed first. */
export async function listDeadLetters(deps: Deps, eventId: string, limit: number): Promise<DeadLetterView[]> {
  const jobs = await deps.queues.get(eventId).getFailed(0, limit - 1);
  const views: DeadLetterView[] = [];
  for (const job of jobs) {
    const data = purchasePayload.safeParse(job.data);
    if (!job.id || !data.success) continue;
    const status = await ticketStatus(deps, eventId, job.id);
    views.push({
      ticketId: job.id,
      sku: data.data.sku,
      ticketStatus: status,
      attemptsMade: job.attemptsMade,
      failedReason: job.failedReason ? job.failedReason.slice(0, 500) : null,
      failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
      retryable: status === "QUEUED" || status === "PROCESSING",
    });
  }
  return views;
}

export type DeadLetterRetry = { kind: "requeued"; ticketId: string };

/**
 * Runs a dead letter's purchase again: only while its ticket has no outcome. The dead job is
 * removed and the ticket queued again at its place (a job id is its ticket id, so a retry that
 * races another one, or the loop's requeue, adds one job).
 */
export async function retryDeadLetter(
  deps: Deps,
  eventId: string,
  ticketId: string,
): Promise<DeadLetterRetry> {
  const queue = deps.queues.get(eventId);
  const job = await queue.getJob(ticketId);
  const data = purchasePayload.safeParse(job?.data);
  if (!job || !data.success || data.data.eventId !== eventId || !(await job.isFailed()))
    throw notFound("dead letter", { eventId, ticketId });
  const [status, seq] = await deps.redis.hmget(keys.ticket(eventId, ticketId), "status", "seq");
  if (status !== "QUEUED" && status !== "PROCESSING") {
    throw new AppError({
      code: "INVALID_STATE",
      message: isFinalStatus(status)
        ? `The ticket already ended ${status}: nothing to retry`
        : "The ticket is not in the event's Redis state",
      details: { ticketId, ticketStatus: status },
    });
  }
  // Removal fails only if the job is no longer failed and taken by a worker: it is live again.
  await job.remove().catch(() => undefined);
  await deps.queues.addBulk([{ ...data.data, seq: Number(seq ?? 0) }]);
  deps.log.warn({ eventId, ticketId, ticketStatus: status }, "dead letter retried by the admin");
  return { kind: "requeued", ticketId };
}

async function ticketStatus(deps: Deps, eventId: string, ticketId: string) {
  const status = await deps.redis.hget(keys.ticket(eventId, ticketId), "status");
  return (TICKET_STATUSES as readonly string[]).includes(status ?? "")
    ? (status as (typeof TICKET_STATUSES)[number])
    : null;
}
