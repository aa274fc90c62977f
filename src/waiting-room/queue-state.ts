// Positions and waits, from one serving counter per event: a waiting ticket's position
// is its join sequence minus the number of tickets already served. Its wait follows how
// tickets are admitted: the purchase workers take at most `rate` tickets per one-second
// window of BullMQ's limiter (the first window opens with the first ticket), so a ticket
// goes in the window its place falls in, and the window now open says how far away that
// is. This holds from a sale's first second, when no outflow can be measured yet. Only
// when the workers have been admitted tickets in every one of the last seconds, and fewer
// than the configured rate (they cannot keep its pace), is the measured outflow used.
import type { Redis } from "ioredis";
import { keys } from "../redis/keys.js";
import { outflowSeconds, OUTFLOW_WINDOW_SECONDS as WINDOW_SECONDS } from "../redis/steps/join-queue.js";

export interface QueueState {
  served: number;
  status: string | null;
  /** Changes when the event's Redis state was rebuilt. */
  epoch: string | null;
  /** Tickets admitted per second over the last seconds, as measured. */
  measuredPerSecond: number;
  /** What waits are estimated from: the configured rate, or the measure when the workers are slower. */
  outflowPerSecond: number;
  /** Where outflowPerSecond comes from. */
  outflowFrom: "rate" | "measured";
  /** The admission window now open: tickets admitted in it and ms until it ends (≤ 0: none open). */
  window: { count: number; ttlMs: number };
}

/** From a ticket's admission to its result reaching the shopper (reserve, pay, persist, push). */
const SERVICE_SECONDS = 0.1;
/** Below this share of the configured rate, a full window of measured outflow is believed instead. */
const SLOWER_THAN_RATE = 0.7;

/**
 * The outflow waits are estimated from: the configured rate, unless every second of the
 * measured window admitted tickets (the sale was flowing throughout) at a clearly lower rate.
 */
export function outflowOf(
  admitted: number,
  rate: number,
  busySeconds = 0,
): Pick<QueueState, "measuredPerSecond" | "outflowPerSecond" | "outflowFrom"> {
  const measured = admitted / WINDOW_SECONDS;
  const configured = rate > 0 ? rate : 1;
  const slower = busySeconds >= WINDOW_SECONDS && measured > 0 && measured < configured * SLOWER_THAN_RATE;
  return slower
    ? { measuredPerSecond: measured, outflowPerSecond: measured, outflowFrom: "measured" }
    : { measuredPerSecond: measured, outflowPerSecond: configured, outflowFrom: "rate" };
}

export async function readQueueState(redis: Redis, eventId: string): Promise<QueueState> {
  const [[, served], [, admitted], [, meta], [, windowCount], [, windowTtl]] = (await redis
    .pipeline()
    .hget(keys.stats(eventId), "served")
    .hmget(keys.admitted(eventId), ...outflowSeconds())
    .hmget(keys.meta(eventId), "rate", "status", "epoch")
    .get(keys.admissionWindow(eventId))
    .pttl(keys.admissionWindow(eventId))
    .exec()) as [unknown, unknown][] as [
    [unknown, string | null],
    [unknown, (string | null)[]],
    [unknown, (string | null)[]],
    [unknown, string | null],
    [unknown, number],
  ];
  return {
    served: Number(served ?? 0),
    status: meta[1] ?? null,
    epoch: meta[2] ?? null,
    ...outflowOf(
      admitted.reduce((sum, v) => sum + Number(v ?? 0), 0),
      Number(meta[0] ?? 1),
      admitted.filter((v) => Number(v ?? 0) > 0).length,
    ),
    window: { count: Number(windowCount ?? 0), ttlMs: Number(windowTtl) },
  };
}

/** Seconds until a ticket with `ahead` tickets before it has its result. */
export function waitSeconds(
  ahead: number,
  state: Pick<QueueState, "outflowPerSecond" | "outflowFrom" | "window">,
): number {
  const rate = Math.max(state.outflowPerSecond, 0.001);
  const { count, ttlMs } = state.window;
  let wait: number;
  if (state.outflowFrom === "measured") {
    // Measured (the workers' pace, not the limiter's): a steady flow.
    wait = ahead / rate;
  } else if (ttlMs > 0) {
    // A window is open: what is left of it, then one window per `rate` tickets.
    const left = Math.max(0, rate - count);
    wait = ahead < left ? 0 : ttlMs / 1000 + Math.floor((ahead - left) / rate);
  } else {
    // None open: the next ticket opens one at once.
    wait = Math.floor(ahead / rate);
  }
  return Math.round((wait + SERVICE_SECONDS) * 10) / 10;
}

export function positionOf(
  seq: number,
  state: Pick<QueueState, "served" | "outflowPerSecond" | "outflowFrom" | "window">,
): { position: number; etaSeconds: number } {
  const position = Math.max(1, seq - state.served);
  return { position, etaSeconds: waitSeconds(position - 1, state) };
}
