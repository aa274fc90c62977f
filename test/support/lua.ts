// Short calls of the Lua steps (src/redis/steps/) and a Redis-only event, for tests that
// drive one script on its own against the real Redis.
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { writeNewEventState } from "../../src/events/event-state.js";
import { keys } from "../../src/redis/keys.js";
import { finishPurchase } from "../../src/redis/steps/finish-purchase.js";
import { type JoinQueueResult, joinQueue } from "../../src/redis/steps/join-queue.js";
import { reserveStock } from "../../src/redis/steps/reserve-stock.js";
import { endSale as endSaleStep } from "../../src/redis/steps/sale-status.js";

export const uniqueId = (prefix: string) => `${prefix}_${randomBytes(6).toString("base64url")}`;

export interface SeedProduct {
  sku: string;
  stock: number;
  perUserLimit?: number;
  priceCents?: number;
}

/** Writes an event's Redis state directly (no PostgreSQL): for script-level tests. */
export async function seedEvent(
  redis: Redis,
  opts: { status?: string; products: SeedProduct[]; perUserLimit?: number; capacity?: number; pfr?: number },
): Promise<string> {
  const id = uniqueId("ev");
  await writeNewEventState(redis, {
    id,
    status: opts.status ?? "LIVE",
    admissionRate: 1000,
    perUserLimit: opts.perUserLimit ?? 1,
    paymentFailureRate: opts.pfr ?? 0,
    waitingCapacity: opts.capacity ?? 100_000,
    stateEpoch: 0,
    products: opts.products.map((p) => ({
      sku: p.sku,
      total: p.stock,
      priceCents: p.priceCents ?? 1000,
      perUserLimit: p.perUserLimit ?? null,
    })),
  });
  // Script-level events have no rows in PostgreSQL: keep them away from the workers.
  await redis.srem(keys.activeEvents(), id);
  return id;
}

export function join(
  redis: Redis,
  eventId: string,
  userId: string,
  sku: string,
  qty = 1,
  ticketId = uniqueId("t"),
) {
  return joinQueue(redis, { eventId, ticketId, userId, sku, quantity: qty });
}

/** The ticket id of a join that created or handed back a ticket (fails the test otherwise). */
export function ticketIdOf(result: JoinQueueResult): string {
  if (result.kind !== "created" && result.kind !== "handedBack")
    throw new Error(`the join did not give a ticket: ${JSON.stringify(result)}`);
  return result.ticket.ticketId;
}

export function reserve(redis: Redis, eventId: string, sku: string, ticketId: string) {
  return reserveStock(redis, { eventId, sku, ticketId });
}

export function finish(
  redis: Redis,
  eventId: string,
  sku: string,
  ticketId: string,
  outcome: "CONFIRMED" | "FAILED",
  reason = "",
  orderId = "",
  from: "PROCESSING" | "QUEUED" = "PROCESSING",
) {
  return finishPurchase(redis, { eventId, sku, ticketId }, { outcome, reason, orderId, from });
}

export function endSale(redis: Redis, eventId: string, skus: string[]) {
  return endSaleStep(redis, eventId, skus);
}

export async function stock(redis: Redis, eventId: string, sku: string) {
  const s = await redis.hgetall(keys.stock(eventId, sku));
  return {
    total: Number(s.total),
    remaining: Number(s.remaining),
    reserved: Number(s.reserved),
    sold: Number(s.sold),
  };
}

export const ticketOf = (redis: Redis, eventId: string, ticketId: string) =>
  redis.hgetall(keys.ticket(eventId, ticketId));
