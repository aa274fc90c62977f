// The durable side of takes: each statement here moves a take (all its lines: one row per
// stock, one reference) from one status to the next with its ledger rows, all or nothing,
// and only from the statuses named. What Redis did is then applied by a keyed step.
import type { PrismaClient, TakeStatus } from "@prisma/client";

export interface TakeRow {
  stockId: string;
  reference: string;
  userId: string | null;
  quantity: number;
  status: TakeStatus;
  applied: TakeStatus | null;
  expiresAt: Date | null;
  group: string;
}

export interface LineIntent {
  stockId: string;
  quantity: number;
}

/**
 * Records the take's intent (PENDING) where the reference is new; returns every row it has.
 * Given the stocks' groups, a reference new on every line is answered without reading it back.
 */
export async function recordIntent(
  prisma: PrismaClient,
  reference: string,
  userId: string | null,
  lines: LineIntent[],
  groups?: string[],
): Promise<TakeRow[]> {
  const stockIds = lines.map((l) => l.stockId);
  const quantities = lines.map((l) => l.quantity);
  const inserted = await prisma.$executeRaw`
    INSERT INTO "Take" ("stockId", "reference", "userId", "quantity", "status", "updatedAt")
    SELECT l.id, ${reference}, ${userId}, l.q, 'PENDING', now()
    FROM unnest(${stockIds}::text[], ${quantities}::int[]) AS l(id, q)
    ON CONFLICT DO NOTHING`;
  if (groups && groups.length === lines.length && inserted === lines.length) {
    return lines.map((l, i) => ({
      stockId: l.stockId,
      reference,
      userId,
      quantity: l.quantity,
      status: "PENDING",
      applied: null,
      expiresAt: null,
      group: groups[i] ?? "",
    }));
  }
  return readTake(prisma, reference, stockIds);
}

export async function readTake(
  prisma: PrismaClient,
  reference: string,
  stockIds: string[],
): Promise<TakeRow[]> {
  return prisma.$queryRaw<TakeRow[]>`
    SELECT t."stockId", t."reference", t."userId", t."quantity", t."status", t."applied", t."expiresAt", s."group"
    FROM "Take" t JOIN "Stock" s ON s.id = t."stockId"
    WHERE t."reference" = ${reference} AND t."stockId" = ANY(${stockIds}::text[])
    ORDER BY array_position(${stockIds}::text[], t."stockId")`;
}

/** A refused take (or one whose previous try was refused) is tried again. */
export async function retryRefused(
  prisma: PrismaClient,
  reference: string,
  stockIds: string[],
): Promise<void> {
  await prisma.$executeRaw`
    UPDATE "Take" SET "status" = 'PENDING', "updatedAt" = now()
    WHERE "reference" = ${reference} AND "stockId" = ANY(${stockIds}::text[]) AND "status" = 'REFUSED'`;
}

export type RecordTakenResult =
  /** `rows`: the take as recorded, in the order of the lines. */
  | { kind: "recorded"; rows: TakeRow[] }
  /** A stock's Redis state was built again since the step answered: take it again there. */
  | { kind: "stale" }
  /** The take moved on meanwhile (released, or recorded by a duplicate): read it. */
  | { kind: "moved" };

/**
 * PENDING (or REFUSED by a duplicate that lost the race) → HELD or CONFIRMED, with its TAKE
 * (and CONFIRM) ledger rows, only if every stock's state is still the one that answered
 * (its epoch): a take answered by a state since lost cannot be recorded.
 */
export async function recordTaken(
  prisma: PrismaClient,
  reference: string,
  lines: (LineIntent & { epoch: number })[],
  status: "HELD" | "CONFIRMED",
): Promise<RecordTakenResult> {
  const stockIds = lines.map((l) => l.stockId);
  const epochs = lines.map((l) => l.epoch);
  const [row] = await prisma.$queryRaw<
    {
      fenced: number;
      updated: number;
      rows: (Omit<TakeRow, "expiresAt"> & { expiresAt: string | null })[] | null;
    }[]
  >`
    WITH fence AS (
      SELECT s.id FROM "Stock" s
      JOIN unnest(${stockIds}::text[], ${epochs}::int[]) AS l(id, epoch) ON s.id = l.id AND s."stateEpoch" = l.epoch
      FOR SHARE OF s
    ), upd AS (
      UPDATE "Take" t SET "status" = ${status}::"TakeStatus", "applied" = ${status}::"TakeStatus", "updatedAt" = now(),
        "expiresAt" = CASE WHEN ${status} = 'HELD' AND s."holdSeconds" IS NOT NULL
                           THEN now() + s."holdSeconds" * interval '1 second' END
      FROM "Stock" s
      WHERE s.id = t."stockId" AND t."reference" = ${reference} AND t."stockId" = ANY(${stockIds}::text[])
        AND t."status" IN ('PENDING', 'REFUSED') AND (SELECT count(*) FROM fence) = ${lines.length}
      RETURNING t."stockId", t."reference", t."userId", t."quantity", t."status", t."applied", t."expiresAt", s."group"
    ), moves AS (
      INSERT INTO "StockMovement" ("stockId", "reason", "quantity", "reference")
      SELECT "stockId", 'TAKE'::"StockMovementReason", "quantity", ${reference} FROM upd
      UNION ALL
      SELECT "stockId", 'CONFIRM'::"StockMovementReason", "quantity", ${reference} FROM upd WHERE ${status} = 'CONFIRMED'
    )
    SELECT (SELECT count(*) FROM fence)::int AS fenced, (SELECT count(*) FROM upd)::int AS updated,
      (SELECT json_agg(upd) FROM upd) AS rows`;
  if (row && row.updated === lines.length) {
    // As the statement wrote them (no read back), in the order of the lines.
    const byStock = new Map((row.rows ?? []).map((r) => [r.stockId, r]));
    const rows = stockIds.map((id) => {
      const r = byStock.get(id);
      if (!r) throw new Error(`recordTaken: no row for ${id}`);
      // A timestamp column (UTC, as Prisma keeps them) comes out of json_agg without its zone.
      const at = r.expiresAt;
      return {
        ...r,
        expiresAt: at === null ? null : new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(at) ? at : `${at}Z`),
      };
    });
    return { kind: "recorded", rows };
  }
  if (row && row.fenced < lines.length) return { kind: "stale" };
  return { kind: "moved" };
}

/** PENDING → REFUSED: the step said no; a repeat of the reference tries again. */
export async function recordRefused(
  prisma: PrismaClient,
  reference: string,
  stockIds: string[],
): Promise<void> {
  await prisma.$executeRaw`
    UPDATE "Take" SET "status" = 'REFUSED', "updatedAt" = now()
    WHERE "reference" = ${reference} AND "stockId" = ANY(${stockIds}::text[]) AND "status" = 'PENDING'`;
}

/**
 * Any status but RELEASED → RELEASED, with a RELEASE (from HELD) or RETURN (from CONFIRMED)
 * ledger row. `onlyExpired`: only HELD takes whose hold has expired (the loop's sweep).
 * Returns the lines released now (none: released already, or not there).
 */
export async function recordReleased(
  prisma: PrismaClient,
  reference: string,
  stockIds: string[],
  opts: { onlyExpired?: boolean } = {},
): Promise<{ stockId: string; was: TakeStatus }[]> {
  const onlyExpired = opts.onlyExpired ?? false;
  return prisma.$queryRaw<{ stockId: string; was: TakeStatus }[]>`
    WITH old AS (
      SELECT "stockId", "reference", "status", "quantity" FROM "Take"
      WHERE "reference" = ${reference} AND "stockId" = ANY(${stockIds}::text[]) AND "status" <> 'RELEASED'
        AND (NOT ${onlyExpired} OR ("status" = 'HELD' AND "expiresAt" <= now()))
      FOR UPDATE
    ), upd AS (
      UPDATE "Take" t SET "status" = 'RELEASED', "updatedAt" = now()
      FROM old WHERE t."stockId" = old."stockId" AND t."reference" = old."reference"
      RETURNING old."stockId", old."status" AS was, old."quantity"
    ), moves AS (
      INSERT INTO "StockMovement" ("stockId", "reason", "quantity", "reference")
      SELECT "stockId", (CASE was WHEN 'HELD' THEN 'RELEASE' ELSE 'RETURN' END)::"StockMovementReason", "quantity", ${reference}
      FROM upd WHERE was IN ('HELD', 'CONFIRMED')
    )
    SELECT "stockId", was FROM upd`;
}

/** HELD → CONFIRMED with its CONFIRM ledger row; returns the lines confirmed now. */
export async function recordConfirmed(
  prisma: PrismaClient,
  reference: string,
  stockIds: string[],
): Promise<number> {
  const rows = await prisma.$queryRaw<{ stockId: string }[]>`
    WITH upd AS (
      UPDATE "Take" SET "status" = 'CONFIRMED', "expiresAt" = NULL, "updatedAt" = now()
      WHERE "reference" = ${reference} AND "stockId" = ANY(${stockIds}::text[]) AND "status" = 'HELD'
      RETURNING "stockId", "quantity"
    ), moves AS (
      INSERT INTO "StockMovement" ("stockId", "reason", "quantity", "reference")
      SELECT "stockId", 'CONFIRM'::"StockMovementReason", "quantity", ${reference} FROM upd
    )
    SELECT "stockId" FROM upd`;
  return rows.length;
}

/** Notes that Redis now shows `status` for the take (what the loop compares). */
export async function recordApplied(
  prisma: PrismaClient,
  reference: string,
  stockIds: string[],
  status: TakeStatus,
): Promise<void> {
  await prisma.$executeRaw`
    UPDATE "Take" SET "applied" = ${status}::"TakeStatus"
    WHERE "reference" = ${reference} AND "stockId" = ANY(${stockIds}::text[]) AND "status" = ${status}::"TakeStatus"`;
}
