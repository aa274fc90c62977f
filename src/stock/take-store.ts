// The durable side of takes: each statement here moves a take (all its lines: one row per
// stock, one reference) from one status to the next with its ledger rows, all or nothing,
// and only from the statuses named. What Redis did is then applied by a keyed step.
import type { PrismaClient, TakeStatus } from "@prisma/client";
import { isConnectionFault } from "../db/faults.js";
import { GroupCommit } from "../db/group-commit.js";

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
    UPDATE "Take" SET "status" = 'PENDING', "applied" = NULL, "updatedAt" = now()
    WHERE "reference" = ${reference} AND "stockId" = ANY(${stockIds}::text[]) AND "status" = 'REFUSED'`;
}

export type RecordTakenResult =
  /** Recorded now: each line's hold expiry (null: none), in the order of the lines. */
  | { kind: "recorded"; expiresAt: (Date | null)[] }
  /** A stock's Redis state was built again since the step answered: take it again there. */
  | { kind: "stale" }
  /** The take moved on meanwhile (released, or recorded by a duplicate): read it. */
  | { kind: "moved" };

export interface TakeIntent {
  reference: string;
  userId: string | null;
  lines: LineIntent[];
}

export interface TakeOutcome {
  reference: string;
  lines: (LineIntent & { epoch: number })[];
  status: "HELD" | "CONFIRMED";
}

type RowWithoutGroup = Omit<TakeRow, "group">;

/**
 * The two writes every take makes, shared by the takes that arrive together (a group commit:
 * one statement and one commit for many, each still answered on its own): its intent, and
 * the record of what its Redis step decided.
 */
export class TakeStore {
  readonly #intents: GroupCommit<TakeIntent, RowWithoutGroup[]>;
  readonly #outcomes: GroupCommit<TakeOutcome, RecordTakenResult>;

  constructor(private readonly prisma: PrismaClient) {
    const opts = { maxBatch: 200, isBatchFault: isConnectionFault };
    this.#intents = new GroupCommit((items) => this.#writeIntents(items), opts);
    this.#outcomes = new GroupCommit((items) => this.#writeOutcomes(items), opts);
  }

  /** Records the take's intent (PENDING) where the reference is new; returns every row it has. */
  async recordIntent(intent: TakeIntent): Promise<RowWithoutGroup[]> {
    const rows = await this.#intents.add(intent);
    if (rows.length === intent.lines.length) return rows;
    // Inserted meanwhile by a call this statement's snapshot could not see: read it now.
    return readTake(
      this.prisma,
      intent.reference,
      intent.lines.map((l) => l.stockId),
    );
  }

  /**
   * PENDING (or REFUSED by a duplicate that lost the race) → HELD or CONFIRMED, with its TAKE
   * (and CONFIRM) ledger rows, only if every stock's state is still the one that answered (its
   * epoch, read under the stock's row lock): a take answered by a state since lost cannot be
   * recorded. All lines or none.
   */
  recordTaken(outcome: TakeOutcome): Promise<RecordTakenResult> {
    return this.#outcomes.add(outcome);
  }

  async #writeIntents(items: TakeIntent[]): Promise<RowWithoutGroup[][]> {
    const lines = items.flatMap((item) =>
      item.lines.map((l) => ({ ...l, reference: item.reference, userId: item.userId })),
    );
    const rows = await this.prisma.$queryRaw<RowWithoutGroup[]>`
      WITH input AS (
        SELECT * FROM unnest(${lines.map((l) => l.stockId)}::text[], ${lines.map((l) => l.reference)}::text[],
                             ${lines.map((l) => l.userId)}::text[], ${lines.map((l) => l.quantity)}::int[])
          AS i(sid, ref, uid, qty)
      ), ins AS (
        INSERT INTO "Take" ("stockId", "reference", "userId", "quantity", "status", "updatedAt")
        SELECT sid, ref, uid, qty, 'PENDING', now() FROM input
        ON CONFLICT DO NOTHING
        RETURNING "stockId", "reference", "userId", "quantity", "status", "applied", "expiresAt"
      )
      SELECT * FROM ins
      UNION ALL
      SELECT t."stockId", t."reference", t."userId", t."quantity", t."status", t."applied", t."expiresAt"
      FROM "Take" t JOIN (SELECT DISTINCT sid, ref FROM input) i ON t."stockId" = i.sid AND t."reference" = i.ref`;
    const byKey = new Map(rows.map((r) => [`${r.stockId}\u0000${r.reference}`, r]));
    return items.map((item) =>
      item.lines.flatMap((l) => byKey.get(`${l.stockId}\u0000${item.reference}`) ?? []),
    );
  }

  async #writeOutcomes(items: TakeOutcome[]): Promise<RecordTakenResult[]> {
    const lines = items.flatMap((item, idx) =>
      item.lines.map((l) => ({ ...l, idx, reference: item.reference, status: item.status })),
    );
    const rows = await this.prisma.$queryRaw<
      { idx: number; sid: string; fenced: boolean; updated: boolean; expiresAt: Date | null }[]
    >`
      WITH input AS (
        SELECT * FROM unnest(${lines.map((l) => l.idx)}::int[], ${lines.map((l) => l.stockId)}::text[],
                             ${lines.map((l) => l.reference)}::text[], ${lines.map((l) => l.epoch)}::int[],
                             ${lines.map((l) => l.status)}::text[])
          AS i(idx, sid, ref, epoch, st)
      ), fence AS (
        SELECT s.id, s."stateEpoch", s."holdSeconds" FROM "Stock" s
        WHERE s.id IN (SELECT DISTINCT sid FROM input) ORDER BY s.id FOR SHARE
      ), ok AS (
        SELECT i.idx FROM input i LEFT JOIN fence f ON f.id = i.sid AND f."stateEpoch" = i.epoch
        GROUP BY i.idx HAVING bool_and(f.id IS NOT NULL)
      ), upd AS (
        UPDATE "Take" t SET "status" = i.st::"TakeStatus", "applied" = i.st::"TakeStatus", "updatedAt" = now(),
          "expiresAt" = CASE WHEN i.st = 'HELD' AND f."holdSeconds" IS NOT NULL
                             THEN now() + f."holdSeconds" * interval '1 second' END
        FROM input i JOIN fence f ON f.id = i.sid
        WHERE i.idx IN (SELECT idx FROM ok) AND t."stockId" = i.sid AND t."reference" = i.ref
          AND t."status" IN ('PENDING', 'REFUSED')
        RETURNING t."stockId", t."reference", t."quantity", t."expiresAt", i.st
      ), moves AS (
        INSERT INTO "StockMovement" ("stockId", "reason", "quantity", "reference")
        SELECT "stockId", 'TAKE'::"StockMovementReason", "quantity", "reference" FROM upd
        UNION ALL
        SELECT "stockId", 'CONFIRM'::"StockMovementReason", "quantity", "reference" FROM upd WHERE st = 'CONFIRMED'
      )
      SELECT i.idx, i.sid, (i.idx IN (SELECT idx FROM ok)) AS fenced, u."stockId" IS NOT NULL AS updated, u."expiresAt"
      FROM input i LEFT JOIN upd u ON u."stockId" = i.sid AND u."reference" = i.ref`;
    return items.map((item, idx) => {
      const mine = rows.filter((r) => Number(r.idx) === idx);
      if (mine.length > 0 && mine.every((r) => r.updated)) {
        const expiry = new Map(mine.map((r) => [r.sid, r.expiresAt]));
        return { kind: "recorded", expiresAt: item.lines.map((l) => expiry.get(l.stockId) ?? null) };
      }
      if (mine.some((r) => !r.fenced)) return { kind: "stale" };
      return { kind: "moved" };
    });
  }
}

/** PENDING → REFUSED: the step said no; a repeat of the reference tries again. */
export async function recordRefused(
  prisma: PrismaClient,
  reference: string,
  stockIds: string[],
): Promise<void> {
  await prisma.$executeRaw`
    UPDATE "Take" SET "status" = 'REFUSED', "applied" = 'REFUSED', "updatedAt" = now()
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
      UPDATE "Take" t SET "status" = 'RELEASED', "applied" = NULL, "updatedAt" = now()
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
      UPDATE "Take" SET "status" = 'CONFIRMED', "applied" = NULL, "expiresAt" = NULL, "updatedAt" = now()
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
