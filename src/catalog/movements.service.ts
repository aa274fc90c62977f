// Goods in and between locations: a receipt raises a location's stocks (ledger INBOUND), a
// transfer moves units from one location to another (TRANSFER_OUT and TRANSFER_IN), both sides
// or neither, through the stock core's moveTotals (src/stock/stock-moves.ts): the source is
// lowered first (refused when fewer are available), both sides recorded in one transaction,
// then the destination raised. Each is keyed by the caller's reference: a repeat with the same
// body answers the same, another body 409 REFERENCE_CONFLICT. And the location's ledger.
import { Prisma } from "@prisma/client";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import { movementsPage } from "../stock/stock-ledger.js";
import { moveTotals, type TotalMove } from "../stock/stock-moves.js";
import type { LocationLedgerEntryView, ReceiptInput, TransferInput } from "./catalog.schemas.js";
import { ensureLocationStock, requireLocation, requireProducts } from "./locations.service.js";

type Line = { sku: string; quantity: number };

const sorted = (lines: Line[]) =>
  [...lines].sort((a, b) => a.sku.localeCompare(b.sku)).map((l) => ({ sku: l.sku, quantity: l.quantity }));

const sameLines = (a: unknown, b: Line[]) =>
  JSON.stringify(sorted(a as Line[])) === JSON.stringify(sorted(b));

const conflict = (reference: string) =>
  new AppError({
    code: "REFERENCE_CONFLICT",
    message: "This reference was already used with another body",
    details: { reference },
  });

const isUnique = (err: unknown) =>
  err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002";

export interface MovementView {
  reference: string;
  lines: Line[];
  createdAt: string;
}

const viewOf = (row: { reference: string; lines: unknown; createdAt: Date }): MovementView => ({
  reference: row.reference,
  lines: sorted(row.lines as Line[]),
  createdAt: row.createdAt.toISOString(),
});

export async function receive(deps: Deps, locationId: string, input: ReceiptInput): Promise<MovementView> {
  await requireLocation(deps, locationId);
  await requireProducts(
    deps,
    input.lines.map((l) => l.sku),
  );
  const known = async () => {
    const row = await deps.prisma.receipt.findUnique({ where: { reference: input.reference } });
    if (row && (row.locationId !== locationId || !sameLines(row.lines, input.lines)))
      throw conflict(input.reference);
    return row;
  };
  const before = await known();
  if (before) return viewOf(before);
  const stocks = await Promise.all(input.lines.map((l) => ensureLocationStock(deps, locationId, l.sku)));
  const moves: TotalMove[] = input.lines.map((l, i) => ({
    stockId: stocks[i]?.stockId ?? "",
    delta: l.quantity,
    reason: "INBOUND",
  }));
  try {
    await moveTotals(deps, `receipt:${input.reference}`, moves, async (tx) => {
      await tx.receipt.create({
        data: { reference: input.reference, locationId, lines: sorted(input.lines) },
      });
    });
  } catch (err) {
    if (!isUnique(err)) throw err;
  }
  const after = await known();
  if (!after) throw conflict(input.reference);
  return viewOf(after);
}

export async function transfer(deps: Deps, input: TransferInput): Promise<MovementView> {
  await requireLocation(deps, input.from);
  await requireLocation(deps, input.to);
  await requireProducts(
    deps,
    input.lines.map((l) => l.sku),
  );
  const known = async () => {
    const row = await deps.prisma.transfer.findUnique({ where: { reference: input.reference } });
    if (row && (row.fromId !== input.from || row.toId !== input.to || !sameLines(row.lines, input.lines)))
      throw conflict(input.reference);
    return row;
  };
  const before = await known();
  if (before) return viewOf(before);
  const sources = await deps.prisma.locationStock.findMany({
    where: { locationId: input.from, sku: { in: input.lines.map((l) => l.sku) } },
  });
  const sourceOf = new Map(sources.map((s) => [s.sku, s.stockId]));
  const absent = input.lines.find((l) => !sourceOf.has(l.sku));
  if (absent) throw short(absent.sku, 0);
  const targets = await Promise.all(input.lines.map((l) => ensureLocationStock(deps, input.to, l.sku)));
  const moves: TotalMove[] = input.lines.flatMap((l, i) => [
    { stockId: sourceOf.get(l.sku) ?? "", delta: -l.quantity, reason: "TRANSFER_OUT" as const },
    { stockId: targets[i]?.stockId ?? "", delta: l.quantity, reason: "TRANSFER_IN" as const },
  ]);
  try {
    await moveTotals(deps, `transfer:${input.reference}`, moves, async (tx) => {
      await tx.transfer.create({
        data: { reference: input.reference, fromId: input.from, toId: input.to, lines: sorted(input.lines) },
      });
    });
  } catch (err) {
    if (err instanceof AppError && err.code === "SOLD_OUT") {
      const stockId = err.details?.stockId;
      const sku = sources.find((s) => s.stockId === stockId)?.sku ?? "";
      throw short(sku, Number(err.details?.available ?? 0));
    }
    if (!isUnique(err)) throw err;
  }
  const after = await known();
  if (!after) throw conflict(input.reference);
  return viewOf(after);
}

function short(sku: string, available: number): AppError {
  return new AppError({
    code: "SOLD_OUT",
    message: "The source location has fewer units available than the transfer moves",
    details: { sku, available },
  });
}

/** The ledger of a location's stocks (one product, or all), in id order, a page at a time. */
export async function locationLedger(
  deps: Deps,
  locationId: string,
  query: { sku?: string | undefined; limit: number; cursor?: string | undefined },
) {
  await requireLocation(deps, locationId);
  const stocks = await deps.prisma.locationStock.findMany({
    where: { locationId, ...(query.sku ? { sku: query.sku } : {}) },
  });
  const skuOf = new Map(stocks.map((s) => [s.stockId, s.sku]));
  return movementsPage(
    deps,
    [...skuOf.keys()],
    query,
    (m): LocationLedgerEntryView => ({ ...m, sku: skuOf.get(m.stockId) ?? "" }),
  );
}
