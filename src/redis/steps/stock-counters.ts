// The steps that write a product's counters from PostgreSQL's figures: lua/setTotal-1.lua (the
// total, absolute) and lua/repairStock-3.lua (the reconciler's compare and set).
import type { Redis } from "ioredis";
import { LUA_CODES } from "../../errors.js";
import { eventPrefix, keys } from "../keys.js";

export interface Counters {
  remaining: number;
  reserved: number;
  sold: number;
}

export type SetTotalResult =
  | ({ kind: "set"; delta: number; total: number } & Counters)
  /** "check" only: the total may not go below `floor` (sold + reserved); nothing changed. */
  | { kind: "belowFloor"; floor: number; sold: number; reserved: number; total: number }
  /** "sync" only: set, with remaining 0; `short` more units are out than the total allows. */
  | { kind: "short"; short: number; sold: number; reserved: number; total: number }
  | { kind: "noProduct" };

export async function setTotal(
  redis: Redis,
  t: { eventId: string; sku: string },
  total: number,
  mode: "check" | "sync",
): Promise<SetTotalResult> {
  return setTotalAt(redis, keys.stock(t.eventId, t.sku), total, mode);
}

/**
 * The same step on any hash with the fields total, remaining, reserved and sold: an event's
 * product (keys.stock) or a core stock (keys.stockCounters).
 */
export async function setTotalAt(
  redis: Redis,
  counters: string,
  total: number,
  mode: "check" | "sync",
): Promise<SetTotalResult> {
  const reply = await redis.setTotal(counters, total, mode);
  if (reply === LUA_CODES.NO_PRODUCT) return { kind: "noProduct" };
  if (!Array.isArray(reply)) throw new Error(`setTotal answered ${reply}`);
  const [code, a = 0, b = 0, c = 0, d = 0, e = 0] = reply.map(Number);
  if (code === LUA_CODES.STOCK_RULE) return { kind: "belowFloor", floor: a, sold: b, reserved: c, total: d };
  if (code === 2) return { kind: "short", short: a, sold: b, reserved: c, total: d };
  return { kind: "set", delta: a, remaining: b, sold: c, reserved: d, total: e };
}

export type RepairResult = { kind: "repaired"; marked: number } | { kind: "moved" } | { kind: "noProduct" };

/** Sets the counters to `want` if they are still `seen`, marking `cancelled` tickets CANCELLED. */
export async function repairStock(
  redis: Redis,
  t: { eventId: string; sku: string },
  seen: Counters,
  want: Counters,
  cancelled: string[],
): Promise<RepairResult> {
  const reply = await redis.repairStock(
    keys.stock(t.eventId, t.sku),
    keys.held(t.eventId, t.sku),
    keys.stats(t.eventId),
    seen.remaining,
    seen.reserved,
    seen.sold,
    want.remaining,
    want.reserved,
    want.sold,
    eventPrefix(t.eventId),
    Date.now(),
    ...cancelled,
  );
  if (reply === LUA_CODES.NO_PRODUCT) return { kind: "noProduct" };
  if (!Array.isArray(reply)) throw new Error(`repairStock answered ${reply}`);
  return Number(reply[0]) === 1 ? { kind: "repaired", marked: Number(reply[1] ?? 0) } : { kind: "moved" };
}
