// lua/reserveStock-9.lua: the one atomic admission step of a purchase. Builds its keys and
// arguments and names each answer; callers never read the reply by position.
import type { Redis } from "ioredis";
import { LUA_CODES, luaCodeName } from "../../errors.js";
import { keys } from "../keys.js";

export interface Reservation {
  qty: number;
  userId: string;
  sku: string;
  priceCents: number;
  paymentFailureRate: number;
  /** Event.stateEpoch of the Redis state the reservation was made in. */
  epoch: number;
}

export type ReserveResult =
  /** Reserved now, or already by an earlier delivery of the same job (carry on). */
  | ({ kind: "reserved" } & Reservation)
  /** The ticket already has its final outcome. */
  | { kind: "decided" }
  /** Final, and recorded on the ticket in Redis by the step. */
  | { kind: "rejected"; reason: "SOLD_OUT" | "LIMIT_REACHED" | "SALE_ENDED" }
  /** Not now: an earlier ticket decides first, the sale is paused, or its state is missing. */
  | { kind: "notYet"; why: "WAIT" | "PAUSED" | "NO_EVENT" }
  | { kind: "noTicket" };

export async function reserveStock(
  redis: Redis,
  t: { eventId: string; sku: string; ticketId: string },
): Promise<ReserveResult> {
  const { eventId, sku, ticketId } = t;
  const reply = await redis.reserveStock(
    keys.meta(eventId),
    keys.stock(eventId, sku),
    keys.held(eventId, sku),
    keys.waiting(eventId, sku),
    keys.open(eventId, sku),
    keys.stats(eventId),
    keys.admitted(eventId),
    keys.ticket(eventId, ticketId),
    keys.takes(eventId, sku),
    ticketId,
    Date.now(),
  );
  if (Array.isArray(reply)) {
    const [code, qty, userId, replySku, price, pfr, epoch] = reply;
    if (Number(code) === 3) return { kind: "decided" };
    return {
      kind: "reserved",
      qty: Number(qty),
      userId: String(userId),
      sku: String(replySku),
      priceCents: Number(price),
      paymentFailureRate: Number(pfr ?? 0),
      epoch: Number(epoch ?? 0),
    };
  }
  switch (reply) {
    case LUA_CODES.WAIT:
      return { kind: "notYet", why: "WAIT" };
    case LUA_CODES.PAUSED:
      return { kind: "notYet", why: "PAUSED" };
    case LUA_CODES.NO_EVENT:
      return { kind: "notYet", why: "NO_EVENT" };
    case LUA_CODES.NO_TICKET:
      return { kind: "noTicket" };
    case LUA_CODES.SOLD_OUT:
      return { kind: "rejected", reason: "SOLD_OUT" };
    case LUA_CODES.LIMIT_REACHED:
      return { kind: "rejected", reason: "LIMIT_REACHED" };
    case LUA_CODES.SALE_ENDED:
      return { kind: "rejected", reason: "SALE_ENDED" };
    default:
      throw new Error(`reserveStock answered ${reply} (${luaCodeName(reply) ?? "unknown"})`);
  }
}
