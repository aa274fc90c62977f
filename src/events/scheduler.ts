// The scheduled lifecycle of events, run by the worker processes: an event goes LIVE by
// itself at its `startsAt` (the start shuffles its pre-queue) and ENDS at its `endsAt`;
// a live event with every product sold out and nobody waiting ends after a grace period.
//
// Delayed jobs of the lifecycle queue (lifecycle-jobs.ts) give the precision; a sweep
// every few seconds catches up whatever a job missed (a lost Redis, an event scheduled
// before a restart, a time that was moved). Delivery is at least once and several
// processes may race for the same event: a transition is one conditional UPDATE in
// PostgreSQL, so one run wins and the others find INVALID_STATE, which is not an error.
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import { createBullConnection } from "../redis/client.js";
import { keys } from "../redis/keys.js";
import { readStock } from "./event-state.js";
import { applyTransition, type LifecycleAction } from "./events.service.js";
import {
  addLifecycleJob,
  LIFECYCLE_QUEUE,
  lifecyclePayload,
  lifecycleQueue,
  lifecycleQueueOptions,
  SWEEP_EVERY_MS,
  SWEEP_SCHEDULER_ID,
} from "./lifecycle-jobs.js";

/** A job may fire a little before its time when clocks of processes differ. */
const EARLY_TOLERANCE_MS = 1_000;
/** Catch-up work per sweep; the rest waits for the next one. */
const SWEEP_BATCH = 100;

export interface LifecycleWorkerOptions {
  concurrency?: number;
}

/** Processes the lifecycle queue in a worker process (or a test stack). */
export class LifecycleWorker {
  readonly #connection: Redis;
  #worker: Worker | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: Deps,
    private readonly opts: LifecycleWorkerOptions = {},
  ) {
    // BullMQ's workers need a connection that retries forever rather than failing commands.
    this.#connection = createBullConnection(deps.config);
  }

  async start(): Promise<void> {
    // Every worker process upserts the same scheduler: one sweep per period in all. Again
    // every few periods, since the scheduler lives in Redis and a Redis loss takes it along.
    const schedule = () =>
      lifecycleQueue(this.deps).upsertJobScheduler(
        SWEEP_SCHEDULER_ID,
        { every: SWEEP_EVERY_MS },
        { name: "sweep", data: {}, opts: { removeOnComplete: true, removeOnFail: { count: 100 } } },
      );
    await schedule();
    this.#timer = setInterval(() => {
      schedule().catch((err) => this.deps.log.warn({ err }, "could not schedule the lifecycle sweep"));
    }, SWEEP_EVERY_MS * 2);
    this.#timer.unref();
    const worker = new Worker(LIFECYCLE_QUEUE, (job) => runLifecycleJob(this.deps, job), {
      ...lifecycleQueueOptions(this.#connection, this.deps.config.databaseUrl),
      concurrency: this.opts.concurrency ?? 4,
    });
    worker.on("error", (err) => this.deps.log.error({ err }, "lifecycle worker error"));
    worker.on("failed", (job, err) =>
      this.deps.log.warn(
        { job: job?.name, eventId: job?.data?.eventId, attempt: job?.attemptsMade, err: err.message },
        "lifecycle job failed",
      ),
    );
    this.#worker = worker;
  }

  /** Finishes the jobs in hand, then stops. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#worker?.close();
    this.#connection.disconnect();
  }
}

/** What one lifecycle job did, in words (kept as the job's return value). */
export async function runLifecycleJob(deps: Deps, job: Pick<Job, "name" | "data">): Promise<string> {
  if (job.name === "sweep") return sweep(deps);
  const parsed = lifecyclePayload.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`bad lifecycle payload: ${parsed.error.message}`);
  const { eventId } = parsed.data;
  switch (job.name) {
    case "start":
      return startIfDue(deps, eventId);
    case "end":
      return endIfDue(deps, eventId);
    case "soldOut":
      return endIfSoldOut(deps, eventId);
    default:
      throw new UnrecoverableError(`unknown lifecycle job ${job.name}`);
  }
}

export async function startIfDue(deps: Deps, eventId: string, now = Date.now()): Promise<string> {
  const row = await deps.prisma.event.findUnique({
    where: { id: eventId },
    select: { status: true, startsAt: true },
  });
  if (!row) return "no such event";
  if (row.status !== "SCHEDULED") return `already ${row.status}`;
  // Moved later since this job was added: the sweep starts it at its new time.
  if (!row.startsAt || row.startsAt.getTime() > now + EARLY_TOLERANCE_MS) return "not due";
  return apply(deps, eventId, "start", "startsAt reached");
}

export async function endIfDue(deps: Deps, eventId: string, now = Date.now()): Promise<string> {
  const row = await deps.prisma.event.findUnique({
    where: { id: eventId },
    select: { status: true, endsAt: true },
  });
  if (!row) return "no such event";
  if (row.status === "ENDED") return "already ENDED";
  if (!row.endsAt || row.endsAt.getTime() > now + EARLY_TOLERANCE_MS) return "not due";
  return apply(deps, eventId, "stop", "endsAt reached");
}

/** The second look after the grace period: still sold out and idle, so it ends. */
export async function endIfSoldOut(deps: Deps, eventId: string): Promise<string> {
  if (deps.config.lifecycle.soldOutEndAfterSeconds === 0) return "off";
  if (!(await isSoldOutAndIdle(deps, eventId))) return "not sold out (any more)";
  return apply(deps, eventId, "stop", "sold out");
}

/**
 * LIVE in Redis, at least one product, and for every product nothing remaining or
 * reserved, with no ticket waiting or being processed: nothing more can happen but a
 * cancellation (which puts units back and so makes this false again).
 */
export async function isSoldOutAndIdle(deps: Deps, eventId: string): Promise<boolean> {
  const [status, skuList] = await deps.redis.hmget(keys.meta(eventId), "status", "skus");
  if (status !== "LIVE" || !skuList) return false;
  const [waiting, processing] = await deps.redis.hmget(keys.stats(eventId), "waiting", "processing");
  if (Number(waiting ?? 0) > 0 || Number(processing ?? 0) > 0) return false;
  const stock = await readStock(deps.redis, eventId, skuList.split(","));
  return stock.length > 0 && stock.every((s) => s !== null && s.remaining + s.reserved === 0);
}

/**
 * The catch-up: events whose time came without their job (PostgreSQL is the truth of
 * times and states), and live events that look sold out, which get a second look after
 * the grace period (a `soldOut` job, added once per event).
 */
export async function sweep(deps: Deps, now = new Date()): Promise<string> {
  const due = await deps.prisma.event.findMany({
    where: {
      OR: [
        { status: "SCHEDULED", startsAt: { lte: now } },
        { status: { not: "ENDED" }, endsAt: { lte: now } },
      ],
    },
    select: { id: true, endsAt: true },
    orderBy: { createdAt: "asc" },
    take: SWEEP_BATCH,
  });
  let caughtUp = 0;
  for (const row of due) {
    // Both times past: it ends (its pre-queue ends SALE_ENDED) without a moment LIVE.
    const ending = row.endsAt !== null && row.endsAt <= now;
    try {
      await apply(deps, row.id, ending ? "stop" : "start", ending ? "endsAt passed" : "startsAt passed");
      caughtUp++;
    } catch (err) {
      deps.log.error({ err, eventId: row.id }, "lifecycle catch-up failed; next sweep tries again");
    }
  }

  let soldOut = 0;
  const graceSeconds = deps.config.lifecycle.soldOutEndAfterSeconds;
  if (graceSeconds > 0) {
    const eventIds = await deps.redis.smembers(keys.activeEvents());
    // One read per event, not one pipeline: events live in different Redis Cluster slots.
    const statuses = await Promise.all(eventIds.map((id) => deps.redis.hget(keys.meta(id), "status")));
    const liveInRedis = eventIds.filter((_, i) => statuses[i] === "LIVE");
    // Only this database's events (a Redis may be shared), and only those it holds LIVE.
    const live = await deps.prisma.event.findMany({
      where: { id: { in: liveInRedis }, status: "LIVE" },
      select: { id: true },
    });
    for (const { id } of live) {
      if (!(await isSoldOutAndIdle(deps, id))) continue;
      await addLifecycleJob(deps, "soldOut", id, Date.now() + graceSeconds * 1000);
      soldOut++;
    }
  }
  return `caught up ${caughtUp} of ${due.length}; ${soldOut} sold out`;
}

/** Runs a transition for the schedule; one that is no longer allowed is an answer, not a fault. */
async function apply(deps: Deps, eventId: string, action: LifecycleAction, why: string): Promise<string> {
  try {
    const { event, changed } = await applyTransition(deps, eventId, action);
    if (!changed) return `already ${event.status}`;
  } catch (err) {
    if (err instanceof AppError && (err.code === "INVALID_STATE" || err.code === "NOT_FOUND")) {
      deps.log.info({ eventId, action, why, skipped: err.message }, "scheduled transition not needed");
      return `skipped: ${err.message}`;
    }
    throw err;
  }
  deps.log.info({ eventId, action, why }, "scheduled transition");
  return `${action}: ${why}`;
}
