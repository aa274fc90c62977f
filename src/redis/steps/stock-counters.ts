// The step that writes a stock's total from PostgreSQL's figure: lua/setTotal-1.lua (absolute).
import type { Redis } from "ioredis";
import { LUA_CODES } from "../../errors.js";
import { keys } from "../keys.js";

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
 * The same step on any core stock's counters hash: an event's product (keys.stock, its core
 * stock's counters) or another core stock (keys.stockCounters).
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
