// The steps that write a core stock's state from PostgreSQL: lua/loadStock-3.lua (build it,
// keyed by the state's epoch), lua/closeStock-1.lua (close it, final) and
// lua/repairTakes-3.lua (the reconciler's repair: takes moved forward, counters recomputed).
// Also the plain reads of that state.
import type { Redis } from "ioredis";
import { LUA_CODES } from "../../errors.js";
import { keys, type StockAddress } from "../keys.js";
import type { TakeStatusInRedis } from "./stock-takes.js";

export interface StockCounters {
  /** null: unlimited. */
  remaining: number | null;
  reserved: number;
  sold: number;
}

export interface StockSettings {
  epoch: number;
  /** SALE: an event product's stock, sold only through its event's waiting room. */
  status: "LIVE" | "CLOSED" | "SALE";
  /** null: unlimited. */
  total: number | null;
  perUserLimit: number | null;
  startsAt: Date | null;
  endsAt: Date | null;
}

/** A take as the state records it. */
export interface TakeEntry {
  reference: string;
  status: TakeStatusInRedis;
  quantity: number;
  userId: string | null;
}

const entryOf = (t: TakeEntry) => [t.reference, `${t.status}|${t.quantity}|${t.userId ?? ""}`];

function counters(figures: number[]): StockCounters {
  const [remaining = 0, reserved = 0, sold = 0] = figures;
  return { remaining: remaining < 0 ? null : remaining, reserved, sold };
}

export type LoadResult = ({ kind: "loaded" } & StockCounters) | { kind: "newerThere"; epoch: number };

export async function loadStock(
  redis: Redis,
  s: StockAddress,
  settings: StockSettings,
  takes: TakeEntry[],
): Promise<LoadResult> {
  const reply = await redis.loadStock(...loadStockCall(s, settings, takes));
  if (!Array.isArray(reply)) throw new Error(`loadStock answered ${reply}`);
  const [code, ...figures] = reply.map(Number);
  if (code === 1) return { kind: "loaded", ...counters(figures) };
  return { kind: "newerThere", epoch: figures[0] ?? 0 };
}

/** The keys and arguments of lua/loadStock-3.lua, for a caller that queues it in a MULTI. */
export function loadStockCall(
  s: StockAddress,
  settings: StockSettings,
  takes: TakeEntry[],
): (string | number)[] {
  return [
    keys.stockCounters(s),
    keys.stockUsers(s),
    keys.stockRefs(s),
    settings.epoch,
    settings.status,
    settings.total ?? -1,
    settings.perUserLimit ?? 0,
    settings.startsAt?.getTime() ?? 0,
    settings.endsAt?.getTime() ?? 0,
    ...takes.flatMap(entryOf),
  ];
}

export type CloseResult = ({ kind: "closed" } & StockCounters) | { kind: "noState" };

export async function closeStock(redis: Redis, s: StockAddress): Promise<CloseResult> {
  const reply = await redis.closeStock(keys.stockCounters(s));
  if (reply === LUA_CODES.NO_PRODUCT) return { kind: "noState" };
  if (!Array.isArray(reply)) throw new Error(`closeStock answered ${reply}`);
  return { kind: "closed", ...counters(reply.slice(1).map(Number)) };
}

export type RepairTakesResult = ({ kind: "repaired"; moved: number } & StockCounters) | { kind: "noState" };

export async function repairTakes(
  redis: Redis,
  s: StockAddress,
  settled: TakeEntry[],
): Promise<RepairTakesResult> {
  const reply = await redis.repairTakes(
    keys.stockCounters(s),
    keys.stockUsers(s),
    keys.stockRefs(s),
    ...settled.flatMap(entryOf),
  );
  if (reply === LUA_CODES.NO_PRODUCT) return { kind: "noState" };
  if (!Array.isArray(reply)) throw new Error(`repairTakes answered ${reply}`);
  const [, moved = 0, ...figures] = reply.map(Number);
  return { kind: "repaired", moved, ...counters(figures) };
}

export interface LiveStockState extends StockCounters {
  status: string;
  total: number | null;
  epoch: number;
}

/**
 * The live counters of several stocks (null: no state). One read each: stocks of different
 * groups live in different Redis Cluster slots (ioredis pipelines them all the same).
 */
export async function readStockStates(
  redis: Redis,
  stocks: StockAddress[],
): Promise<(LiveStockState | null)[]> {
  const replies = await Promise.all(
    stocks.map((s) =>
      redis.hmget(keys.stockCounters(s), "status", "total", "remaining", "reserved", "sold", "epoch"),
    ),
  );
  return replies.map(([status, total, remaining, reserved, sold, epoch]) => {
    if (status === null || status === undefined) return null;
    return {
      status,
      total: Number(total) < 0 ? null : Number(total),
      ...counters([Number(remaining), Number(reserved), Number(sold)]),
      epoch: Number(epoch),
    };
  });
}

/** Whether a stock's state knows a take's reference (taken, or given back and kept as a tombstone). */
export async function knowsReference(redis: Redis, s: StockAddress, reference: string): Promise<boolean> {
  return (await redis.hexists(keys.stockRefs(s), reference)) === 1;
}

/**
 * A stock's counters and the takes it holds now (in flight), of one moment
 * (lua/readHeld-2.lua): small, where every take it knows may be many. null: no state.
 */
export async function readHeldTakes(
  redis: Redis,
  s: StockAddress,
): Promise<{ total: number; remaining: number; reserved: number; sold: number; held: TakeEntry[] } | null> {
  const reply = await redis.readHeld(keys.stockCounters(s), keys.stockRefs(s));
  if (reply === LUA_CODES.NO_PRODUCT) return null;
  if (!Array.isArray(reply)) throw new Error(`readHeld answered ${reply}`);
  const [total = 0, remaining = 0, reserved = 0, sold = 0] = reply.slice(0, 4).map(Number);
  const raw: Record<string, string> = {};
  for (let i = 4; i + 1 < reply.length; i += 2) raw[String(reply[i])] = String(reply[i + 1]);
  const held = [...takeEntries(raw).values()].filter((t) => t.status === "HELD");
  return { total, remaining, reserved, sold, held };
}

/**
 * A stock's total, counters and takes read in one MULTI, so they are of one moment (every step
 * moves a take and its counters together). null: no state.
 */
export async function readStockSnapshot(
  redis: Redis,
  s: StockAddress,
): Promise<{
  total: number;
  remaining: number;
  reserved: number;
  sold: number;
  takes: Map<string, TakeEntry>;
} | null> {
  const [[, counters], [, refs]] = (await redis
    .multi()
    .hmget(keys.stockCounters(s), "total", "remaining", "reserved", "sold")
    .hgetall(keys.stockRefs(s))
    .exec()) as [[unknown, (string | null)[]], [unknown, Record<string, string>]];
  if (counters[0] === null || counters[0] === undefined) return null;
  const [total = 0, remaining = 0, reserved = 0, sold = 0] = counters.map(Number);
  return { total, remaining, reserved, sold, takes: takeEntries(refs) };
}

function takeEntries(raw: Record<string, string>): Map<string, TakeEntry> {
  const out = new Map<string, TakeEntry>();
  for (const [reference, entry] of Object.entries(raw)) {
    const [status = "", quantity = "0", userId = ""] = entry.split("|");
    out.set(reference, {
      reference,
      status: status as TakeStatusInRedis,
      quantity: Number(quantity),
      userId: userId || null,
    });
  }
  return out;
}

/** Deletes a stock's state (a closed stock, settled, archived). */
export async function forgetStock(redis: Redis, s: StockAddress): Promise<void> {
  await redis.del(
    keys.stockCounters(s),
    keys.stockUsers(s),
    keys.stockRefs(s),
    keys.stockHeld(s),
    keys.stockBuildLock(s),
  );
}
