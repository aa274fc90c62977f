// The join's Lua step, called with its keys in the order its script's header lists them.
// Every other step has its typed module in steps/ (keys, arguments, named results).

import type { Redis } from "ioredis";
import { outflowSeconds } from "../waiting-room/queue-state.js";
import { eventPrefix, keys } from "./keys.js";
import type { LuaReply } from "./scripts.js";

export function joinQueue(
  redis: Redis,
  t: { eventId: string; ticketId: string; userId: string; sku: string; quantity: number },
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
    t.ticketId,
    t.userId,
    sku,
    t.quantity,
    Date.now(),
    eventPrefix(eventId),
    ...outflowSeconds(),
  );
}
