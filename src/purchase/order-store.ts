// The durable side of purchases: each order with its two ledger rows (on its product's core
// stock: TAKE, then CONFIRM or RELEASE) and its ticket's outcome, all or nothing, at most one
// order per ticket. Orders placed at the same time share one statement (a group commit): one
// round trip and one commit for many purchases, while each still gets its own answer.
import type { PrismaClient } from "@prisma/client";
import { isConnectionFault } from "../db/faults.js";
import { GroupCommit } from "../db/group-commit.js";

export interface OrderToPlace {
  /** The new order's id, used only if the ticket has no order yet. */
  id: string;
  eventId: string;
  ticketId: string;
  sku: string;
  userId: string;
  qty: number;
  amountCents: number;
  status: "CONFIRMED" | "FAILED";
  reason: string | null;
  /** Event.stateEpoch of the Redis state the reservation was made in. */
  epoch: number;
}

export interface PlacedOrder {
  id: string;
  status: "CONFIRMED" | "FAILED" | "CANCELLED";
  reason: string | null;
}

export type PlaceResult =
  /** Written now, or the ticket's order written by an earlier delivery (which stands). */
  | { kind: "placed"; order: PlacedOrder }
  /** The event's Redis state was rebuilt since the reservation: nothing written. */
  | { kind: "stale" }
  /** The event has no row in this database: nothing written. */
  | { kind: "unknownEvent" };

interface Row {
  id: string;
  known: boolean;
  fresh: boolean;
  inserted: boolean;
  existingId: string | null;
  existingStatus: PlacedOrder["status"] | null;
  existingReason: string | null;
}

export class OrderStore {
  readonly #places: GroupCommit<OrderToPlace, PlaceResult>;

  constructor(private readonly prisma: PrismaClient) {
    this.#places = new GroupCommit((orders) => this.#write(orders), {
      maxBatch: 200,
      isBatchFault: isConnectionFault,
    });
  }

  /** Resolves once the order (or the ticket's earlier one) is committed. */
  place(order: OrderToPlace): Promise<PlaceResult> {
    return this.#places.add(order);
  }

  async #write(orders: OrderToPlace[]): Promise<PlaceResult[]> {
    const column = <K extends keyof OrderToPlace>(key: K) => orders.map((o) => o[key]);
    // The fence: the weakest row lock on each event (FOR KEY SHARE, as a foreign key check
    // takes), held by every purchase at once and by no admin update of the event, but which
    // a rebuild's FOR UPDATE waits for. So an order either commits before the rebuild reads
    // the orders, or sees the new epoch and is not written at all: never an order the
    // rebuilt counters do not know of.
    //
    // A ticket that has its order already keeps it (ON CONFLICT DO NOTHING); its order is
    // read back from the statement's snapshot, or after it when it committed meanwhile.
    const rows = await this.prisma.$queryRaw<Row[]>`
      WITH v AS (
        SELECT * FROM unnest(${column("id")}::text[], ${column("eventId")}::text[], ${column("ticketId")}::text[],
                             ${column("sku")}::text[], ${column("userId")}::text[], ${column("qty")}::int[],
                             ${column("amountCents")}::bigint[], ${column("status")}::text[], ${column("reason")}::text[],
                             ${column("epoch")}::int[])
          AS v(id, "eventId", "ticketId", sku, "userId", quantity, "amountCents", status, reason, epoch)
      ), fence AS (
        SELECT id, "stateEpoch" FROM "Event" WHERE id IN (SELECT "eventId" FROM v) FOR KEY SHARE
      ), fresh AS (
        SELECT v.* FROM v JOIN fence ON fence.id = v."eventId" AND fence."stateEpoch" = v.epoch
      ), placed AS (
        INSERT INTO "Order" (id, "ticketId", "eventId", sku, "userId", quantity, "amountCents", status, reason, "updatedAt")
        SELECT id, "ticketId", "eventId", sku, "userId", quantity, "amountCents", status::"OrderStatus", reason, now()
        FROM fresh
        ON CONFLICT ("ticketId") DO NOTHING
        RETURNING id, "ticketId", "eventId", sku, quantity, status, reason
      ), ledger AS (
        -- The product's core ledger (v1: RESERVE, then SALE or RESTORE; see events/ledger.service.ts).
        INSERT INTO "StockMovement" ("stockId", reason, quantity, reference)
        SELECT pr."stockId", l.reason::"StockMovementReason", p.quantity, l.reference
        FROM placed p
        JOIN "Product" pr ON pr."eventId" = p."eventId" AND pr.sku = p.sku
        CROSS JOIN LATERAL (VALUES
          (1, 'TAKE', p."ticketId"),
          (2, CASE WHEN p.status = 'FAILED' THEN 'RELEASE' ELSE 'CONFIRM' END, p.id)
        ) AS l(n, reason, reference)
        ORDER BY p.id, l.n
      ), ticket AS (
        UPDATE "Ticket" AS t
        SET status = p.status::text::"TicketStatus", reason = p.reason, "orderId" = p.id, "decidedAt" = now()
        FROM placed p WHERE t.id = p."ticketId"
      )
      SELECT v.id, fence.id IS NOT NULL AS known, fresh.id IS NOT NULL AS fresh, placed.id IS NOT NULL AS inserted,
             o.id AS "existingId", o.status::text AS "existingStatus", o.reason AS "existingReason"
      FROM v
      LEFT JOIN fence ON fence.id = v."eventId"
      LEFT JOIN fresh ON fresh.id = v.id
      LEFT JOIN placed ON placed.id = v.id
      LEFT JOIN "Order" AS o ON placed.id IS NULL AND o."ticketId" = v."ticketId"`;
    const byId = new Map(rows.map((row) => [row.id, row]));
    return Promise.all(orders.map((order) => this.#resultOf(order, byId.get(order.id))));
  }

  async #resultOf(order: OrderToPlace, row: Row | undefined): Promise<PlaceResult> {
    if (!row) throw new Error(`order of ticket ${order.ticketId}: no answer from the statement`);
    if (!row.known) return { kind: "unknownEvent" };
    if (!row.fresh) return { kind: "stale" };
    if (row.inserted)
      return { kind: "placed", order: { id: order.id, status: order.status, reason: order.reason } };
    if (row.existingId && row.existingStatus)
      return {
        kind: "placed",
        order: { id: row.existingId, status: row.existingStatus, reason: row.existingReason },
      };
    // Its order committed while the statement ran (after its snapshot was taken).
    const existing = await this.prisma.order.findUnique({ where: { ticketId: order.ticketId } });
    if (!existing) throw new Error(`order of ticket ${order.ticketId} neither written nor found`);
    return { kind: "placed", order: { id: existing.id, status: existing.status, reason: existing.reason } };
  }
}
