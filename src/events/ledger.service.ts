// Reading an event's stock ledger (insert-only; every change of stock with its reason and
// reference), in id order, a page at a time.
import type { LedgerEntry } from "@prisma/client";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { notFound } from "../errors.js";
import { EVENT_ID, SKU, TIME } from "./event.schemas.js";
import { type Page, pageLimit, toPage } from "./paging.js";

export const ledgerQuery = z.strictObject({
  sku: SKU.optional().describe("Only this product's entries"),
  limit: pageLimit,
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, "the nextCursor of the previous page")
    .optional()
    .describe("The nextCursor of the previous page"),
});
export type LedgerQuery = z.infer<typeof ledgerQuery>;

export const LEDGER_REASONS = ["INITIAL", "ADJUST", "RESERVE", "SALE", "RESTORE", "CANCEL"] as const;

export const ledgerEntryView = z
  .object({
    id: z.string().describe("64-bit id, as a string (JSON numbers lose precision past 2^53)"),
    eventId: EVENT_ID,
    sku: SKU,
    reason: z.enum(LEDGER_REASONS),
    quantity: z.number().int().describe("Signed for ADJUST; positive otherwise"),
    reference: z.string().nullable().describe('A ticket id, an order id, "create" or "admin"'),
    createdAt: TIME,
  })
  .meta({ id: "LedgerEntry" });
export type LedgerEntryView = z.infer<typeof ledgerEntryView>;

export async function listLedger(
  deps: Deps,
  eventId: string,
  q: LedgerQuery,
): Promise<Page<LedgerEntryView>> {
  await requireEvent(deps, eventId);
  const rows = await deps.prisma.ledgerEntry.findMany({
    where: {
      eventId,
      ...(q.sku ? { sku: q.sku } : {}),
      ...(q.cursor ? { id: { gt: BigInt(q.cursor) } } : {}),
    },
    orderBy: { id: "asc" },
    take: q.limit + 1,
  });
  return toPage(rows, q.limit, toLedgerView, (row) => row.id.toString());
}

export function toLedgerView(row: LedgerEntry): LedgerEntryView {
  return {
    id: row.id.toString(),
    eventId: row.eventId,
    sku: row.sku,
    reason: row.reason,
    quantity: row.quantity,
    reference: row.reference,
    createdAt: row.createdAt.toISOString(),
  };
}

export async function requireEvent(deps: Deps, eventId: string): Promise<void> {
  const event = await deps.prisma.event.findUnique({ where: { id: eventId }, select: { id: true } });
  if (!event) throw notFound("event", { eventId });
}
