// The one loop that keeps the promises: for every event not archived (ENDED ones included),
// drive Redis to what PostgreSQL holds, until it holds and nothing is in flight, then
// archive it. Each step is idempotent (level-triggered, not edge-triggered): an admin
// action, a join or a purchase may have applied a step already, and a step cut off by a
// crash is simply taken again on the next pass.
//  1. no Redis state: build it from PostgreSQL (rebuild.ts);
//  2. the status, and the queue's pause, projected from PostgreSQL (events/projection.ts);
//  3. the head of every line has a live job (line.ts);
//  4. reconcile: outcomes, totals, cancels, purchases stuck in flight, counters (reconcile.ts);
//  5. an ENDED sale that is settled is archived (archive.ts).
// After the events, each pass asks again the refunds whose job was lost (maintenance.ts →
// purchase/refunds.ts's reaskLostRefunds, keyed by the ticket id).
import type { Deps } from "../deps.js";
import type { EventStatus } from "../events/event.schemas.js";
import { projectStatus } from "../events/projection.js";
import { keys } from "../redis/keys.js";
import { archiveIfSettled, forgetEvent, isSettled } from "./archive.js";
import { keepLinesMoving } from "./line.js";
import { rebuildEventState } from "./rebuild.js";
import { reconcileEvent } from "./reconcile.js";

export interface ConvergeOptions {
  /** Run the reconcile step this pass (it is the costly one; ENDED events always run it). */
  reconcile: boolean;
}

export type ConvergeResult = "rebuilt" | "converging" | "archived" | "gone";

export async function convergeEvent(
  deps: Deps,
  event: { id: string; status: EventStatus; statusVersion: number; archivedAt: Date | null },
  opts: ConvergeOptions,
): Promise<ConvergeResult> {
  const eventId = event.id;
  if (event.archivedAt) {
    // Archived, with keys left behind by a crash during the deletion (or a stray write).
    await forgetEvent(deps, eventId);
    return "gone";
  }
  const skuList = await deps.redis.hget(keys.meta(eventId), "skus");
  if (skuList === null) {
    await rebuildEventState(deps, eventId);
    return "rebuilt";
  }
  const skus = skuList.split(",");
  await projectStatus(deps, eventId, event);
  if (event.status === "LIVE" || event.status === "PAUSED") await keepLinesMoving(deps, eventId, skus);
  if (!opts.reconcile && event.status !== "ENDED") return "converging";
  const report = await reconcileEvent(deps, eventId, { repair: true });
  const drifted = report.products.filter((p) => p.drift !== 0 || p.settled > 0 || p.cancelsApplied > 0);
  if (drifted.length > 0) deps.log.warn({ eventId, products: drifted }, "reconciled");
  if (event.status !== "ENDED") return "converging";
  const settled = await isSettled(deps, eventId, skus, report);
  return (await archiveIfSettled(deps, eventId, settled)) ? "archived" : "converging";
}

/**
 * The events the loop drives: every one PostgreSQL has not archived, and any the set of
 * events in Redis still names (an archive cut off half way).
 */
export async function eventsToConverge(deps: Deps) {
  const open = await deps.prisma.event.findMany({
    where: { archivedAt: null },
    select: { id: true, status: true, statusVersion: true, archivedAt: true },
    orderBy: { createdAt: "asc" },
  });
  const known = new Set(open.map((e) => e.id));
  const inRedis = (await deps.redis.smembers(keys.activeEvents())).filter((id) => !known.has(id));
  const strays =
    inRedis.length === 0
      ? []
      : await deps.prisma.event.findMany({
          where: { id: { in: inRedis } },
          select: { id: true, status: true, statusVersion: true, archivedAt: true },
        });
  return [...open, ...strays];
}
