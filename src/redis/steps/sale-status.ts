// The steps that move an event's sale in Redis: lua/startSale-3.lua (LIVE, and the pre-queue
// placed), lua/endSale-3.lua (ENDED, whoever waits rejected) and lua/setSaleStatus-1.lua (any other
// move, keyed by the status's version). Each is idempotent: PostgreSQL holds the status, these project it.
import type { Redis } from "ioredis";
import { LUA_CODES, luaError } from "../../errors.js";
import { eventPrefix, keys } from "../keys.js";

export interface PlacedTicket {
  eventId: string;
  ticketId: string;
  sku: string;
  seq: number;
}

export type StartResult =
  | { kind: "started"; placed: PlacedTicket[] }
  /** More pre-queue tickets than random numbers were given: call again with more. */
  | { kind: "needMoreRandoms" }
  | { kind: "ended" }
  | { kind: "noEvent" };

export async function startSale(redis: Redis, eventId: string, randoms: number[]): Promise<StartResult> {
  const reply = await redis.startSale(
    keys.meta(eventId),
    keys.stats(eventId),
    keys.prequeue(eventId),
    eventPrefix(eventId),
    ...randoms,
  );
  if (reply === LUA_CODES.WAIT) return { kind: "needMoreRandoms" };
  if (reply === LUA_CODES.INVALID_STATE) return { kind: "ended" };
  if (reply === LUA_CODES.NO_EVENT) return { kind: "noEvent" };
  if (!Array.isArray(reply)) throw luaError(reply, { eventId });
  const placed: PlacedTicket[] = [];
  for (let i = 0; i + 2 < reply.length; i += 3) {
    placed.push({
      eventId,
      ticketId: String(reply[i]),
      sku: String(reply[i + 1]),
      seq: Number(reply[i + 2]),
    });
  }
  return { kind: "started", placed };
}

export interface EndedTicket {
  id: string;
  eventId: string;
  userId: string;
  sku: string;
  quantity: number;
  seq: number;
}

export type EndResult = { kind: "ended"; rejected: EndedTicket[] } | { kind: "noEvent" };

export async function endSale(redis: Redis, eventId: string, skus: string[]): Promise<EndResult> {
  const reply = await redis.endSale(
    keys.meta(eventId),
    keys.stats(eventId),
    keys.prequeue(eventId),
    eventPrefix(eventId),
    Date.now(),
    ...skus,
  );
  if (reply === LUA_CODES.NO_EVENT) return { kind: "noEvent" };
  if (!Array.isArray(reply)) throw luaError(reply, { eventId });
  const rejected: EndedTicket[] = [];
  for (let i = 0; i + 4 < reply.length; i += 5) {
    rejected.push({
      id: String(reply[i]),
      eventId,
      userId: String(reply[i + 1]),
      sku: String(reply[i + 2]),
      quantity: Number(reply[i + 3]),
      seq: Number(reply[i + 4]),
    });
  }
  return { kind: "ended", rejected };
}

export type SetStatusResult = "set" | "older" | "ended" | "noEvent";

/** Sets PostgreSQL's status, unless Redis holds a newer one ("older": this one is stale). */
export async function setStatus(
  redis: Redis,
  eventId: string,
  status: string,
  version: number,
): Promise<SetStatusResult> {
  const reply = await redis.setSaleStatus(keys.meta(eventId), status, version);
  if (reply === 1) return "set";
  if (reply === 0) return "older";
  if (reply === LUA_CODES.INVALID_STATE) return "ended";
  if (reply === LUA_CODES.NO_EVENT) return "noEvent";
  throw new Error(`setSaleStatus answered ${reply}`);
}
