// Coupons over HTTP (shared API.md, "v2 additions": coupons). The admin makes and runs them;
// a coupon platform issues, redeems and un-redeems codes with a service key scoped `coupons`.
// Thin routes over src/coupons/.
import { z } from "zod";
import {
  COUPON_CODE,
  COUPON_ID,
  couponCodeView,
  couponView,
  createCouponInput,
  issueInput,
  redeemInput,
} from "../coupons/coupon.schemas.js";
import {
  closeCoupon,
  confirmCoupon,
  createCoupon,
  getCoupon,
  issueCoupon,
  listCoupons,
  redeemCode,
  syncCoupon,
  unredeemCode,
  userCoupons,
} from "../coupons/coupons.service.js";
import type { Deps } from "../deps.js";
import { USER_ID } from "../stock/stock.schemas.js";
import { adminApi } from "./admin-auth.js";
import type { ApiRouter } from "./api-router.js";
import { serviceApi } from "./service-auth.js";
import { byReference, TAKE_ERRORS } from "./stocks.routes.js";

const couponParams = z.object({ couponId: COUPON_ID });
const codeParams = z.object({ code: COUPON_CODE });
const couponResponse = { 200: { description: "The coupon with both stocks' figures", schema: couponView } };

export function couponAdminRoutes(deps: Deps): ApiRouter {
  const api = adminApi(deps);

  api.route(
    {
      method: "post",
      path: "/coupons",
      summary: "Create a coupon (DRAFT) with its issue stock and use stock",
      description: "Either total may be null: unlimited. Confirm it to issue and redeem it.",
      body: createCouponInput,
      responses: { 201: { description: "The new coupon", schema: couponView } },
    },
    async ({ body }) => ({ status: 201, body: await createCoupon(deps, body) }),
  );

  api.route(
    {
      method: "get",
      path: "/coupons",
      summary: "Every coupon, newest first",
      responses: { 200: { description: "The coupons", schema: z.array(couponView) } },
    },
    async () => ({ status: 200, body: await listCoupons(deps) }),
  );

  api.route(
    {
      method: "get",
      path: "/coupons/:couponId",
      summary: "A coupon",
      params: couponParams,
      responses: couponResponse,
      errors: ["NOT_FOUND"],
    },
    async ({ params }) => ({ status: 200, body: await getCoupon(deps, params.couponId) }),
  );

  const actions = {
    confirm: ["Make the coupon LIVE (again: 200): both stocks' remaining loaded into Redis", confirmCoupon],
    sync: ["Copy both stocks' live remaining to PostgreSQL", syncCoupon],
    close: ["Close the coupon (again: 200): figures final in PostgreSQL, Redis forgets them", closeCoupon],
  } as const;
  for (const [action, [summary, run]] of Object.entries(actions)) {
    api.route(
      {
        method: "post",
        path: `/coupons/:couponId/${action}`,
        summary,
        params: couponParams,
        responses: couponResponse,
        errors: ["NOT_FOUND", "INVALID_STATE"],
      },
      async ({ params }) => ({ status: 200, body: await run(deps, params.couponId) }),
    );
  }

  return api;
}

export function couponServiceRoutes(deps: Deps): ApiRouter {
  const api = serviceApi(deps, () => ["coupons"]);
  const codeResponse = { 200: { description: "The code", schema: couponCodeView } };

  api.route(
    {
      method: "post",
      path: "/coupons/:couponId/issues",
      summary: "Issue the coupon to a user by your reference (idempotent)",
      description:
        "201 with a new code; the same reference again → 200 the same code. SOLD_OUT (issue stock " +
        "exhausted), LIMIT_REACHED (the per-user issue limit), SALE_NOT_OPEN (not LIVE or outside the " +
        "issue period).",
      params: couponParams,
      body: issueInput,
      responses: byReference(couponCodeView, "Issued now", "Issued before to this reference: the same code"),
      errors: [...TAKE_ERRORS],
    },
    async ({ params, body }) => {
      const issued = await issueCoupon(deps, params.couponId, body);
      return issued.created
        ? { status: 201 as const, body: issued.code }
        : { status: 200 as const, body: issued.code };
    },
  );

  api.route(
    {
      method: "post",
      path: "/coupon-codes/:code/redeem",
      summary: "Redeem a code against an order (once)",
      description:
        "The same orderReference again → 200; another → 409 INVALID_STATE; the use stock exhausted → " +
        "SOLD_OUT; outside the use period → SALE_NOT_OPEN.",
      params: codeParams,
      body: redeemInput,
      responses: codeResponse,
      errors: ["NOT_FOUND", "SOLD_OUT", "SALE_NOT_OPEN", "INVALID_STATE", "SERVICE_UNAVAILABLE"],
    },
    async ({ params, body }) => ({
      status: 200,
      body: await redeemCode(deps, params.code, body.orderReference),
    }),
  );

  api.route(
    {
      method: "post",
      path: "/coupon-codes/:code/unredeem",
      summary: "The order was cancelled: the code is ISSUED again and its use comes back, once",
      params: codeParams,
      responses: codeResponse,
      errors: ["NOT_FOUND"],
    },
    async ({ params }) => ({ status: 200, body: await unredeemCode(deps, params.code) }),
  );

  api.route(
    {
      method: "get",
      path: "/users/:userId/coupons",
      summary: "A user's coupon codes",
      params: z.object({ userId: USER_ID }),
      responses: {
        200: {
          description: "The user's codes",
          schema: z.array(couponCodeView.pick({ code: true, couponId: true, status: true })),
        },
      },
    },
    async ({ params }) => ({
      status: 200,
      body: (await userCoupons(deps, params.userId)).map(({ code, couponId, status }) => ({
        code,
        couponId,
        status,
      })),
    }),
  );

  return api;
}
