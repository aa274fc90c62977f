// The surge tool's own honesty: the ETA's error, and a run the rate limiter answered.
import { describe, expect, it } from "vitest";
import {
  clientAddressOf,
  etaError,
  rateLimitNote,
  type SurgeReport,
  surgeHeld,
} from "../../bench/lib/surge-run.js";

const clean = {
  oversold: 0,
  overLimitUsers: 0,
  missingOutcomes: 0,
  duplicateOutcomes: 0,
  ticketsNotFinal: 0,
  redisPostgresAgree: true,
  ledgerAgrees: true,
  requests: 20_000,
  rateLimited: 0,
  rateLimitedShare: 0,
  limiterAnsweredMost: false,
} as unknown as SurgeReport;

describe("surge report", () => {
  it("fails the verdict and says why when the limiter answered most joins", () => {
    expect(surgeHeld(clean)).toBe(true);
    const limited = { ...clean, rateLimited: 19_700, rateLimitedShare: 0.985, limiterAnsweredMost: true };
    expect(surgeHeld(limited)).toBe(false);
    const note = rateLimitNote(limited, false) ?? "";
    expect(note).toContain("19700 of 20000 joins (98.5 %) were refused RATE_LIMITED");
    expect(note).toContain("--client-addresses");
    expect(rateLimitNote(clean, false)).toBeUndefined();
  });

  it("measures the ETA's relative error", () => {
    const e = etaError([
      { etaSeconds: 10, waitedSeconds: 10 },
      { etaSeconds: 12, waitedSeconds: 10 },
      { etaSeconds: 40, waitedSeconds: 7.6 },
      { etaSeconds: 1, waitedSeconds: 4 },
    ]);
    expect(e.samples).toBe(4);
    expect(e.p50).toBe(0.2);
    expect(e.offByHalf).toBe(0.5);
  });

  it("gives a shopper one stable private address", () => {
    expect(clientAddressOf("user-1")).toBe(clientAddressOf("user-1"));
    expect(clientAddressOf("user-1")).not.toBe(clientAddressOf("user-2"));
    expect(clientAddressOf("user-1")).toMatch(/^10\.\d{1,3}\.\d{1,3}\.\d{1,3}$/);
  });
});
