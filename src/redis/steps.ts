// The Lua steps of a sale, each called with its keys in the order its script's header
// lists them: the one place that knows those orders (services and tests call these).

import type { Redis } from "ioredis";
import { outflowSeconds } from "../waiting-room/queue-state.js";
import { eventPrefix, keys } from "./keys.js";
import type { LuaReply } from "./scripts.js";

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

export function reserveStock(
  redis: Redis,
  t: { eventId: string; sku: string; ticketId: string },
): Promise<LuaReply> {
  const { eventId, sku, ticketId } = t;
  return redis.reserveStock(
    keys.meta(eventId),
    keys.stock(eventId, sku),
    keys.held(eventId, sku),
    keys.waiting(eventId, sku),
    keys.open(eventId, sku),
    keys.stats(eventId),
    keys.admitted(eventId),
    keys.ticket(eventId, ticketId),
    keys.inflight(eventId, sku),
    ticketId,
    Date.now(),
    keys.outcomesChannel(),
    eventId,
  );
}

export function finishPurchase(
  redis: Redis,
  t: { eventId: string; sku: string; ticketId: string },
  outcome: "CONFIRMED" | "FAILED",
  reason = "",
  orderId = "",
): Promise<LuaReply> {
  const { eventId, sku, ticketId } = t;
  return redis.finishPurchase(
    keys.stock(eventId, sku),
    keys.held(eventId, sku),
    keys.open(eventId, sku),
    keys.stats(eventId),
    keys.ticket(eventId, ticketId),
    keys.waiting(eventId, sku),
    keys.inflight(eventId, sku),
    ticketId,
    outcome,
    reason,
    orderId,
    Date.now(),
    keys.outcomesChannel(),
    eventId,
  );
}

export function startSale(redis: Redis, eventId: string, randoms: number[]): Promise<LuaReply> {
  return redis.startSale(
    keys.meta(eventId),
    keys.stats(eventId),
    keys.prequeue(eventId),
    eventPrefix(eventId),
    ...randoms,
  );
}

export function endSale(redis: Redis, eventId: string, skus: string[]): Promise<LuaReply> {
  return redis.endSale(
    keys.meta(eventId),
    keys.stats(eventId),
    keys.prequeue(eventId),
    eventPrefix(eventId),
    Date.now(),
    keys.outcomesChannel(),
    eventId,
    ...skus,
  );
}
