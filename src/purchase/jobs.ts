// The job catalog: each queue's name, payload schema and BullMQ options, used both
// when adding a job and when processing it.
import { type JobsOptions, Queue, type QueueOptions } from "bullmq";
import type { Redis } from "ioredis";
import { z } from "zod";
import { GroupCommit } from "../db/group-commit.js";
import { queuePrefix } from "../redis/keys.js";

export const PURCHASE_QUEUE = "purchase";

export const purchasePayload = z.object({
  eventId: z.string().min(1),
  ticketId: z.string().min(1),
  sku: z.string().min(1),
});
export type PurchasePayload = z.infer<typeof purchasePayload>;

export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}

/** A ticket to queue: its payload, and its join sequence (its place in line). */
export type QueuedTicket = PurchasePayload & { seq: number };

/** BullMQ's lowest priority; tickets past it share it (and keep FIFO order among them). */
const MAX_PRIORITY = 2_097_152;

/**
 * A ticket's job: its id is the ticket id, so adding it twice adds it once. Its priority is
 * its join sequence, so a job that comes back (a retry after a transient fault, a turn not
 * yet come) is fetched again in line order, ahead of everyone who joined after it, rather
 * than from the back of the queue.
 */
export function purchaseJobOptions(ticketId: string, seq: number, retry: RetryPolicy): JobsOptions {
  return {
    jobId: ticketId,
    priority: Math.min(Math.max(1, seq), MAX_PRIORITY),
    attempts: retry.attempts,
    backoff: { type: "exponential", delay: retry.backoffMs, jitter: 0.5 },
    removeOnComplete: { age: 3600, count: 10_000 },
    // Failed jobs stay: they are the dead letters an admin inspects and retries.
    removeOnFail: false,
  };
}

export function purchaseQueueOptions(connection: Redis, eventId: string): QueueOptions {
  return { connection, prefix: queuePrefix(eventId) };
}

/**
 * One Queue object per event, shared by everything in a process that adds or manages jobs.
 * Single adds of an event go in group commits: under load, many jobs share one round trip.
 */
export class PurchaseQueues {
  readonly #queues = new Map<string, Queue>();
  readonly #adds = new Map<string, GroupCommit<QueuedTicket>>();

  constructor(
    private readonly connection: Redis,
    private readonly retry: RetryPolicy,
  ) {}

  get(eventId: string): Queue {
    let queue = this.#queues.get(eventId);
    if (!queue) {
      queue = new Queue(PURCHASE_QUEUE, purchaseQueueOptions(this.connection, eventId));
      this.#queues.set(eventId, queue);
    }
    return queue;
  }

  /** Resolves once the job is in Redis (adding a ticket's job again is harmless). */
  add(ticket: QueuedTicket): Promise<void> {
    let adds = this.#adds.get(ticket.eventId);
    if (!adds) {
      adds = new GroupCommit((tickets) => this.addBulk(tickets));
      this.#adds.set(ticket.eventId, adds);
    }
    return adds.add(ticket);
  }

  /** Adds the jobs in the order given (the order they will be admitted in). */
  async addBulk(tickets: QueuedTicket[]): Promise<void> {
    for (let i = 0; i < tickets.length; i += 1000) {
      const batch = tickets.slice(i, i + 1000);
      const eventId = batch[0]?.eventId;
      if (!eventId) return;
      await this.get(eventId).addBulk(
        batch.map(({ seq, ...data }) => ({
          name: PURCHASE_QUEUE,
          data: purchasePayload.parse(data),
          opts: purchaseJobOptions(data.ticketId, seq, this.retry),
        })),
      );
    }
  }

  /** Lets go of an archived event's queue object (its keys are deleted by the caller). */
  async forget(eventId: string): Promise<void> {
    const queue = this.#queues.get(eventId);
    this.#queues.delete(eventId);
    this.#adds.delete(eventId);
    await queue?.close();
  }

  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((q) => q.close()));
    this.#queues.clear();
    this.#adds.clear();
  }
}
