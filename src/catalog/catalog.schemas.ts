// Shapes of the catalog's API (shared API.md, "Catalog, locations and orders"): products,
// locations, receipts and transfers, orders. The views' TypeScript types are inferred here.
import { z } from "zod";
import { TIME } from "../events/event.schemas.js";
import { pageLimit } from "../events/paging.js";
import { REFERENCE, stockMovementView, USER_ID } from "../stock/stock.schemas.js";

export const CATALOG_SKU = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, "1–64 characters of A-Z a-z 0-9 . _ -")
  .describe("The product's code in the catalog");
export const LOCATION_ID = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a location id");
export const ORDER_ID = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "an order id");

export const LOCATION_KINDS = ["WAREHOUSE", "STORE"] as const;
export const CHANNELS = ["ONLINE", "OFFLINE"] as const;
export const FULFILMENTS = ["DELIVERY", "SAME_DAY", "PICKUP"] as const;
export const ORDER_STATUSES = ["PENDING", "PAID", "FULFILLED", "CANCELLED"] as const;

export const productInput = z.strictObject({
  sku: CATALOG_SKU,
  name: z.string().trim().min(1).max(200),
  priceCents: z.number().int().min(0).max(100_000_000),
  description: z.string().max(2000).optional(),
});
export type ProductInput = z.infer<typeof productInput>;

export const locationInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    kind: z.enum(LOCATION_KINDS),
    lat: z.number().min(-90).max(90).optional(),
    lng: z.number().min(-180).max(180).optional(),
  })
  .refine((l) => (l.lat === undefined) === (l.lng === undefined), {
    message: "lat and lng come together",
    path: ["lng"],
  });
export type LocationInput = z.infer<typeof locationInput>;

const quantity = z.number().int().min(1).max(1_000_000);
const lines = (max: number) =>
  z
    .array(z.strictObject({ sku: CATALOG_SKU, quantity }))
    .min(1)
    .max(max)
    .refine((ls) => new Set(ls.map((l) => l.sku)).size === ls.length, "each sku once");

export const receiptInput = z.strictObject({ reference: REFERENCE, lines: lines(200) });
export type ReceiptInput = z.infer<typeof receiptInput>;

export const transferInput = z
  .strictObject({ reference: REFERENCE, from: LOCATION_ID, to: LOCATION_ID, lines: lines(200) })
  .refine((t) => t.from !== t.to, { message: "from and to differ", path: ["to"] });
export type TransferInput = z.infer<typeof transferInput>;

const orderLines = z
  .array(z.strictObject({ sku: CATALOG_SKU, quantity: z.number().int().min(1).max(10_000) }))
  .min(1)
  .max(50)
  .refine((ls) => new Set(ls.map((l) => l.sku)).size === ls.length, "each sku once");

export const onlineOrderInput = z
  .strictObject({
    reference: REFERENCE,
    userId: USER_ID,
    fulfilment: z.enum(FULFILMENTS),
    storeId: LOCATION_ID.optional().describe("The store of a SAME_DAY or PICKUP order"),
    lines: orderLines,
  })
  .refine((o) => o.fulfilment === "DELIVERY" || o.storeId !== undefined, {
    message: "SAME_DAY and PICKUP orders name their store",
    path: ["storeId"],
  });
export type OnlineOrderInput = z.infer<typeof onlineOrderInput>;

export const storeOrderInput = z.strictObject({
  reference: REFERENCE,
  userId: USER_ID.optional(),
  lines: orderLines,
});
export type StoreOrderInput = z.infer<typeof storeOrderInput>;

export const catalogLedgerQuery = z.strictObject({
  sku: CATALOG_SKU.optional(),
  limit: pageLimit,
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, "the nextCursor of the previous page")
    .optional(),
});

export const catalogOrdersQuery = z.strictObject({
  channel: z.enum(CHANNELS).optional(),
  locationId: LOCATION_ID.optional(),
  limit: pageLimit,
  cursor: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "the nextCursor of the previous page")
    .optional(),
});

export const nearbyQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(50).default(5) });

// What goes out.
export const productView = z
  .object({
    sku: CATALOG_SKU,
    name: z.string(),
    priceCents: z.number().int(),
    description: z.string().nullable(),
  })
  .meta({ id: "CatalogProduct" });

export const locationView = z
  .object({
    id: LOCATION_ID,
    name: z.string(),
    kind: z.enum(LOCATION_KINDS),
    lat: z.number().nullable(),
    lng: z.number().nullable(),
  })
  .meta({ id: "Location" });
export type LocationView = z.infer<typeof locationView>;

export const productStockView = z
  .object({
    sku: CATALOG_SKU,
    name: z.string(),
    priceCents: z.number().int(),
    available: z.number().int().describe("Units that can be ordered, every location together"),
    locations: z.array(
      z.object({ locationId: LOCATION_ID, kind: z.enum(LOCATION_KINDS), available: z.number().int() }),
    ),
  })
  .meta({ id: "CatalogProductStock" });
export type ProductStockView = z.infer<typeof productStockView>;

export const storeProductView = z
  .object({ sku: CATALOG_SKU, name: z.string(), priceCents: z.number().int(), available: z.number().int() })
  .meta({ id: "StoreProduct" });

export const storeStockView = z
  .object({ locationId: LOCATION_ID, sku: CATALOG_SKU, available: z.number().int() })
  .meta({ id: "StoreStock" });

export const nearbyStoreView = z
  .object({ locationId: LOCATION_ID, name: z.string(), distanceKm: z.number(), available: z.number().int() })
  .meta({ id: "NearbyStore" });

export const movementView = z
  .object({
    reference: REFERENCE,
    lines: z.array(z.object({ sku: CATALOG_SKU, quantity: z.number().int() })),
    createdAt: TIME,
  })
  .meta({ id: "StockReceiptOrTransfer" });

/** A movement of one of a location's stocks, with the product it is the stock of. */
export const locationLedgerEntryView = stockMovementView
  .extend({ sku: CATALOG_SKU })
  .meta({ id: "LocationLedgerEntry" });
export type LocationLedgerEntryView = z.infer<typeof locationLedgerEntryView>;

export const catalogOrderView = z
  .object({
    orderId: ORDER_ID,
    reference: REFERENCE,
    userId: z.string().nullable(),
    channel: z.enum(CHANNELS),
    fulfilment: z.enum(FULFILMENTS).nullable(),
    status: z.enum(ORDER_STATUSES),
    lines: z.array(
      z.object({
        sku: CATALOG_SKU,
        quantity: z.number().int(),
        locationId: LOCATION_ID,
        priceCents: z.number().int(),
      }),
    ),
    amountCents: z.number().int(),
    createdAt: TIME,
  })
  .meta({ id: "CatalogOrder" });
export type CatalogOrderView = z.infer<typeof catalogOrderView>;
