// Shapes of the coupon API (shared API.md, "v2 additions": coupons).
import { z } from "zod";
import { TIME_INPUT } from "../events/event.schemas.js";
import { REFERENCE, STOCK_STATUSES, stockView, USER_ID } from "../stock/stock.schemas.js";

export const COUPON_ID = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a coupon id");
export const COUPON_CODE = z.string().regex(/^[A-Z0-9]{4,32}$/, "a coupon code");

const total = z.number().int().min(0).max(100_000_000).nullable();
const time = TIME_INPUT;

export const createCouponInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    issueTotal: total.describe("How many times it may be issued; null: unlimited"),
    useTotal: total.describe("How many times it may be redeemed; null: unlimited"),
    perUserIssueLimit: z.number().int().min(1).max(1_000_000).optional(),
    issueStartsAt: time.optional(),
    issueEndsAt: time.optional(),
    useStartsAt: time.optional(),
    useEndsAt: time.optional(),
  })
  .superRefine((input, ctx) => {
    for (const [from, to] of [
      ["issueStartsAt", "issueEndsAt"],
      ["useStartsAt", "useEndsAt"],
    ] as const) {
      const a = input[from];
      const b = input[to];
      if (a && b && Date.parse(b) <= Date.parse(a))
        ctx.addIssue({ code: "custom", path: [to], message: `must be after ${from}` });
    }
  });
export type CreateCouponInput = z.infer<typeof createCouponInput>;

export const issueInput = z.strictObject({ userId: USER_ID, reference: REFERENCE });
export const redeemInput = z.strictObject({ orderReference: REFERENCE });

export const couponView = z
  .object({
    id: COUPON_ID,
    name: z.string(),
    status: z.enum(STOCK_STATUSES),
    issueStock: stockView,
    useStock: stockView,
    perUserIssueLimit: z.number().int().nullable(),
  })
  .meta({ id: "Coupon" });
export type CouponView = z.infer<typeof couponView>;

export const couponCodeView = z
  .object({
    code: COUPON_CODE,
    couponId: COUPON_ID,
    userId: z.string(),
    status: z.enum(["ISSUED", "REDEEMED"]),
    orderReference: z.string().nullable(),
  })
  .meta({ id: "CouponCode" });
export type CouponCodeView = z.infer<typeof couponCodeView>;
