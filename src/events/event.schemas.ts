// Shapes of the admin side of a sale event: what may come in, what goes out.
import { z } from "zod";

export const SKU = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, "1–64 characters of A-Z a-z 0-9 . _ -")
  .describe("Product code, unique within its event");

export const EVENT_ID = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "an event id");

const perUserLimit = z.number().int().min(1).max(1000);

export const productInput = z.strictObject({
  sku: SKU,
  name: z.string().trim().min(1).max(200),
  priceCents: z.number().int().min(0).max(100_000_000),
  stock: z.number().int().min(0).max(10_000_000),
  perUserLimit: perUserLimit.optional(),
});

const EARLIEST = new Date(0).setUTCFullYear(1, 0, 1);
const LATEST = new Date(0).setUTCFullYear(10_000, 0, 1);

/**
 * A time the admin sends (a period's start or end): ISO-8601 with its offset, within the years
 * 1 to 9999 in UTC. PostgreSQL refuses year 0 (it counts 1 BC): without this it was a 500.
 */
export const TIME_INPUT = z.iso.datetime({ offset: true }).refine((value) => {
  const t = Date.parse(value);
  return t >= EARLIEST && t < LATEST;
}, "a time between the years 1 and 9999");

export const createEventInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    startsAt: TIME_INPUT.optional(),
    endsAt: TIME_INPUT.optional(),
    admissionRate: z.number().int().min(1).max(1_000_000).optional().describe("Tickets admitted per second"),
    perUserLimit: perUserLimit.optional(),
    paymentFailureRate: z.number().min(0).max(1).optional(),
    waitingCapacity: z.number().int().min(1).max(10_000_000).optional(),
    requireIdentity: z
      .boolean()
      .optional()
      .describe("Joins must bring the shop's signed identity assertion; the user id comes from it"),
    powDifficulty: z
      .number()
      .int()
      .min(0)
      .max(32)
      .optional()
      .describe("Leading zero bits of the proof-of-work puzzle a join must solve (0: none)"),
    products: z.array(productInput).min(1).max(100),
  })
  .superRefine((input, ctx) => {
    const skus = new Set<string>();
    input.products.forEach((p, i) => {
      if (skus.has(p.sku))
        ctx.addIssue({ code: "custom", path: ["products", i, "sku"], message: "duplicate sku" });
      skus.add(p.sku);
    });
    if (input.startsAt && input.endsAt && Date.parse(input.endsAt) <= Date.parse(input.startsAt)) {
      ctx.addIssue({ code: "custom", path: ["endsAt"], message: "must be after startsAt" });
    }
  });
export type CreateEventInput = z.infer<typeof createEventInput>;

export const stockInput = z.strictObject({ total: z.number().int().min(0).max(10_000_000) });

export const EVENT_STATUSES = ["DRAFT", "SCHEDULED", "LIVE", "PAUSED", "ENDED"] as const;
export type EventStatus = (typeof EVENT_STATUSES)[number];

/** An ISO-8601 time as the views send it (Date.toISOString()). */
export const TIME = z.iso.datetime().describe("ISO-8601 time");
const count = z.number().int();

// What goes out: the response schemas of the routes, registered as OpenAPI components by
// their id; the TypeScript views are inferred from them.
export const productView = z
  .object({
    sku: SKU,
    name: z.string(),
    priceCents: count,
    perUserLimit: count,
    total: count.describe("remaining + reserved + sold"),
    remaining: count,
    reserved: count.describe("Held by purchases in flight"),
    sold: count,
  })
  .meta({ id: "Product" });
export type ProductView = z.infer<typeof productView>;

export const eventView = z
  .object({
    id: EVENT_ID,
    name: z.string(),
    status: z.enum(EVENT_STATUSES),
    startsAt: TIME.nullable(),
    endsAt: TIME.nullable(),
    admissionRate: count.describe("Tickets admitted per second"),
    perUserLimit: count,
    paymentFailureRate: z.number(),
    waitingCapacity: count,
    firstLiveAt: TIME.nullable().describe("When it first went LIVE; the stock ceiling dates from then"),
    createdAt: TIME,
    products: z.array(productView),
  })
  .meta({ id: "Event" });
export type EventView = z.infer<typeof eventView>;
