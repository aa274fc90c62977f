// Takes of the stock core, by the caller's reference: take (one stock, or every line of an
// order at one place, all or none), confirm and release. PostgreSQL records the intent first
// (the take PENDING), the keyed Redis step decides, PostgreSQL records the outcome, fenced by
// the epoch of the state that decided. A crash anywhere leaves a PENDING take or a status
// Redis has not applied yet: the loop (src/recovery/stocks.ts) drives both, and the caller's
// repeat of the same reference meets the same take.
import type { TakeStatus } from "@prisma/client";
import type { Deps } from "../deps.js";
import { AppError, notFound } from "../errors.js";
import { stockTakes } from "../metrics.js";
import { buildStockState } from "../recovery/stock-build.js";
import type { StockAddress } from "../redis/keys.js";
import { knowsReference, readStockStates } from "../redis/steps/stock-state.js";
import { confirmTake, releaseTake, type TakeLine, takeStock } from "../redis/steps/stock-takes.js";
import { ownStockAddresses, refuseEventStocks } from "./stock-groups.js";
import {
  type LineIntent,
  readTake,
  recordApplied,
  recordConfirmed,
  recordRefused,
  recordReleased,
  retryRefused,
  type TakeRow,
} from "./take-store.js";

export interface TakeRequest {
  reference: string;
  userId: string | null;
  lines: LineIntent[];
  /** CONFIRMED: final at once (a sale at a till); HELD by default. */
  status?: "HELD" | "CONFIRMED";
}

export interface TakeAnswer {
  /** True when this call moved the stock; false when the reference was known (nothing moved). */
  created: boolean;
  rows: TakeRow[];
  /** Per line, what is left (null: unlimited or not known). */
  remaining: (number | null)[];
}

/** How often one call takes again on a state built anew meanwhile before it gives up. */
const MAX_TRIES = 5;

const SETTLED: TakeStatus[] = ["HELD", "CONFIRMED", "RELEASED"];

export async function take(deps: Deps, req: TakeRequest): Promise<TakeAnswer> {
  const stocks = await ownStockAddresses(
    deps,
    req.lines.map((l) => l.stockId),
  );
  await refuseAtTheDoor(deps, req, stocks);
  const rows = (await deps.takes.recordIntent(req)).map((r, i) => ({ ...r, group: stocks[i]?.group ?? "" }));
  const sameBody =
    rows.length === req.lines.length &&
    rows.every((r, i) => r.userId === req.userId && r.quantity === req.lines[i]?.quantity);
  if (!sameBody) {
    throw new AppError({
      code: "REFERENCE_CONFLICT",
      message: "This reference was already used with another body",
      details: { reference: req.reference },
    });
  }
  const stockIds = req.lines.map((l) => l.stockId);
  if (rows.every((r) => SETTLED.includes(r.status))) {
    const remaining = await remainingOf(deps, stocks);
    return { created: false, rows, remaining };
  }
  if (rows.some((r) => r.status === "REFUSED")) await retryRefused(deps.prisma, req.reference, stockIds);
  return drive(
    deps,
    req,
    stocks.map((s, i) => ({ ...s, quantity: req.lines[i]?.quantity ?? 0 })),
  );
}

/**
 * Sold out at the door: a take of a live stock whose state shows fewer units left than asked,
 * for a reference that state does not know, is refused before anything is written (nothing
 * would move: a sold-out storm costs PostgreSQL nothing, and a repeat simply tries again; a
 * unit given back meanwhile is found by the next take, as it would be a moment later). A
 * reference the state knows goes on, so a repeat is answered as it stands.
 */
async function refuseAtTheDoor(deps: Deps, req: TakeRequest, stocks: StockAddress[]): Promise<void> {
  const [states, known] = await Promise.all([
    readStockStates(deps.redis, stocks),
    stocks[0] ? knowsReference(deps.redis, stocks[0], req.reference) : false,
  ]);
  if (known) return;
  const short = states.findIndex(
    (state, i) =>
      state?.status === "LIVE" && state.remaining !== null && state.remaining < (req.lines[i]?.quantity ?? 0),
  );
  if (short < 0) return;
  stockTakes.inc({ outcome: "SOLD_OUT" });
  throw refusal("SOLD_OUT", stocks[short]?.stockId ?? "");
}

/**
 * The Redis step and the record of its answer, again while a state built anew answered in
 * between. Also how the loop finishes a take left PENDING by a crash.
 */
export async function drive(deps: Deps, req: TakeRequest, lines: TakeLine[]): Promise<TakeAnswer> {
  const stockIds = lines.map((l) => l.stockId);
  const status = req.status ?? "HELD";
  for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
    const step = await takeStock(deps.redis, lines, { reference: req.reference, userId: req.userId, status });
    if (step.kind === "noState") {
      const built = await buildStockState(deps, lines[step.line]?.stockId ?? "");
      if (built === "notLive" || built === "unknown") {
        await recordRefused(deps.prisma, req.reference, stockIds);
        throw refusal("SALE_NOT_OPEN", lines[step.line]?.stockId ?? "");
      }
      continue;
    }
    if (step.kind === "refused") {
      stockTakes.inc({ outcome: step.reason });
      await recordRefused(deps.prisma, req.reference, stockIds);
      throw refusal(step.reason, lines[step.line]?.stockId ?? "");
    }
    const remaining = step.lines.map((l) => l.remaining);
    stockTakes.inc({ outcome: step.kind });
    if (step.kind === "known" && step.status === "RELEASED") {
      return { created: false, rows: await readTake(deps.prisma, req.reference, stockIds), remaining };
    }
    const decided = step.kind === "known" ? step.status : status;
    const epochs = lines.map((l, i) => ({ ...l, epoch: step.lines[i]?.epoch ?? -1 }));
    const recorded = await deps.takes.recordTaken({
      reference: req.reference,
      lines: epochs,
      status: decided as "HELD" | "CONFIRMED",
    });
    if (recorded.kind === "stale") continue;
    if (recorded.kind === "recorded") {
      const rows = lines.map((l, i) => ({
        stockId: l.stockId,
        group: l.group,
        reference: req.reference,
        userId: req.userId,
        quantity: l.quantity,
        status: decided,
        applied: decided,
        expiresAt: recorded.expiresAt[i] ?? null,
      }));
      return { created: step.kind === "taken", rows, remaining };
    }
    const rows = await readTake(deps.prisma, req.reference, stockIds);
    if (recorded.kind === "moved" && rows.some((r) => r.status === "RELEASED")) {
      // Released while this step ran: what the step took goes back (keyed: once).
      await applyRelease(deps, lines, req.reference);
    }
    return { created: false, rows, remaining };
  }
  throw new AppError({
    code: "SERVICE_UNAVAILABLE",
    message: "The stock's live state is being rebuilt, try the same reference again",
    retryAfterSeconds: 1,
  });
}

function refusal(reason: "SOLD_OUT" | "LIMIT_REACHED" | "SALE_NOT_OPEN", stockId: string): AppError {
  const message = {
    SOLD_OUT: "Not enough of this stock is left",
    LIMIT_REACHED: "The user would hold more of this stock than its per-user limit",
    SALE_NOT_OPEN: "The stock is not open for takes",
  }[reason];
  return new AppError({ code: reason, message, details: { stockId } });
}

/** Gives a take back, exactly once, whatever its status (a repeat answers as it stands). */
export async function release(deps: Deps, reference: string, stockIds: string[]): Promise<TakeRow[]> {
  await refuseEventStocks(deps, stockIds);
  const rows = await readTake(deps.prisma, reference, stockIds);
  if (rows.length === 0) throw notFound("take", { reference });
  await recordReleased(deps.prisma, reference, stockIds);
  const stocks = rows.map((r) => ({ group: r.group, stockId: r.stockId }));
  await applyRelease(deps, stocks, reference);
  return readTake(deps.prisma, reference, stockIds);
}

/** The Redis side of a release recorded in PostgreSQL; the loop repeats it if this fails. */
export async function applyRelease(
  deps: Deps,
  stocks: { group: string; stockId: string }[],
  reference: string,
): Promise<void> {
  const step = await releaseTake(deps.redis, stocks, reference);
  // No state: a closed stock (nothing to give back live), or a lost one (its build loads the release).
  if (step.kind === "released" || step.kind === "noState") {
    await recordApplied(
      deps.prisma,
      reference,
      stocks.map((s) => s.stockId),
      "RELEASED",
    );
  }
}

/** Makes a HELD take final: no release by a timeout. RELEASED (or never taken) → 409. */
export async function confirm(deps: Deps, reference: string, stockIds: string[]): Promise<TakeRow[]> {
  await refuseEventStocks(deps, stockIds);
  const rows = await readTake(deps.prisma, reference, stockIds);
  if (rows.length === 0) throw notFound("take", { reference });
  if (rows.some((r) => r.status !== "HELD" && r.status !== "CONFIRMED")) {
    throw new AppError({
      code: "INVALID_STATE",
      message: `A ${rows[0]?.status.toLowerCase()} take cannot be confirmed`,
      details: { reference, status: rows[0]?.status },
    });
  }
  await recordConfirmed(deps.prisma, reference, stockIds);
  await applyConfirm(
    deps,
    rows.map((r) => ({ group: r.group, stockId: r.stockId })),
    reference,
  );
  return readTake(deps.prisma, reference, stockIds);
}

export async function applyConfirm(
  deps: Deps,
  stocks: { group: string; stockId: string }[],
  reference: string,
): Promise<void> {
  const step = await confirmTake(deps.redis, stocks, reference);
  if (step.kind === "confirmed") {
    await recordApplied(
      deps.prisma,
      reference,
      stocks.map((s) => s.stockId),
      "CONFIRMED",
    );
  }
}

export async function getTake(deps: Deps, reference: string, stockIds: string[]): Promise<TakeRow[]> {
  const rows = await readTake(deps.prisma, reference, stockIds);
  if (rows.length === 0 || rows.every((r) => r.status === "PENDING" || r.status === "REFUSED")) {
    throw notFound("take", { reference });
  }
  return rows;
}

async function remainingOf(
  deps: Deps,
  stocks: { group: string; stockId: string }[],
): Promise<(number | null)[]> {
  const states = await readStockStates(deps.redis, stocks);
  return states.map((s) => s?.remaining ?? null);
}
