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
  // No Redis state (an archived sale, or one being rebuilt): PostgreSQL's figures.
  if (Object.keys(raw).length === 0 && stock.every((s) => s === null))
    return durableStats(deps, eventId, productSkus);
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

/** The same figures from the tickets and orders in PostgreSQL (nothing waits or is in flight). */
async function durableStats(deps: Deps, eventId: string, skus: string[]): Promise<Stats> {
  const [tickets, products, sold] = await Promise.all([
    deps.prisma.ticket.groupBy({ by: ["status", "reason"], where: { eventId }, _count: { _all: true } }),
    deps.prisma.product.findMany({
      where: { eventId },
      select: { sku: true, stock: { select: { total: true } } },
    }),
    deps.prisma.order.groupBy({
      by: ["sku"],
      where: { eventId, status: "CONFIRMED" },
      _sum: { quantity: true },
    }),
  ]);
  const count = (status: string, reason?: string) =>
    tickets
      .filter((t) => t.status === status && (reason === undefined || t.reason === reason))
      .reduce((sum, t) => sum + t._count._all, 0);
  const soldOf = new Map(sold.map((r) => [r.sku, r._sum.quantity ?? 0]));
  const totalOf = new Map(products.map((p) => [p.sku, p.stock.total ?? 0]));
  return {
    joins: tickets.reduce((sum, t) => sum + t._count._all, 0),
    waiting: count("PREQUEUE") + count("QUEUED"),
    processing: count("PROCESSING"),
    confirmed: count("CONFIRMED") + count("CANCELLED"),
    rejected: {
      SOLD_OUT: count("REJECTED", "SOLD_OUT"),
      LIMIT_REACHED: count("REJECTED", "LIMIT_REACHED"),
      SALE_ENDED: count("REJECTED", "SALE_ENDED"),
    },
    failed: {
      PAYMENT_DECLINED: count("FAILED", "PAYMENT_DECLINED"),
      PROCESSING_FAILED: count("FAILED", "PROCESSING_FAILED"),
    },
    cancelled: count("CANCELLED"),
    admittedPerSecond: 0,
    products: skus.map((sku) => {
      const total = totalOf.get(sku) ?? 0;
      const s = soldOf.get(sku) ?? 0;
      return { sku, total, remaining: Math.max(0, total - s), reserved: 0, sold: s };
    }),
  };
}
