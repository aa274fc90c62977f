// Shapes of the stock core's API (shared API.md, "v2 additions": stocks and takes): what may
// come in, what goes out. The TypeScript views are inferred from the response schemas.
import { z } from "zod";
import { TIME, TIME_INPUT } from "../events/event.schemas.js";
import { pageLimit } from "../events/paging.js";

/** A stock's own id, or an event product's: "<eventId>.<sku>" (src/redis/keys.ts eventStock). */
export const STOCK_ID = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9._-]{1,64})?$/, "a stock id, or <eventId>.<sku>");
export const REFERENCE = z
  .string()
  .regex(/^[A-Za-z0-9._:@/-]{1,128}$/, "1–128 characters of A-Z a-z 0-9 . _ : @ / -")
  .describe("The caller's own reference of the take (its purchase number): the key of idempotency");
export const USER_ID = z.string().regex(/^[A-Za-z0-9._:@-]{1,128}$/, "a user id");

const total = z.number().int().min(0).max(100_000_000);
const perUserLimit = z.number().int().min(1).max(1_000_000);

export const createStockInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    total: total.nullable().describe("Units in all; null: unlimited"),
    perUserLimit: perUserLimit.optional(),
    startsAt: TIME_INPUT.optional(),
    endsAt: TIME_INPUT.optional(),
    holdSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600)
      .optional()
      .describe("A HELD take not confirmed within this many seconds is released by itself"),
  })
  .superRefine((input, ctx) => {
    if (input.startsAt && input.endsAt && Date.parse(input.endsAt) <= Date.parse(input.startsAt)) {
      ctx.addIssue({ code: "custom", path: ["endsAt"], message: "must be after startsAt" });
    }
  });
export type CreateStockInput = z.infer<typeof createStockInput>;

export const stockTotalInput = z.strictObject({ total: total.nullable() });

export const takeInput = z.strictObject({
  reference: REFERENCE,
  userId: USER_ID.optional(),
  quantity: z.number().int().min(1).max(10_000).default(1),
});
export type TakeInput = z.infer<typeof takeInput>;

export const STOCK_STATUSES = ["DRAFT", "LIVE", "CLOSED"] as const;
export const TAKE_STATUSES = ["HELD", "CONFIRMED", "RELEASED"] as const;

const figure = z.number().int().nullable();

export const stockView = z
  .object({
    id: STOCK_ID,
    name: z.string(),
    status: z.enum(STOCK_STATUSES),
    total: figure.describe("Units in all; null: unlimited"),
    perUserLimit: z.number().int().nullable(),
    remaining: figure.describe("Left to take (live while LIVE); null: unlimited"),
    held: z.number().int().describe("Units in HELD takes"),
    taken: z.number().int().describe("Units in CONFIRMED takes"),
    startsAt: TIME.nullable(),
    endsAt: TIME.nullable(),
    holdSeconds: z.number().int().nullable(),
    remainSyncedAt: TIME.nullable().describe("When the live figures were last copied to PostgreSQL"),
  })
  .meta({ id: "Stock" });
export type StockView = z.infer<typeof stockView>;

export const takeView = z
  .object({
    reference: REFERENCE,
    stockId: STOCK_ID,
    userId: z.string().nullable(),
    quantity: z.number().int(),
    status: z.enum(TAKE_STATUSES),
    expiresAt: TIME.nullable().describe("A HELD take is released by itself then"),
    remaining: figure.describe("Left of the stock after this take; null: unlimited"),
  })
  .meta({ id: "Take" });
export type TakeView = z.infer<typeof takeView>;

export const STOCK_MOVEMENT_REASONS = [
  "INITIAL",
  "ADJUST",
  "INBOUND",
  "TRANSFER_OUT",
  "TRANSFER_IN",
  "TAKE",
  "CONFIRM",
  "RELEASE",
  "RETURN",
] as const;

export const stockMovementView = z
  .object({
    id: z.string().describe("64-bit id, as a string"),
    stockId: STOCK_ID,
    reason: z.enum(STOCK_MOVEMENT_REASONS),
    quantity: z.number().int().describe("Signed for ADJUST; positive otherwise"),
    reference: z.string().nullable(),
    createdAt: TIME,
  })
  .meta({ id: "StockMovement" });
export type StockMovementView = z.infer<typeof stockMovementView>;

export const stockLedgerQuery = z.strictObject({
  limit: pageLimit,
  cursor: z
    .string()
    .regex(/^\d{1,18}$/, "the nextCursor of the previous page")
    .optional(),
});
