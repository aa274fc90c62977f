// Positions and waits, from one serving counter per event: a waiting ticket's position
// is its join sequence minus the number of tickets already served. Its wait follows how
// tickets are admitted: the purchase workers take at most `rate` tickets per one-second
// window of BullMQ's limiter (the first window opens with the first ticket), so a ticket
// goes in the window its place falls in, and the window now open says how far away that
// is. This holds from a sale's first second, when no outflow can be measured yet. Once the
// workers have been admitted tickets for three seconds or more (the first may be a part of
// one), at clearly fewer a second than
// the configured rate (they cannot keep its pace), their measured pace is used instead.
// To the wait in line is added how long an admitted purchase takes to its outcome, as the
// workers measure it (the event's moving average), or a tenth of a second before any has.
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
  /** The moving average of admission → outcome, in ms (< 0: none measured yet). */
  serviceMs: number;
}

/** From a ticket's admission to its result reaching the shopper, before any was measured. */
const SERVICE_SECONDS = 0.1;
/** Busy seconds (some ticket admitted in each) before the measured pace is believed. */
const BUSY_SECONDS_TO_MEASURE = 3;
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
  // The pace while tickets flowed: over the seconds that admitted any.
  const pace = busySeconds > 0 ? admitted / busySeconds : 0;
  const configured = rate > 0 ? rate : 1;
  const slower = busySeconds >= BUSY_SECONDS_TO_MEASURE && pace > 0 && pace < configured * SLOWER_THAN_RATE;
  return slower
    ? { measuredPerSecond: measured, outflowPerSecond: pace, outflowFrom: "measured" }
    : { measuredPerSecond: measured, outflowPerSecond: configured, outflowFrom: "rate" };
}

export async function readQueueState(redis: Redis, eventId: string): Promise<QueueState> {
  const [[, stats], [, admitted], [, meta], [, windowCount], [, windowTtl]] = (await redis
    .pipeline()
    .hmget(keys.stats(eventId), "served", "serviceMs")
    .hmget(keys.admitted(eventId), ...outflowSeconds())
    .hmget(keys.meta(eventId), "rate", "status", "epoch")
    .get(keys.admissionWindow(eventId))
    .pttl(keys.admissionWindow(eventId))
    .exec()) as [unknown, unknown][] as [
    [unknown, (string | null)[]],
    [unknown, (string | null)[]],
    [unknown, (string | null)[]],
    [unknown, string | null],
    [unknown, number],
  ];
  return {
    served: Number(stats[0] ?? 0),
    serviceMs: Number(stats[1] ?? -1),
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
  state: Pick<QueueState, "outflowPerSecond" | "outflowFrom" | "window"> & { serviceMs?: number },
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
  const service =
    state.serviceMs !== undefined && state.serviceMs >= 0 ? state.serviceMs / 1000 : SERVICE_SECONDS;
  return Math.round((wait + service) * 10) / 10;
}

export function positionOf(
  seq: number,
  state: Pick<QueueState, "served" | "outflowPerSecond" | "outflowFrom" | "window"> & { serviceMs?: number },
): { position: number; etaSeconds: number } {
  const position = Math.max(1, seq - state.served);
  return { position, etaSeconds: waitSeconds(position - 1, state) };
}
