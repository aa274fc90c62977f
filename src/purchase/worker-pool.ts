// Runs one BullMQ worker per event that has a sale, each rate-limited to the event's
// admission rate (BullMQ's limiter holds across all worker processes), and keeps the set
// in step with the events as they come, change rate and end.
import { DelayedError, type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Deps } from "../deps.js";
import { observePurchaseAttempt } from "../metrics.js";
import { createBullConnection } from "../redis/client.js";
import { keys } from "../redis/keys.js";
import { PURCHASE_QUEUE, purchasePayload, purchaseQueueOptions } from "./jobs.js";
import type { PaymentStep } from "./payment.js";
import { failPurchase, NotYet, type PurchaseResult, processPurchase, UnknownEvent } from "./processor.js";

/** An ended sale admits nobody: its jobs only settle what is left, as fast as they can. */
const ENDED_RATE = 10_000;

interface Running {
  worker: Worker;
  rate: number;
}

export interface WorkerPoolOptions {
  concurrency: number;
  /** How often the pool looks for new, changed or ended events. */
  syncEveryMs?: number;
}

export class PurchaseWorkerPool {
  readonly #running = new Map<string, Running>();
  readonly #connection: Redis;
  /** Subscribed to keys.eventsChanged(): a new event's worker starts at once. */
  readonly #subscriber: Redis;
  #timer: NodeJS.Timeout | undefined;
  #syncing: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(
    private readonly deps: Deps,
    private readonly payment: PaymentStep,
    private readonly opts: WorkerPoolOptions,
  ) {
    // BullMQ's workers need a connection that retries forever rather than failing commands.
    this.#connection = createBullConnection(deps.config);
    this.#subscriber = createBullConnection(deps.config);
  }

  async start(): Promise<void> {
    // Subscribed before the first look: an event written in between is seen by one or the other.
    this.#subscriber.on("message", () => this.#syncSoon());
    await this.#subscriber.subscribe(keys.eventsChanged());
    await this.sync();
    this.#timer = setInterval(() => this.#syncSoon(), this.opts.syncEveryMs ?? 1000);
  }

  /** A look at the events after the one under way (never two at once). */
  #syncSoon(): void {
    this.#syncing = this.#syncing
      .then(() => this.sync())
      .catch((err) => this.deps.log.error({ err }, "sync failed"));
  }

  /**
   * Starts workers for the events Redis holds, restarts those whose rate changed, and stops
   * those archived. An ENDED sale keeps its worker, without the admission limit, until it is
   * archived: the purchases it still has in flight finish or are settled through it.
   */
  async sync(): Promise<void> {
    if (this.#closed) return;
    const eventIds = await this.deps.redis.smembers(keys.activeEvents());
    const metas = await Promise.all(
      eventIds.map((id) => this.deps.redis.hmget(keys.meta(id), "status", "rate")),
    );
    const present = new Set(eventIds);
    for (const [eventId, running] of this.#running) {
      if (!present.has(eventId)) await this.#stop(eventId, running);
    }
    for (const [i, eventId] of eventIds.entries()) {
      const [status, rateText] = metas[i] ?? [];
      const running = this.#running.get(eventId);
      if (!status) continue; // being rebuilt: the worker it has keeps waiting for its jobs
      const rate = status === "ENDED" ? ENDED_RATE : Number(rateText);
      if (running && running.rate === rate) continue;
      if (running) await this.#stop(eventId, running);
      this.#running.set(eventId, { worker: this.#startWorker(eventId, rate), rate });
    }
  }

  #startWorker(eventId: string, rate: number): Worker {
    const worker = new Worker(PURCHASE_QUEUE, (job, token) => this.#process(job, token), {
      ...purchaseQueueOptions(this.#connection, eventId),
      concurrency: this.opts.concurrency,
      limiter: { max: rate, duration: 1000 },
      // A killed worker's jobs are stalled: another worker takes them over after this.
      lockDuration: this.deps.config.worker.lockMs,
      stalledInterval: this.deps.config.worker.lockMs,
    });
    worker.on("error", (err) => this.deps.log.error({ err, eventId }, "worker error"));
    worker.on("completed", (job, result: PurchaseResult) => observePurchaseAttempt(job, result.kind));
    worker.on("failed", (job, err) => {
      if (!job || err instanceof DelayedError) return;
      observePurchaseAttempt(job, "error");
      this.deps.log.warn(
        { eventId, ticketId: job.id, attempt: job.attemptsMade, err: err.message },
        "purchase attempt failed",
      );
    });
    this.deps.log.info({ eventId, rate, concurrency: this.opts.concurrency }, "purchase worker started");
    return worker;
  }

  async #process(job: Job, token: string | undefined): Promise<PurchaseResult> {
    const parsed = purchasePayload.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`bad purchase payload: ${parsed.error.message}`);
    const data = parsed.data;
    try {
      return await processPurchase(this.deps, this.payment, data);
    } catch (err) {
      if (err instanceof NotYet) {
        // Handed back without spending an attempt.
        await job.moveToDelayed(Date.now() + err.retryInMs, token);
        throw new DelayedError();
      }
      if (err instanceof UnknownEvent) throw new UnrecoverableError(err.message);
      const attempts = job.opts.attempts ?? 1;
      if (job.attemptsMade + 1 >= attempts) {
        this.deps.log.error(
          { eventId: data.eventId, ticketId: data.ticketId, err },
          "purchase out of attempts",
        );
        await failPurchase(this.deps, data).catch((failErr) =>
          this.deps.log.error(
            { eventId: data.eventId, ticketId: data.ticketId, err: failErr },
            "could not record the failure; the reconciler will settle it",
          ),
        );
      }
      throw err;
    }
  }

  async #stop(eventId: string, running: Running): Promise<void> {
    this.#running.delete(eventId);
    await running.worker.close();
    this.deps.log.info({ eventId }, "purchase worker stopped");
  }

  /** Finishes the jobs in hand, then stops (a drain). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#subscriber.disconnect();
    await this.#syncing;
    await Promise.all([...this.#running.entries()].map(([id, r]) => this.#stop(id, r)));
    this.#connection.disconnect();
  }
}
