// Positions and waits, from one serving counter per event: a waiting ticket's position
// is its join sequence minus the number of tickets already served, and its wait is that
// position over the outflow measured in the last seconds (not the configured rate).
import type { Redis } from "ioredis";
import { keys } from "../redis/keys.js";

export interface QueueState {
  served: number;
  status: string | null;
  /** Changes when the event's Redis state was rebuilt. */
  epoch: string | null;
  /** Tickets admitted per second over the last seconds, as measured. */
  measuredPerSecond: number;
  /** What waits are estimated from: the measure, or the configured rate until there is one. */
  outflowPerSecond: number;
}

const WINDOW_SECONDS = 5;

/** The whole seconds (unix) the outflow is measured over: the last few, not the current one. */
export function outflowSeconds(nowMs = Date.now()): string[] {
  const nowSecond = Math.floor(nowMs / 1000);
  return Array.from({ length: WINDOW_SECONDS }, (_, i) => String(nowSecond - 1 - i));
}

/** The outflow from the tickets admitted in `outflowSeconds()`, or the configured rate before any. */
export function outflowOf(
  admitted: number,
  rate: number,
): Pick<QueueState, "measuredPerSecond" | "outflowPerSecond"> {
  const measured = admitted / WINDOW_SECONDS;
  return { measuredPerSecond: measured, outflowPerSecond: measured > 0 ? measured : rate || 1 };
}

export async function readQueueState(redis: Redis, eventId: string): Promise<QueueState> {
  const [[, served], [, admitted], [, meta]] = (await redis
    .pipeline()
    .hget(keys.stats(eventId), "served")
    .hmget(keys.admitted(eventId), ...outflowSeconds())
    .hmget(keys.meta(eventId), "rate", "status", "epoch")
    .exec()) as [unknown, unknown][] as [
    [unknown, string | null],
    [unknown, (string | null)[]],
    [unknown, (string | null)[]],
  ];
  return {
    served: Number(served ?? 0),
    status: meta[1] ?? null,
    epoch: meta[2] ?? null,
    ...outflowOf(
      admitted.reduce((sum, v) => sum + Number(v ?? 0), 0),
      Number(meta[0] ?? 1),
    ),
  };
}

export function positionOf(
  seq: number,
  state: Pick<QueueState, "served" | "outflowPerSecond">,
): { position: number; etaSeconds: number } {
  const position = Math.max(1, seq - state.served);
  return { position, etaSeconds: Math.ceil(position / Math.max(state.outflowPerSecond, 0.001)) };
}
