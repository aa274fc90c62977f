// lua/joinQueue-11.lua: the join's Lua step, called with its keys in the order its script's
// header lists them. Its reply is still the script's table (join.service.ts reads it); every
// other step's module names its results.
import type { Redis } from "ioredis";
import { eventPrefix, keys } from "../keys.js";
import type { LuaReply } from "../scripts.js";

export function joinQueue(
  redis: Redis,
  t: { eventId: string; ticketId: string; userId: string; sku: string; quantity: number },
  /** The per-client join limit: who asks, and how many joins a second they may (0: no limit). */
  limit: { client: string; perSecond: number } = { client: "", perSecond: 0 },
): Promise<LuaReply> {
  const { eventId, sku } = t;
  return redis.joinQueue(
    keys.meta(eventId),
    keys.stock(eventId, sku),
    keys.open(eventId, sku),
    keys.held(eventId, sku),
    keys.waiting(eventId, sku),
    keys.stats(eventId),
    keys.prequeue(eventId),
    keys.ticket(eventId, t.ticketId),
    keys.admitted(eventId),
    keys.clientJoins(eventId, limit.client),
    keys.admissionWindow(eventId),
    t.ticketId,
    t.userId,
    sku,
    t.quantity,
    Date.now(),
    eventPrefix(eventId),
    limit.perSecond,
    ...outflowSeconds(),
  );
}

/** How many whole seconds the outflow (tickets admitted per second) is measured over. */
export const OUTFLOW_WINDOW_SECONDS = 5;

/** The whole seconds (unix) the outflow is measured over: the last few, not the current one. */
export function outflowSeconds(nowMs = Date.now()): string[] {
  const nowSecond = Math.floor(nowMs / 1000);
  return Array.from({ length: OUTFLOW_WINDOW_SECONDS }, (_, i) => String(nowSecond - 1 - i));
}
