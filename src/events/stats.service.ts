// Live stats of an event, counted in Redis by the Lua steps so they hold across any
// number of API and worker processes.
import type { Deps } from "../deps.js";
import { keys } from "../redis/keys.js";
import { readQueueState } from "../waiting-room/queue-state.js";
import { readStock } from "./event-state.js";

export interface Stats {
  joins: number;
  waiting: number;
  processing: number;
  confirmed: number;
  rejected: { SOLD_OUT: number; LIMIT_REACHED: number; SALE_ENDED: number };
  failed: { PAYMENT_DECLINED: number; PROCESSING_FAILED: number };
  cancelled: number;
  admittedPerSecond: number;
  products: { sku: string; total: number; remaining: number; reserved: number; sold: number }[];
}

export async function getStats(deps: Deps, eventId: string, skus?: string[]): Promise<Stats> {
  const productSkus = skus ?? (await deps.redis.hget(keys.meta(eventId), "skus"))?.split(",") ?? [];
  const [raw, stock, queue] = await Promise.all([
    deps.redis.hgetall(keys.stats(eventId)),
    readStock(deps.redis, eventId, productSkus),
    readQueueState(deps.redis, eventId),
  ]);
  const n = (field: string) => Number(raw[field] ?? 0);
  return {
    joins: n("joins"),
    waiting: n("waiting"),
    processing: n("processing"),
    confirmed: n("confirmed"),
    rejected: {
      SOLD_OUT: n("rejected:SOLD_OUT"),
      LIMIT_REACHED: n("rejected:LIMIT_REACHED"),
      SALE_ENDED: n("rejected:SALE_ENDED"),
    },
    failed: {
      PAYMENT_DECLINED: n("failed:PAYMENT_DECLINED"),
      PROCESSING_FAILED: n("failed:PROCESSING_FAILED"),
    },
    cancelled: n("cancelled"),
    admittedPerSecond: queue.measuredPerSecond,
    products: productSkus.map((sku, i) => ({
      sku,
      total: stock[i]?.total ?? 0,
      remaining: stock[i]?.remaining ?? 0,
      reserved: stock[i]?.reserved ?? 0,
      sold: stock[i]?.sold ?? 0,
    })),
  };
}
