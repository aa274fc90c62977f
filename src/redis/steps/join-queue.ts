// lua/joinQueue-11.lua: the join's Lua step. Builds its keys (in the order its script's header
// lists them) and arguments, and names each answer; callers never read the reply by position.
import type { Redis } from "ioredis";
import { type LuaCodeName, luaCodeName } from "../../errors.js";
import { eventPrefix, keys } from "../keys.js";

/** What a waiting ticket's place and wait are computed from (waiting-room/queue-state.ts). */
export interface QueueFigures {
  /** Tickets served (admitted) so far. */
  served: number;
  /** Tickets admitted over the outflow window's seconds. */
  admitted: number;
  /** The event's configured admission rate. */
  rate: number;
  /** How many of the window's seconds admitted any ticket. */
  busySeconds: number;
  /** The moving average of admission → outcome, in ms (-1: no purchase finished yet). */
  serviceMs: number;
  /** The purchase queue's admission window now open: jobs admitted in it, ms until it ends (-2: none). */
  window: { count: number; ttlMs: number };
}

export interface JoinedTicket {
  ticketId: string;
  /** QUEUED (with its seq) or PREQUEUE (seq 0); a handed-back ticket may have moved on since. */
  status: string;
  seq: number;
  quantity: number;
  figures: QueueFigures;
}

/** The codes the join step refuses with. */
export type JoinRefusal = Extract<
  LuaCodeName,
  "NO_EVENT" | "SALE_NOT_OPEN" | "NO_PRODUCT" | "SOLD_OUT" | "LIMIT_REACHED" | "QUEUE_FULL" | "RATE_LIMITED"
>;
const REFUSALS: readonly JoinRefusal[] = [
  "NO_EVENT",
  "SALE_NOT_OPEN",
  "NO_PRODUCT",
  "SOLD_OUT",
  "LIMIT_REACHED",
  "QUEUE_FULL",
  "RATE_LIMITED",
];

export type JoinQueueResult =
  /** A new ticket. */
  | { kind: "created"; ticket: JoinedTicket }
  /** The user's ticket for this product that is still open, handed back. */
  | { kind: "handedBack"; ticket: JoinedTicket }
  /** The user's open ticket is named, but its hash is gone. */
  | { kind: "openTicketGone"; ticketId: string }
  | { kind: "refused"; code: JoinRefusal };

export async function joinQueue(
  redis: Redis,
  t: { eventId: string; ticketId: string; userId: string; sku: string; quantity: number },
  /** The per-client join limit: who asks, and how many joins a second they may (0: no limit). */
  limit: { client: string; perSecond: number } = { client: "", perSecond: 0 },
): Promise<JoinQueueResult> {
  const { eventId, sku } = t;
  const reply = await redis.joinQueue(
    keys.meta(eventId),
    keys.stock(eventId, sku),
    keys.open(eventId, sku),
    keys.held(eventId, sku),
    keys.waiting(eventId, sku),
    keys.stats(eventId),
    keys.prequeue(eventId),
    keys.ticket(eventId, t.ticketId),
    keys.admitted(eventId),
    keys.clientJoins(eventId, limit.client),
    keys.admissionWindow(eventId),
    t.ticketId,
    t.userId,
    sku,
    t.quantity,
    Date.now(),
    eventPrefix(eventId),
    limit.perSecond,
    ...outflowSeconds(),
  );
  if (!Array.isArray(reply)) {
    const code = luaCodeName(reply);
    if (code && (REFUSALS as readonly string[]).includes(code))
      return { kind: "refused", code: code as JoinRefusal };
    throw new Error(`joinQueue answered ${reply} (${code ?? "unknown"})`);
  }
  const [created, id, status, seq, qty, served, admitted, rate, busy, windowCount, windowTtl, serviceMs] =
    reply;
  if (Number(created) !== 1 && !status) return { kind: "openTicketGone", ticketId: String(id) };
  const ticket: JoinedTicket = {
    ticketId: String(id),
    status: String(status),
    seq: Number(seq),
    quantity: Number(qty),
    figures: {
      served: Number(served),
      admitted: Number(admitted),
      rate: Number(rate),
      busySeconds: Number(busy),
      window: { count: Number(windowCount), ttlMs: Number(windowTtl) },
      serviceMs: Number(serviceMs ?? -1),
    },
  };
  return { kind: Number(created) === 1 ? "created" : "handedBack", ticket };
}

/** How many whole seconds the outflow (tickets admitted per second) is measured over. */
export const OUTFLOW_WINDOW_SECONDS = 5;

/** The whole seconds (unix) the outflow is measured over: the last few, not the current one. */
export function outflowSeconds(nowMs = Date.now()): string[] {
  const nowSecond = Math.floor(nowMs / 1000);
  return Array.from({ length: OUTFLOW_WINDOW_SECONDS }, (_, i) => String(nowSecond - 1 - i));
}
