// The Redis side of an event: writes what the Lua steps read (meta + per-product stock)
// from PostgreSQL's rows, and reads the live counters back.
import type { ChainableCommander, Redis } from "ioredis";
import { eventStock, keys } from "../redis/keys.js";
import { loadStockCall, type TakeEntry } from "../redis/steps/stock-state.js";

export interface EventStateInput {
  id: string;
  status: string;
  admissionRate: number;
  perUserLimit: number;
  paymentFailureRate: number;
  waitingCapacity: number;
  stateEpoch: number;
  /** Event.statusVersion: raised by every transition, so a stale projection cannot undo one. */
  statusVersion?: number;
  products: { sku: string; priceCents: number; total: number; perUserLimit: number | null }[];
}

export interface StockCounters {
  total: number;
  remaining: number;
  reserved: number;
  sold: number;
}

/** Writes a brand-new event's state: every product's whole stock remaining. */
export async function writeNewEventState(redis: Redis, event: EventStateInput): Promise<void> {
  const tx = redis.multi();
  tx.hset(keys.meta(event.id), metaFields(event));
  for (const p of event.products) loadProductStock(tx, event, p, []);
  await tx.exec();
  await markActive(redis, event.id);
}

/**
 * Adds the event to the set of events with a state (outside the event's MULTI: the set is not
 * in its hash slot, Redis Cluster) and tells the worker processes, so its first shoppers do not
 * wait for their next look at the set.
 */
export async function markActive(redis: Redis, eventId: string): Promise<void> {
  await redis.sadd(keys.activeEvents(), eventId);
  await redis.publish(keys.eventsChanged(), eventId);
}

/**
 * Queues the build of a product's stock: the core's load step (lua/loadStock-3.lua) from the
 * takes PostgreSQL knows (a confirmed order's, a cancelled one's), whatever state was there
 * dropped first, then the sale's own field, the price.
 */
export function loadProductStock(
  tx: ChainableCommander,
  event: { id: string; perUserLimit: number; stateEpoch: number },
  p: { sku: string; total: number; perUserLimit: number | null; priceCents: number },
  takes: TakeEntry[],
): void {
  const stock = eventStock(event.id, p.sku);
  tx.del(keys.stockCounters(stock));
  const settings = {
    epoch: event.stateEpoch,
    status: "SALE",
    total: p.total,
    perUserLimit: p.perUserLimit ?? event.perUserLimit,
    startsAt: null,
    endsAt: null,
  } as const;
  tx.loadStock(...loadStockCall(stock, settings, takes));
  tx.hset(keys.stockCounters(stock), "price", p.priceCents);
}

export function metaFields(event: EventStateInput): Record<string, string | number> {
  return {
    status: event.status,
    rate: event.admissionRate,
    limit: event.perUserLimit,
    pfr: event.paymentFailureRate,
    capacity: event.waitingCapacity,
    skus: event.products.map((p) => p.sku).join(","),
    // Event.stateEpoch: changes when the state is rebuilt. API processes then re-read their
    // waiting shoppers' tickets; purchases reserved under an older epoch may not commit.
    epoch: event.stateEpoch,
    statusVersion: event.statusVersion ?? 0,
  };
}

/** Live counters of each product, in the order asked; null where Redis has none. */
export async function readStock(
  redis: Redis,
  eventId: string,
  skus: string[],
): Promise<(StockCounters | null)[]> {
  const pipeline = redis.pipeline();
  for (const sku of skus) pipeline.hmget(keys.stock(eventId, sku), "total", "remaining", "reserved", "sold");
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([err, values]) => {
    const v = values as (string | null)[] | null;
    if (err || !v || v[0] === null) return null;
    return { total: Number(v[0]), remaining: Number(v[1]), reserved: Number(v[2]), sold: Number(v[3]) };
  });
}
