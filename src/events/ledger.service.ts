// Reading an event's stock ledger (insert-only; every change of stock with its reason and
// reference), in id order, a page at a time. Since issue 13 it is the core's ledger
// (StockMovement) of the event's products' stocks, shown in the v1 shape: each movement with its
// event and sku, and its reason under the sale's v1 name (SALE_REASONS).
import type { StockMovementReason } from "@prisma/client";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { notFound } from "../errors.js";
import type { StockMovementView } from "../stock/stock.schemas.js";
import { movementsPage } from "../stock/stock-ledger.js";
import { EVENT_ID, SKU, TIME } from "./event.schemas.js";
import { type Page, pageLimit } from "./paging.js";

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
type LedgerReason = (typeof LEDGER_REASONS)[number];

/**
 * The core reason a sale's movement is written with, per v1 name: a reservation is a take (its
 * ticket), a sale confirms it and a failed purchase releases it (the order), a cancel returns
 * the units (the order).
 */
export const SALE_REASONS = {
  INITIAL: "INITIAL",
  ADJUST: "ADJUST",
  RESERVE: "TAKE",
  SALE: "CONFIRM",
  RESTORE: "RELEASE",
  CANCEL: "RETURN",
} as const satisfies Record<LedgerReason, StockMovementReason>;

const V1_REASON = new Map<string, LedgerReason>(
  Object.entries(SALE_REASONS).map(([v1, core]) => [core, v1 as LedgerReason]),
);

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
  const products = await deps.prisma.product.findMany({
    where: { eventId, ...(q.sku ? { sku: q.sku } : {}) },
    select: { sku: true, stockId: true },
  });
  const skuOf = new Map(products.map((p) => [p.stockId, p.sku]));
  return movementsPage(deps, [...skuOf.keys()], q, (m) =>
    toLedgerView(eventId, skuOf.get(m.stockId) ?? "", m),
  );
}

export function toLedgerView(eventId: string, sku: string, m: StockMovementView): LedgerEntryView {
  const reason = V1_REASON.get(m.reason);
  // An event product's stock moves only by the sale (and its admin): never INBOUND or a transfer.
  if (!reason) throw new Error(`movement ${m.id} of ${m.stockId}: ${m.reason} has no v1 name`);
  return {
    id: m.id,
    eventId,
    sku,
    reason,
    quantity: m.quantity,
    reference: m.reference,
    createdAt: m.createdAt,
  };
}

export async function requireEvent(deps: Deps, eventId: string): Promise<void> {
  const event = await deps.prisma.event.findUnique({ where: { id: eventId }, select: { id: true } });
  if (!event) throw notFound("event", { eventId });
}
