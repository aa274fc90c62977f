// Live stats of an event, counted in Redis by the Lua steps so they hold across any
// number of API and worker processes.
import { z } from "zod";
import type { Deps } from "../deps.js";
import { keys } from "../redis/keys.js";
import { readQueueState } from "../waiting-room/queue-state.js";
import { SKU } from "./event.schemas.js";
import { readStock } from "./event-state.js";

const count = z.number().int();
export const statsView = z
  .object({
    joins: count,
    waiting: count,
    processing: count,
    confirmed: count,
    rejected: z.object({ SOLD_OUT: count, LIMIT_REACHED: count, SALE_ENDED: count }),
    failed: z.object({ PAYMENT_DECLINED: count, PROCESSING_FAILED: count }),
    cancelled: count,
    admittedPerSecond: z.number(),
    products: z.array(z.object({ sku: SKU, total: count, remaining: count, reserved: count, sold: count })),
  })
  .meta({ id: "Stats" });
export type Stats = z.infer<typeof statsView>;

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
