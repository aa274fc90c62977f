// The lifecycle of an event in Redis, projected from PostgreSQL. PostgreSQL holds the
// status an admin (or the schedule) chose; these steps bring Redis and the event's queue to
// it. Each is idempotent and compare-and-set, so the admin action that recorded the status
// may apply it at once, and the background loop (src/recovery/converge.ts) applies it again
// until it holds — whichever comes first, late, or twice, changes nothing more.
import { randomInt } from "node:crypto";
import type { Deps } from "../deps.js";
import { outcomeOf, publishOutcomes } from "../realtime/outcomes.js";
import { keys } from "../redis/keys.js";
import { endSale, setStatus, startSale } from "../redis/steps/sale-status.js";
import type { EventStatus } from "./event.schemas.js";

export type Projection = "inStep" | "applied" | "noState";

/**
 * Brings the event's Redis status (and its queue's pause) to `status`, PostgreSQL's, whose
 * version (Event.statusVersion) keeps a stale read from undoing a newer transition.
 */
export async function projectStatus(
  deps: Deps,
  eventId: string,
  intent: { status: EventStatus; statusVersion: number },
): Promise<Projection> {
  const { status } = intent;
  const seen = await deps.redis.hget(keys.meta(eventId), "status");
  if (seen === null) return "noState"; // a rebuild writes PostgreSQL's status
  let applied = seen !== status;
  if (applied) {
    if (status === "ENDED") {
      await closeSale(deps, eventId);
    } else {
      // No transition leads back to DRAFT or SCHEDULED: a sale PostgreSQL holds LIVE or
      // PAUSED has left them for good, so opening it is never stale.
      if ((status === "LIVE" || status === "PAUSED") && (seen === "DRAFT" || seen === "SCHEDULED"))
        await openSale(deps, eventId);
      applied = (await setStatus(deps.redis, eventId, status, intent.statusVersion)) === "set";
    }
  }
  // Paused queues hold their jobs; any other status needs them running (an ended sale's
  // purchases still in flight finish or are settled through them). Decided by the status
  // Redis holds now, which no stale read can have moved back.
  const queue = deps.queues.get(eventId);
  const now = await deps.redis.hget(keys.meta(eventId), "status");
  if (now === "PAUSED") {
    if (!(await queue.isPaused())) await queue.pause();
  } else if (now !== null && (await queue.isPaused())) {
    await queue.resume();
  }
  return applied ? "applied" : "inStep";
}

/**
 * LIVE in Redis, with the pre-queue shuffled into place, their places recorded and their
 * tickets queued in that order. A start cut off half way leaves tickets QUEUED without a
 * job: the loop gives the head of every line its job (src/recovery/line.ts).
 */
async function openSale(deps: Deps, eventId: string): Promise<void> {
  for (;;) {
    const waiting = await deps.redis.llen(keys.prequeue(eventId));
    // 48-bit integers from the OS's CSPRNG; a few spare for tickets joining meanwhile.
    const randoms = Array.from({ length: waiting + 64 }, () => randomInt(0, 2 ** 48 - 1));
    const started = await startSale(deps.redis, eventId, randoms);
    if (started.kind === "needMoreRandoms") continue;
    if (started.kind !== "started") return;
    await deps.tickets.recordPlaces(started.placed);
    await deps.queues.addBulk(started.placed);
    return;
  }
}

/** ENDED in Redis; whoever still waits is rejected SALE_ENDED, recorded, then told. */
async function closeSale(deps: Deps, eventId: string): Promise<void> {
  const skus = (await deps.redis.hget(keys.meta(eventId), "skus"))?.split(",") ?? [];
  const ended = await endSale(deps.redis, eventId, skus);
  if (ended.kind !== "ended") return;
  await deps.tickets.recordSaleEnded(ended.rejected);
  await publishOutcomes(
    deps.redis,
    ended.rejected.map((t) =>
      outcomeOf({ eventId, ticketId: t.id, status: "REJECTED", reason: "SALE_ENDED" }),
    ),
  );
  deps.log.info({ eventId, ended: ended.rejected.length }, "sale ended");
}
