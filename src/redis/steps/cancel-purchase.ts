// lua/cancelPurchase-5.lua: gives a cancelled order's units back in Redis, once per ticket.
import type { Redis } from "ioredis";
import { LUA_CODES } from "../../errors.js";
import { keys } from "../keys.js";

export type CancelResult =
  | { kind: "cancelled"; qty: number }
  /** The ticket was not CONFIRMED in Redis (already cancelled, or repaired as such). */
  | { kind: "unchanged"; status: string }
  | { kind: "noTicket" };

export async function cancelPurchase(
  redis: Redis,
  t: { eventId: string; sku: string; ticketId: string },
): Promise<CancelResult> {
  const reply = await redis.cancelPurchase(
    keys.stock(t.eventId, t.sku),
    keys.held(t.eventId, t.sku),
    keys.stats(t.eventId),
    keys.ticket(t.eventId, t.ticketId),
    keys.takes(t.eventId, t.sku),
    Date.now(),
    t.ticketId,
  );
  if (reply === LUA_CODES.NO_TICKET) return { kind: "noTicket" };
  if (!Array.isArray(reply)) throw new Error(`cancelPurchase answered ${reply}`);
  return Number(reply[0]) === 1
    ? { kind: "cancelled", qty: Number(reply[1]) }
    : { kind: "unchanged", status: String(reply[1]) };
}
