// The wait a waiting ticket is told, from its place and the admission window now open.
import { describe, expect, it } from "vitest";
import { outflowOf, positionOf, waitSeconds } from "../../src/waiting-room/queue-state.js";

const atRate = (rate: number, window = { count: 0, ttlMs: -2 }) => ({ ...outflowOf(0, rate), window });

describe("waitSeconds", () => {
  it("uses the configured rate from the first second, before any outflow can be measured", () => {
    // 50 a second, no window open: the first 50 go at once, place 1,581 in the 32nd window.
    expect(waitSeconds(0, atRate(50))).toBe(0.1);
    expect(waitSeconds(49, atRate(50))).toBe(0.1);
    expect(waitSeconds(50, atRate(50))).toBe(1.1);
    expect(positionOf(1581, { served: 0, ...atRate(50) })).toEqual({ position: 1581, etaSeconds: 31.1 });
  });

  it("counts from the open window: what is left of it, then a window per `rate` tickets", () => {
    // 30 of 50 admitted in the window, 400 ms of it left.
    expect(waitSeconds(19, atRate(50, { count: 30, ttlMs: 400 }))).toBe(0.1);
    expect(waitSeconds(20, atRate(50, { count: 30, ttlMs: 400 }))).toBe(0.5);
    expect(waitSeconds(70, atRate(50, { count: 30, ttlMs: 400 }))).toBe(1.5);
    // A full window: the next ticket waits for it to end.
    expect(waitSeconds(0, atRate(50, { count: 50, ttlMs: 250 }))).toBe(0.4);
  });

  it("believes the measured pace once tickets flowed three seconds or more, clearly below the rate", () => {
    // 5 seconds at 100/s against a configured 1,000/s: the workers set the pace.
    const slow = outflowOf(500, 1000, 5);
    expect(slow).toMatchObject({ outflowPerSecond: 100, outflowFrom: "measured" });
    expect(waitSeconds(300, { ...slow, window: { count: 0, ttlMs: -2 } })).toBe(3.1);
    // Three seconds into the sale at 50/s: the pace of the seconds that flowed, not of the five.
    expect(outflowOf(150, 1000, 3)).toMatchObject({ outflowPerSecond: 50, outflowFrom: "measured" });
    // Two are not enough to tell (the first may have been a part of a second).
    expect(outflowOf(100, 1000, 2)).toMatchObject({ outflowPerSecond: 1000, outflowFrom: "rate" });
    // Near the rate: the rate (the windows say when).
    expect(outflowOf(4500, 1000, 5)).toMatchObject({ outflowPerSecond: 1000, outflowFrom: "rate" });
  });

  it("adds how long an admitted purchase takes, as measured, to the wait in line", () => {
    const state = { ...outflowOf(0, 50), window: { count: 0, ttlMs: -2 } };
    expect(waitSeconds(100, state)).toBe(2.1);
    expect(waitSeconds(100, { ...state, serviceMs: 1500 })).toBe(3.5);
    expect(waitSeconds(100, { ...state, serviceMs: -1 })).toBe(2.1);
  });
});
