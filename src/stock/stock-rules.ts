// The stock rules of a total (shared API.md), the one place they are written: a stock that has
// never been LIVE takes any total ≥ 0; from its first LIVE on, never above the total it went live
// with (its ceiling, `liveTotal`) and never below what is out (sold + reserved, held + taken).
// An event's products (src/events/stock.service.ts) and the core's own stocks
// (stocks.service.ts) both ask here. Only the Redis step that lowers a total sees the live
// counters at the moment of the change, so it reports the floor and this rule judges it.

export interface RuleStock {
  /** DRAFT until its first LIVE; LIVE or CLOSED after. */
  status: string;
  total: number | null;
  liveTotal: number | null;
}

export type TotalRuling =
  | { kind: "allowed"; ceiling: number | null }
  | { kind: "aboveCeiling"; ceiling: number }
  | { kind: "belowFloor"; floor: number; ceiling: number | null };

/** The most the stock may hold from now on (null: no ceiling yet, or unlimited). */
export function ceilingOf(stock: RuleStock): number | null {
  if (stock.status === "DRAFT") return null;
  return stock.liveTotal ?? stock.total;
}

/**
 * Whether `asked` may be the stock's total: `floor` is what is out now (sold + reserved), as the
 * lowering step found it; without one, only the ceiling (and ≥ 0) is judged.
 */
export function ruleOnTotal(stock: RuleStock, asked: number, floor = 0): TotalRuling {
  const ceiling = ceilingOf(stock);
  if (ceiling !== null && asked > ceiling) return { kind: "aboveCeiling", ceiling };
  if (asked < Math.max(0, floor)) return { kind: "belowFloor", floor: Math.max(0, floor), ceiling };
  return { kind: "allowed", ceiling };
}
