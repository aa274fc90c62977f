// The durable side of tickets: every accepted ticket and its final outcome in PostgreSQL,
// so the waiting room can be rebuilt after Redis loses its state. Writes go in group
// commits: under load many tickets share one round trip.
import type { PrismaClient } from "@prisma/client";
import { isConnectionFault } from "../db/faults.js";
import { GroupCommit } from "../db/group-commit.js";

export interface TicketRow {
  id: string;
  eventId: string;
  sku: string;
  userId: string;
  quantity: number;
  seq: number;
  status: "PREQUEUE" | "QUEUED";
}

export interface TicketOutcome {
  ticketId: string;
  status: "CONFIRMED" | "REJECTED" | "FAILED" | "CANCELLED";
  reason?: string | null;
  orderId?: string | null;
}

export class TicketStore {
  readonly #joins: GroupCommit<TicketRow>;
  readonly #outcomes: GroupCommit<TicketOutcome>;

  constructor(private readonly prisma: PrismaClient) {
    this.#joins = new GroupCommit((rows) => this.#writeJoins(rows), { isBatchFault: isConnectionFault });
    this.#outcomes = new GroupCommit((outcomes) => this.#writeOutcomes(outcomes), {
      isBatchFault: isConnectionFault,
    });
  }

  /** Resolves once the ticket is durable (a second call for the same ticket is harmless). */
  recordJoin(row: TicketRow): Promise<void> {
    return this.#joins.add(row);
  }

  recordOutcome(outcome: TicketOutcome): Promise<void> {
    return this.#outcomes.add(outcome);
  }

  /**
   * Records the end of a sale for the tickets that were still waiting. Written whole (an
   * upsert): a ticket that joined just before the end may have its join's write still on
   * its way, which then finds the row and leaves it.
   */
  async recordSaleEnded(tickets: Omit<TicketRow, "status">[]): Promise<void> {
    for (let i = 0; i < tickets.length; i += 5000) {
      const batch = tickets.slice(i, i + 5000);
      const column = <K extends keyof Omit<TicketRow, "status">>(key: K) => batch.map((t) => t[key]);
      await this.prisma.$executeRaw`
        INSERT INTO "Ticket" (id, "eventId", sku, "userId", quantity, seq, status, reason, "decidedAt")
        SELECT v.id, v."eventId", v.sku, v."userId", v.quantity, v.seq, 'REJECTED', 'SALE_ENDED', now()
        FROM unnest(${column("id")}::text[], ${column("eventId")}::text[], ${column("sku")}::text[],
                    ${column("userId")}::text[], ${column("quantity")}::int[], ${column("seq")}::int[])
          AS v(id, "eventId", sku, "userId", quantity, seq)
        ON CONFLICT (id) DO UPDATE SET status = 'REJECTED', reason = 'SALE_ENDED', "decidedAt" = now()
        WHERE "Ticket".status IN ('PREQUEUE', 'QUEUED')`;
    }
  }

  /** Records the places the start of a sale gave the pre-queue. */
  async recordPlaces(places: { ticketId: string; seq: number }[]): Promise<void> {
    for (let i = 0; i < places.length; i += 5000) {
      const batch = places.slice(i, i + 5000);
      const ids = batch.map((p) => p.ticketId);
      const seqs = batch.map((p) => p.seq);
      await this.prisma.$executeRaw`
        UPDATE "Ticket" AS t SET seq = v.seq, status = 'QUEUED'
        FROM unnest(${ids}::text[], ${seqs}::int[]) AS v(id, seq)
        WHERE t.id = v.id AND t.status = 'PREQUEUE'`;
    }
  }

  /** One statement per batch (raw SQL: Prisma's createMany costs the API far more CPU). */
  async #writeJoins(rows: TicketRow[]): Promise<void> {
    const column = <K extends keyof TicketRow>(key: K) => rows.map((t) => t[key]);
    await this.prisma.$executeRaw`
      INSERT INTO "Ticket" (id, "eventId", sku, "userId", quantity, seq, status)
      SELECT v.id, v."eventId", v.sku, v."userId", v.quantity, v.seq, v.status::"TicketStatus"
      FROM unnest(${column("id")}::text[], ${column("eventId")}::text[], ${column("sku")}::text[],
                  ${column("userId")}::text[], ${column("quantity")}::int[], ${column("seq")}::int[],
                  ${column("status")}::text[])
        AS v(id, "eventId", sku, "userId", quantity, seq, status)
      ON CONFLICT (id) DO NOTHING`;
  }

  async #writeOutcomes(outcomes: TicketOutcome[]): Promise<void> {
    const ids = outcomes.map((o) => o.ticketId);
    const statuses = outcomes.map((o) => o.status);
    const reasons = outcomes.map((o) => o.reason ?? null);
    const orderIds = outcomes.map((o) => o.orderId ?? null);
    await this.prisma.$executeRaw`
      UPDATE "Ticket" AS t
      SET status = v.status::"TicketStatus", reason = v.reason, "orderId" = COALESCE(v."orderId", t."orderId"),
          "decidedAt" = now()
      FROM unnest(${ids}::text[], ${statuses}::text[], ${reasons}::text[], ${orderIds}::text[])
        AS v(id, status, reason, "orderId")
      -- A ticket's first final outcome stands: a late copy from Redis (a redelivery, a
      -- reconcile) never turns a CANCELLED ticket CONFIRMED again.
      WHERE t.id = v.id AND t.status IN ('PREQUEUE', 'QUEUED', 'PROCESSING')`;
  }
}
