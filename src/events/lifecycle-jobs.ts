// The job catalog of the lifecycle queue: one BullMQ queue (per database) whose delayed jobs
// start an event at its `startsAt` and end it at its `endsAt`, plus a periodic sweep. Used both
// when adding (createEvent) and when processing (scheduler.ts, in the worker processes).
import { createHash } from "node:crypto";
import { type JobsOptions, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { lifecycleQueuePrefix } from "../redis/keys.js";

export const LIFECYCLE_QUEUE = "lifecycle";

export const lifecyclePayload = z.object({ eventId: z.string().min(1) });
export type LifecyclePayload = z.infer<typeof lifecyclePayload>;

/**
 * start / end: the event's own times. soldOut: a second look, a grace period after an
 * event was first seen sold out. sweep: the periodic catch-up (see scheduler.ts).
 */
export type LifecycleJobName = "start" | "end" | "soldOut" | "sweep";

/** How often the sweep runs (one job per period across every worker process). */
export const SWEEP_EVERY_MS = 5_000;
export const SWEEP_SCHEDULER_ID = "sweep";

/**
 * One job per event and kind: the id is the dedupe key (BullMQ ignores an add whose id
 * exists), and a finished job is removed, so the same id may be scheduled again later.
 * Ids hold no ':' (BullMQ refuses them).
 */
export function lifecycleJobOptions(name: Exclude<LifecycleJobName, "sweep">, eventId: string, at: number) {
  return {
    jobId: `${name}-${eventId}`,
    delay: Math.max(0, at - Date.now()),
    // Transient faults (PostgreSQL or Redis away) are retried; business outcomes are not faults.
    attempts: 10,
    backoff: { type: "exponential", delay: 1000, jitter: 0.5 },
    removeOnComplete: true,
    removeOnFail: { age: 7 * 24 * 3600 },
  } satisfies JobsOptions;
}

/**
 * The queue's prefix names the database (without credentials): stacks that share one Redis
 * but not one PostgreSQL (a test run next to the demo) must not run each other's jobs, which
 * would find no such event and drop them.
 */
export function lifecycleQueueOptions(connection: Redis, databaseUrl: string) {
  const url = new URL(databaseUrl);
  const database = `${url.hostname}:${url.port}${url.pathname}`;
  const scope = createHash("sha256").update(database).digest("hex").slice(0, 12);
  return { connection, prefix: lifecycleQueuePrefix(scope) };
}

// One Queue per Redis client, so createEvent can schedule without a Deps field of its own.
// It shares the client's connection: nothing to close beyond the client itself.
const queues = new WeakMap<Redis, Queue>();

export function lifecycleQueue(deps: Pick<Deps, "redis" | "log" | "config">): Queue {
  let queue = queues.get(deps.redis);
  if (!queue) {
    queue = new Queue(LIFECYCLE_QUEUE, lifecycleQueueOptions(deps.redis, deps.config.databaseUrl));
    queue.on("error", (err) => deps.log.warn({ err: err.message }, "lifecycle queue error"));
    queues.set(deps.redis, queue);
  }
  return queue;
}

export async function addLifecycleJob(
  deps: Pick<Deps, "redis" | "log" | "config">,
  name: Exclude<LifecycleJobName, "sweep">,
  eventId: string,
  at: number,
): Promise<void> {
  const data = lifecyclePayload.parse({ eventId });
  await lifecycleQueue(deps).add(name, data, lifecycleJobOptions(name, eventId, at));
}

/**
 * Schedules an event's start (when it is SCHEDULED) and end (when it has `endsAt`).
 * A failure is logged, not thrown: the event exists by then, and the sweep starts or
 * ends it anyway within SWEEP_EVERY_MS of its time.
 */
export async function scheduleLifecycle(
  deps: Pick<Deps, "redis" | "log" | "config">,
  event: { id: string; status: string; startsAt: Date | null; endsAt: Date | null },
): Promise<void> {
  try {
    if (event.status === "SCHEDULED" && event.startsAt)
      await addLifecycleJob(deps, "start", event.id, event.startsAt.getTime());
    if (event.endsAt) await addLifecycleJob(deps, "end", event.id, event.endsAt.getTime());
  } catch (err) {
    deps.log.warn({ err, eventId: event.id }, "could not schedule the event's start or end; the sweep will");
  }
}
