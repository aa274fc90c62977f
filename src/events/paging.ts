// Cursor paging of the admin lists (orders, ledger): a page of items and the opaque
// cursor of the next one (null on the last page).
import { z } from "zod";

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The response schema of a page of `item`. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().nullable().describe("The cursor of the next page; null on the last page"),
  });

export const pageLimit = z.coerce
  .number()
  .int()
  .min(1)
  .max(500)
  .default(100)
  .describe("Most items in one page (1–500, default 100)");

/** Fetch `limit + 1` rows and pass them here: the extra one only says that another page exists. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  view: (row: R) => T,
  cursorOf: (row: R) => string,
): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(view),
    nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null,
  };
}
