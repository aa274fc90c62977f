// The take steps of the stock core: lua/takeStock-n.lua, lua/releaseTake-n.lua and
// lua/confirmTake-n.lua. Each works on one or more stocks of one group (an order's lines at
// one location) for one reference, and is keyed by the reference: repeating it moves nothing.
import type { Redis } from "ioredis";
import { LUA_CODES } from "../../errors.js";
import { keys, type StockAddress } from "../keys.js";

export type TakeStatusInRedis = "HELD" | "CONFIRMED" | "RELEASED";

export interface TakeLine extends StockAddress {
  quantity: number;
}

/** Per line: what is left (null: unlimited) and the epoch of the state that answered. */
export interface LineState {
  remaining: number | null;
  epoch: number;
}

export type TakeStepResult =
  | { kind: "taken"; lines: LineState[] }
  /** The reference was known to this state (taken, or released): nothing moved. */
  | { kind: "known"; status: TakeStatusInRedis; lines: LineState[] }
  /** `line` is the index (0-based) of the line that refused. */
  | { kind: "refused"; reason: "SOLD_OUT" | "LIMIT_REACHED" | "SALE_NOT_OPEN"; line: number }
  | { kind: "noState"; line: number };

function linesKeys(lines: StockAddress[]): string[] {
  return lines.flatMap((s) => [keys.stockCounters(s), keys.stockUsers(s), keys.stockRefs(s)]);
}

function lineStates(figures: (string | number)[]): LineState[] {
  const out: LineState[] = [];
  for (let i = 0; i + 1 < figures.length; i += 2) {
    const remaining = Number(figures[i]);
    out.push({ remaining: remaining < 0 ? null : remaining, epoch: Number(figures[i + 1]) });
  }
  return out;
}

function assertOneGroup(lines: StockAddress[]): void {
  if (lines.length === 0) throw new Error("a take step needs at least one stock");
  if (lines.some((l) => l.group !== lines[0]?.group)) throw new Error("a take step's stocks share one group");
}

const REFUSALS = {
  [LUA_CODES.SOLD_OUT]: "SOLD_OUT",
  [LUA_CODES.LIMIT_REACHED]: "LIMIT_REACHED",
  [LUA_CODES.SALE_NOT_OPEN]: "SALE_NOT_OPEN",
} as const;

export async function takeStock(
  redis: Redis,
  lines: TakeLine[],
  t: { reference: string; userId: string | null; status: "HELD" | "CONFIRMED"; now?: number },
): Promise<TakeStepResult> {
  assertOneGroup(lines);
  const reply = await redis.takeStock(
    lines.length * 3,
    ...linesKeys(lines),
    t.reference,
    t.userId ?? "",
    t.now ?? Date.now(),
    t.status,
    ...lines.map((l) => l.quantity),
  );
  if (!Array.isArray(reply)) throw new Error(`takeStock answered ${reply}`);
  const [code, ...rest] = reply;
  if (Number(code) === 1) return { kind: "taken", lines: lineStates(rest) };
  if (Number(code) === 2) {
    const [status, ...figures] = rest;
    return { kind: "known", status: String(status) as TakeStatusInRedis, lines: lineStates(figures) };
  }
  const line = Number(rest[0]) - 1;
  if (Number(code) === LUA_CODES.NO_PRODUCT) return { kind: "noState", line };
  const reason = REFUSALS[Number(code) as keyof typeof REFUSALS];
  if (!reason) throw new Error(`takeStock answered ${code}`);
  return { kind: "refused", reason, line };
}

export type ReleaseStepResult =
  | { kind: "released"; moved: number; remaining: (number | null)[] }
  | { kind: "noState" };

export async function releaseTake(
  redis: Redis,
  lines: StockAddress[],
  reference: string,
): Promise<ReleaseStepResult> {
  assertOneGroup(lines);
  const reply = await redis.releaseTake(lines.length * 3, ...linesKeys(lines), reference);
  if (!Array.isArray(reply)) throw new Error(`releaseTake answered ${reply}`);
  const [code, moved, ...remaining] = reply.map(Number);
  if (code === LUA_CODES.NO_PRODUCT) return { kind: "noState" };
  return { kind: "released", moved: moved ?? 0, remaining: remaining.map((r) => (r < 0 ? null : r)) };
}

export type ConfirmStepResult =
  | { kind: "confirmed"; moved: number }
  /** This state does not know the reference. */
  | { kind: "unknown" }
  | { kind: "released" }
  | { kind: "noState" };

export async function confirmTake(
  redis: Redis,
  lines: StockAddress[],
  reference: string,
): Promise<ConfirmStepResult> {
  assertOneGroup(lines);
  const reply = await redis.confirmTake(lines.length * 3, ...linesKeys(lines), reference);
  if (reply === LUA_CODES.NO_TICKET) return { kind: "unknown" };
  if (reply === LUA_CODES.INVALID_STATE) return { kind: "released" };
  if (!Array.isArray(reply)) throw new Error(`confirmTake answered ${reply}`);
  if (Number(reply[0]) === LUA_CODES.NO_PRODUCT) return { kind: "noState" };
  return { kind: "confirmed", moved: Number(reply[1] ?? 0) };
}
