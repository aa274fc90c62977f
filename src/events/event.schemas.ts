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

export const createEventInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    startsAt: z.iso.datetime({ offset: true }).optional(),
    endsAt: z.iso.datetime({ offset: true }).optional(),
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

export interface ProductView {
  sku: string;
  name: string;
  priceCents: number;
  perUserLimit: number;
  total: number;
  remaining: number;
  reserved: number;
  sold: number;
}

export interface EventView {
  id: string;
  name: string;
  status: EventStatus;
  startsAt: string | null;
  endsAt: string | null;
  admissionRate: number;
  perUserLimit: number;
  paymentFailureRate: number;
  waitingCapacity: number;
  firstLiveAt: string | null;
  createdAt: string;
  products: ProductView[];
}
