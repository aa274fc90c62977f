// Archiving an ended sale: once nothing of it waits or is in flight and Redis agrees with
// PostgreSQL, PostgreSQL keeps it for good (Event.archivedAt) and its Redis state, queue
// included, is deleted. From then on PostgreSQL answers every read of it, no loop looks at
// it, and nothing rebuilds it. archivedAt is written first (with its products' stocks CLOSED):
// a crash half way through the deletion leaves an archived event whose keys the next pass deletes.
import type { Cluster, Redis } from "ioredis";
import type { Deps } from "../deps.js";
import { keys } from "../redis/keys.js";
import type { ReconcileReport } from "./reconcile.js";

/** How long an ended sale stays settled before it is archived (late sockets still read Redis). */
const SETTLED_FOR_MS = 3_000;

/**
 * Nothing waits, nothing is in flight, no job is left to run, every ticket is final in
 * PostgreSQL and the counters agree (`report`, a reconcile pass run just before).
 */
export async function isSettled(deps: Deps, eventId: string, skus: string[], report: ReconcileReport) {
  if (report.products.some((p) => p.drift !== 0 || p.repaired || p.totalSynced || p.cancelsApplied > 0))
    return false;
  const pipeline = deps.redis.pipeline();
  pipeline.llen(keys.prequeue(eventId));
  for (const sku of skus)
    pipeline.zcard(keys.waiting(eventId, sku)).hget(keys.stock(eventId, sku), "reserved");
  const counts = ((await pipeline.exec()) ?? []).map(([, v]) => Number(v));
  if (counts.some((n) => n > 0)) return false;
  const jobs = await deps.queues
    .get(eventId)
    .getJobCounts("active", "waiting", "delayed", "prioritized", "waiting-children");
  if (Object.values(jobs).some((n) => n > 0)) return false;
  const open = await deps.prisma.ticket.count({
    where: { eventId, status: { in: ["PREQUEUE", "QUEUED", "PROCESSING"] } },
  });
  return open === 0;
}

/**
 * Archives the event once it has been settled for a moment (the first settled pass notes
 * the time in its meta hash). True when it is archived now.
 */
export async function archiveIfSettled(deps: Deps, eventId: string, settled: boolean): Promise<boolean> {
  const meta = keys.meta(eventId);
  if (!settled) {
    await deps.redis.hdel(meta, "settledAt");
    return false;
  }
  const since = Number(await deps.redis.hget(meta, "settledAt"));
  if (!since) {
    await deps.redis.hset(meta, "settledAt", Date.now());
    return false;
  }
  if (Date.now() - since < SETTLED_FOR_MS) return false;
  // The event and its products' stocks (CLOSED: their figures final), in one statement.
  const archived = await deps.prisma.$queryRaw<{ id: string }[]>`
    WITH e AS (
      UPDATE "Event" SET "archivedAt" = now(), "updatedAt" = now()
      WHERE id = ${eventId} AND status = 'ENDED' AND "archivedAt" IS NULL
      RETURNING id, "archivedAt"
    ), closed AS (
      UPDATE "Stock" AS s SET status = 'CLOSED', "archivedAt" = e."archivedAt", "updatedAt" = now()
      FROM "Product" AS p, e
      WHERE p."eventId" = e.id AND s.id = p."stockId"
    )
    SELECT id FROM e`;
  if (archived.length === 0) return false;
  await forgetEvent(deps, eventId);
  deps.log.info({ eventId }, "archived the ended sale: PostgreSQL answers for it from now on");
  return true;
}

/** Deletes every Redis key of an archived event and its membership in the scanned sets. */
export async function forgetEvent(deps: Deps, eventId: string): Promise<number> {
  await deps.queues.forget(eventId);
  let deleted = 0;
  for (const node of masters(deps.redis)) {
    const stream = node.scanStream({ match: keys.everyKeyOf(eventId), count: 1000 });
    for await (const batch of stream as AsyncIterable<string[]>) {
      if (batch.length === 0) continue;
      // One key at a time on a Cluster node is not needed: they share the event's slot.
      deleted += await node.unlink(...batch);
    }
  }
  await deps.redis.srem(keys.activeEvents(), eventId);
  return deleted;
}

/** The nodes a SCAN must visit: the server itself, or every master of a Cluster. */
function masters(redis: Redis): Redis[] {
  const cluster = redis as unknown as Partial<Cluster>;
  return typeof cluster.nodes === "function" ? cluster.nodes("master") : [redis];
}
