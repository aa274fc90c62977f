// Builds an event's Redis state from PostgreSQL: when it is created, and after Redis lost it
// (a flush, a failover to an empty replica, a restart without persistence). Only where none
// exists, never over a state that is there, and never for an archived event. Until it is
// written nothing of the event is admitted: every Lua step answers NO_EVENT without the
// event's meta hash, which is written in the same MULTI as everything else.
//
// From PostgreSQL: stock totals, sold units (confirmed orders), what each user holds,
// every ticket with its outcome (an order decides a ticket's outcome; tickets without
// one are back in line with their join sequence), and the stats derived from them.
// Reservations in flight were lost with Redis: their tickets queue again, and the order
// (unique per ticket) keeps a purchase that already committed from happening twice.
import type { Deps } from "../deps.js";
import { eventProduct, productStock } from "../events/event-products.js";
import { loadProductStock, markActive, metaFields } from "../events/event-state.js";
import { keys } from "../redis/keys.js";
import { isFinalStatus } from "../waiting-room/ticket.schemas.js";

export type RebuildResult = "rebuilt" | "present" | "busy" | "missing" | "archived";

export async function rebuildEventState(deps: Deps, eventId: string): Promise<RebuildResult> {
  const lock = keys.rebuildLock(eventId);
  const owner = `${process.pid}-${Date.now()}`;
  if ((await deps.redis.set(lock, owner, "PX", 60_000, "NX")) !== "OK") return "busy";
  try {
    if ((await deps.redis.exists(keys.meta(eventId))) === 1) return "present";
    // The fence (see src/purchase/order-store.ts), in one statement: FOR UPDATE waits for
    // the purchases committing under the lost state (their FOR KEY SHARE), and the new epoch
    // stops any later one from committing. An archived event keeps no Redis state.
    const [bumped] = await deps.prisma.$queryRaw<{ archived: boolean }[]>`
      WITH locked AS (SELECT id, "archivedAt" FROM "Event" WHERE id = ${eventId} FOR UPDATE)
      UPDATE "Event" AS e SET "stateEpoch" = e."stateEpoch" + CASE WHEN l."archivedAt" IS NULL THEN 1 ELSE 0 END
      FROM locked AS l WHERE e.id = l.id
      RETURNING l."archivedAt" IS NOT NULL AS archived`;
    if (!bumped) return "missing";
    if (bumped.archived) return "archived";
    const row = await deps.prisma.event.findUnique({
      where: { id: eventId },
      include: { products: { include: productStock } },
    });
    if (!row) return "missing";
    const event = { ...row, products: row.products.map(eventProduct) };
    const [tickets, orders] = await Promise.all([
      deps.prisma.ticket.findMany({ where: { eventId }, orderBy: [{ seq: "asc" }, { createdAt: "asc" }] }),
      deps.prisma.order.findMany({ where: { eventId } }),
    ]);
    const orderOf = new Map(orders.map((o) => [o.ticketId, o]));

    const tx = deps.redis.multi();
    const stats: Record<string, number> = {
      joins: tickets.length,
      waiting: 0,
      processing: 0,
      confirmed: 0,
      cancelled: 0,
    };
    const bump = (field: string) => {
      stats[field] = (stats[field] ?? 0) + 1;
    };
    for (const p of event.products) {
      for (const key of [keys.open, keys.waiting]) tx.del(key(eventId, p.sku));
    }
    tx.del(keys.prequeue(eventId), keys.stats(eventId), keys.admitted(eventId));

    let maxSeq = 0;
    const requeue: { eventId: string; ticketId: string; sku: string; seq: number }[] = [];
    for (const t of tickets) {
      const order = orderOf.get(t.id);
      let status: string = order ? order.status : t.status;
      const reason = order ? order.reason : t.reason;
      if (!isFinalStatus(status)) status = t.seq > 0 || event.status !== "SCHEDULED" ? "QUEUED" : "PREQUEUE";
      const seq = status === "QUEUED" && t.seq === 0 ? 0 : t.seq;
      maxSeq = Math.max(maxSeq, seq);

      const ticketKey = keys.ticket(eventId, t.id);
      tx.del(ticketKey);
      tx.hset(ticketKey, {
        id: t.id,
        user: t.userId,
        sku: t.sku,
        qty: t.quantity,
        status,
        seq,
        joinedAt: t.createdAt.getTime(),
        ...(reason ? { reason } : {}),
        ...(order ? { orderId: order.id } : {}),
      });
      if (status === "QUEUED" || status === "PREQUEUE") {
        tx.hset(keys.open(eventId, t.sku), t.userId, t.id);
        bump("waiting");
        if (status === "PREQUEUE") tx.rpush(keys.prequeue(eventId), t.id);
        else requeue.push({ eventId, ticketId: t.id, sku: t.sku, seq });
      } else {
        bump("served");
        if (status === "CONFIRMED" || status === "CANCELLED") bump("confirmed");
        if (status === "CANCELLED") bump("cancelled");
        if (status === "REJECTED") bump(`rejected:${reason}`);
        if (status === "FAILED") bump(`failed:${reason}`);
      }
    }
    // Tickets that were placed in Redis but whose place never reached PostgreSQL go last.
    for (const r of requeue) {
      if (r.seq === 0) r.seq = ++maxSeq;
      tx.hset(keys.ticket(eventId, r.ticketId), "seq", r.seq);
      tx.zadd(keys.waiting(eventId, r.sku), r.seq, r.ticketId);
    }
    stats.seq = maxSeq;

    // Each product's stock: the takes of its confirmed and cancelled orders (the load step
    // drops the users' tallies and takes of the lost state and counts them again from these).
    for (const p of event.products) {
      const takes = orders
        .filter((o) => o.sku === p.sku && (o.status === "CONFIRMED" || o.status === "CANCELLED"))
        .map((o) => ({
          reference: o.ticketId,
          status: o.status === "CONFIRMED" ? ("CONFIRMED" as const) : ("RELEASED" as const),
          quantity: o.quantity,
          userId: o.userId,
        }));
      loadProductStock(tx, event, p, takes);
    }
    tx.hset(keys.stats(eventId), stats);
    tx.hset(
      keys.meta(eventId),
      metaFields({
        ...event,
        waitingCapacity: event.waitingCapacity ?? deps.config.defaults.waitingCapacity,
      }),
    );
    await tx.exec();
    await markActive(deps.redis, eventId);

    // The queue lost its jobs too (same Redis): queue the waiting tickets again, in order.
    requeue.sort((a, b) => a.seq - b.seq);
    await deps.queues.addBulk(requeue);
    if (event.status === "PAUSED") await deps.queues.get(eventId).pause();
    deps.log.warn(
      { eventId, tickets: tickets.length, requeued: requeue.length, orders: orders.length },
      "rebuilt the event's Redis state from PostgreSQL",
    );
    return "rebuilt";
  } finally {
    if ((await deps.redis.get(lock)) === owner) await deps.redis.del(lock);
  }
}
