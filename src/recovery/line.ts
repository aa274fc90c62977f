// Every ticket waiting in line has a live purchase job. A ticket can lose its job (the API
// died between the join step and the job add, a start cut off half way, a Redis loss, a job
// failed for good); because the fair order makes every later ticket wait for it, one such
// ticket would hold the whole line. Only the head of each line needs looking at: tickets
// behind a healthy head are served in turn and reach the head themselves.
import type { Deps } from "../deps.js";
import { failPurchase } from "../purchase/processor.js";
import { keys } from "../redis/keys.js";

/** How many tickets at the head of each line are looked at per pass. */
const HEAD = 50;
/** A ticket younger than this may still be having its job added. */
const GRACE_MS = 5_000;

export interface LineRepair {
  requeued: number;
  settled: number;
}

export async function keepLinesMoving(deps: Deps, eventId: string, skus: string[]): Promise<LineRepair> {
  const repair: LineRepair = { requeued: 0, settled: 0 };
  const queue = deps.queues.get(eventId);
  for (const sku of skus) {
    const head = await deps.redis.zrange(keys.waiting(eventId, sku), "0", String(HEAD - 1), "WITHSCORES");
    if (head.length === 0) continue;
    const pipeline = deps.redis.pipeline();
    for (let i = 0; i < head.length; i += 2) {
      const ticketId = head[i] as string;
      pipeline.hmget(keys.ticket(eventId, ticketId), "status", "joinedAt");
      pipeline.exists(queue.toKey(ticketId));
      pipeline.zscore(queue.keys.failed as string, ticketId);
      pipeline.zscore(queue.keys.completed as string, ticketId);
    }
    const replies = ((await pipeline.exec()) ?? []).map(([, v]) => v);
    const requeue = [];
    for (let i = 0; i < head.length; i += 2) {
      const ticketId = head[i] as string;
      const seq = Number(head[i + 1]);
      const [ticket, exists, failed, completed] = replies.slice(i * 2, i * 2 + 4) as [
        (string | null)[],
        number,
        string | null,
        string | null,
      ];
      if (ticket[0] !== "QUEUED" || Date.now() - Number(ticket[1] ?? 0) < GRACE_MS) continue;
      if (failed !== null) {
        // Out of attempts without an outcome (the failure could not be recorded then).
        const result = await failPurchase(deps, { eventId, ticketId, sku });
        if (result.kind !== "noop") repair.settled++;
      } else if (completed !== null || exists === 0) {
        // Gone, or finished while the ticket was not in line (a Redis loss put it back).
        if (completed !== null) await queue.remove(ticketId);
        requeue.push({ eventId, ticketId, sku, seq });
      }
    }
    if (requeue.length > 0) {
      await deps.tickets.recordPlaces(requeue);
      await deps.queues.addBulk(requeue);
      repair.requeued += requeue.length;
    }
  }
  if (repair.requeued + repair.settled > 0) deps.log.warn({ eventId, ...repair }, "kept the line moving");
  return repair;
}
