// What both ways of placing an order share: the order's id and its take's reference (both follow
// from the caller's reference), the shapes of a placed line, the order's view, the comparison of
// a repeat with the order its reference placed, and the one statement that writes an order.
import { createHash } from "node:crypto";
import type {
  CatalogOrder,
  CatalogOrderLine,
  CatalogOrderStatus,
  Prisma,
  PrismaClient,
} from "@prisma/client";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import type { CatalogOrderView } from "./catalog.schemas.js";

/** An order's id follows from its reference: a repeat (or a crash's retry) meets the same take. */
export const orderIdOf = (reference: string) =>
  `ord_${createHash("sha256").update(reference).digest("base64url").slice(0, 22)}`;
export const takeReferenceOf = (orderId: string) => `order:${orderId}`;

export interface OrderSpec {
  reference: string;
  userId: string | null;
  channel: "ONLINE" | "OFFLINE";
  fulfilment: "DELIVERY" | "SAME_DAY" | "PICKUP" | null;
  locationId: string;
  lines: { sku: string; quantity: number }[];
}

/** A line as placed: its price, and the stock it took from. */
export interface PlacedLine {
  sku: string;
  quantity: number;
  priceCents: number;
  locationId: string;
  stockId: string;
}

export type OrderRow = CatalogOrder & { lines: CatalogOrderLine[] };

export const orderView = (o: OrderRow): CatalogOrderView => ({
  orderId: o.id,
  reference: o.reference,
  userId: o.userId,
  channel: o.channel,
  fulfilment: o.fulfilment,
  status: o.status,
  lines: [...o.lines]
    .sort((a, b) => a.sku.localeCompare(b.sku))
    .map((l) => ({ sku: l.sku, quantity: l.quantity, locationId: l.locationId, priceCents: l.priceCents })),
  amountCents: Number(o.amountCents),
  createdAt: o.createdAt.toISOString(),
});

export const soldOut = (sku: string) =>
  new AppError({ code: "SOLD_OUT", message: "Not enough of this product is left here", details: { sku } });

export const conflict = (reference: string) =>
  new AppError({
    code: "REFERENCE_CONFLICT",
    message: "This reference was already used with another body",
    details: { reference },
  });

const lineKeys = (lines: { sku: string; quantity: number }[]) =>
  [...lines]
    .sort((a, b) => a.sku.localeCompare(b.sku))
    .map((l) => `${l.sku}×${l.quantity}`)
    .join();

/** The order its reference placed, if any; 409 REFERENCE_CONFLICT if it is not this one. */
export async function existing(deps: Deps, spec: OrderSpec): Promise<OrderRow | null> {
  const row = await deps.prisma.catalogOrder.findUnique({
    where: { reference: spec.reference },
    include: { lines: true },
  });
  const same =
    row &&
    row.channel === spec.channel &&
    row.fulfilment === spec.fulfilment &&
    row.locationId === spec.locationId &&
    row.userId === spec.userId &&
    lineKeys(row.lines) === lineKeys(spec.lines);
  if (row && !same) throw conflict(spec.reference);
  return row;
}

export async function existingOrThrow(deps: Deps, spec: OrderSpec): Promise<OrderRow> {
  const row = await existing(deps, spec);
  if (!row) throw conflict(spec.reference);
  return row;
}

/**
 * The order and its lines in one statement, once: null when its reference (or id) is there
 * already (a concurrent repeat), else the order as written.
 */
export async function insertOrder(
  db: PrismaClient | Prisma.TransactionClient,
  o: { orderId: string; spec: OrderSpec; status: CatalogOrderStatus; lines: PlacedLine[] },
): Promise<OrderRow | null> {
  const amount = o.lines.reduce((sum, l) => sum + BigInt(l.priceCents) * BigInt(l.quantity), 0n);
  const { spec, lines } = o;
  const [row] = await db.$queryRaw<{ createdAt: Date; updatedAt: Date }[]>`
    WITH o AS (
      INSERT INTO "CatalogOrder" ("id", "reference", "userId", "channel", "fulfilment", "status", "locationId", "amountCents", "updatedAt")
      VALUES (${o.orderId}, ${spec.reference}, ${spec.userId}, ${spec.channel}::"OrderChannel",
              ${spec.fulfilment}::"Fulfilment", ${o.status}::"CatalogOrderStatus", ${spec.locationId}, ${amount}, now())
      ON CONFLICT DO NOTHING
      RETURNING "id", "createdAt", "updatedAt"
    ), l AS (
      INSERT INTO "CatalogOrderLine" ("orderId", "sku", "quantity", "priceCents", "locationId", "stockId")
      SELECT o."id", x.sku, x.q, x.p, ${spec.locationId}, x.s FROM o,
        unnest(${lines.map((l) => l.sku)}::text[], ${lines.map((l) => l.quantity)}::int[],
               ${lines.map((l) => l.priceCents)}::int[], ${lines.map((l) => l.stockId)}::text[]) AS x(sku, q, p, s)
    )
    SELECT "createdAt", "updatedAt" FROM o`;
  if (!row) return null;
  return {
    id: o.orderId,
    reference: spec.reference,
    userId: spec.userId,
    channel: spec.channel,
    fulfilment: spec.fulfilment,
    status: o.status,
    locationId: spec.locationId,
    amountCents: amount,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    lines: lines.map((l) => ({ orderId: o.orderId, ...l })),
  };
}
