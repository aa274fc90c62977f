// lua/finishPurchase-7.lua: ends a purchase in Redis the way PostgreSQL decided it, once.
import type { Redis } from "ioredis";
import { LUA_CODES } from "../../errors.js";
import { keys } from "../keys.js";

export interface Finish {
  outcome: "CONFIRMED" | "FAILED";
  reason?: string | null;
  orderId?: string | null;
  /** The status the outcome was decided from: a reservation, or a ticket still in line. */
  from: "PROCESSING" | "QUEUED";
}

export type FinishResult =
  | { kind: "finished" }
  /** The ticket is not in the status named (finished already, or moved on): nothing changed. */
  | { kind: "unchanged"; status: string }
  | { kind: "noTicket" };

export async function finishPurchase(
  redis: Redis,
  t: { eventId: string; sku: string; ticketId: string },
  f: Finish,
): Promise<FinishResult> {
  const { eventId, sku, ticketId } = t;
  const reply = await redis.finishPurchase(
    keys.stock(eventId, sku),
    keys.held(eventId, sku),
    keys.open(eventId, sku),
    keys.stats(eventId),
    keys.ticket(eventId, ticketId),
    keys.waiting(eventId, sku),
    keys.takes(eventId, sku),
    ticketId,
    f.outcome,
    f.reason ?? "",
    f.orderId ?? "",
    Date.now(),
    f.from,
  );
  if (reply === LUA_CODES.NO_TICKET) return { kind: "noTicket" };
  if (!Array.isArray(reply)) throw new Error(`finishPurchase answered ${reply}`);
  return Number(reply[0]) === 1 ? { kind: "finished" } : { kind: "unchanged", status: String(reply[1]) };
}
