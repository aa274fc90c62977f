// Coupons on the stock core against the real Redis and PostgreSQL: issued and redeemed end to
// end, issue stock and use stock each exhausted and refused, the per-user issue limit, repeats
// by reference, redeem races, un-redeem once, close and archive.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDeps, createDeps } from "../../src/bootstrap.js";
import { createCouponInput } from "../../src/coupons/coupon.schemas.js";
import {
  closeCoupon,
  confirmCoupon,
  createCoupon,
  getCoupon,
  issueCoupon,
  redeemCode,
  syncCoupon,
  unredeemCode,
  userCoupons,
} from "../../src/coupons/coupons.service.js";
import type { Deps } from "../../src/deps.js";
import { testConfig } from "../support/app.js";
import { expectStockInvariants, settleStocks } from "../support/stock-invariants.js";

let deps: Deps;
beforeAll(() => {
  deps = createDeps(testConfig(), { name: "coupons-test" });
});
afterAll(() => closeDeps(deps));

const codeOf = (p: Promise<unknown>) =>
  p.then(() => "OK").catch((e: { code?: string }) => e.code ?? String(e));

async function liveCoupon(input: Record<string, unknown>) {
  const coupon = await createCoupon(deps, createCouponInput.parse({ name: "SPRING10", ...input }));
  return confirmCoupon(deps, coupon.id);
}

describe("coupons", () => {
  it("issued and redeemed end to end; the issue stock and the use stock each exhausted and refused", async () => {
    const coupon = await liveCoupon({ issueTotal: 3, useTotal: 2, perUserIssueLimit: 2 });
    const issued = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        issueCoupon(deps, coupon.id, { userId: `u${i % 2}`, reference: `iss-${i}` }).catch((e) => e.code),
      ),
    );
    const codes = issued.filter((r): r is Awaited<ReturnType<typeof issueCoupon>> => typeof r === "object");
    expect(codes.length).toBe(3);
    expect(issued.filter((r) => r === "SOLD_OUT" || r === "LIMIT_REACHED").length).toBe(3);
    expect(await codeOf(issueCoupon(deps, coupon.id, { userId: "u9", reference: "iss-late" }))).toBe(
      "SOLD_OUT",
    );
    // The same reference again: the same code, nothing moves.
    const first = codes[0];
    if (!first) throw new Error("no code");
    const again = await issueCoupon(deps, coupon.id, {
      userId: first.code.userId,
      reference: await referenceOf(first.code.code),
    });
    expect(again).toEqual({ created: false, code: first.code });

    const [a, b, c] = codes.map((x) => x.code.code);
    if (!a || !b || !c) throw new Error("three codes");
    expect((await redeemCode(deps, a, "order-A")).status).toBe("REDEEMED");
    expect((await redeemCode(deps, a, "order-A")).status).toBe("REDEEMED");
    expect(await codeOf(redeemCode(deps, a, "order-other"))).toBe("INVALID_STATE");
    await redeemCode(deps, b, "order-B");
    expect(await codeOf(redeemCode(deps, c, "order-C"))).toBe("SOLD_OUT");
    // order-A was cancelled: its use comes back once, however often it is said.
    await Promise.all([unredeemCode(deps, a), unredeemCode(deps, a), unredeemCode(deps, a)]);
    expect((await redeemCode(deps, c, "order-C")).status).toBe("REDEEMED");
    expect(await codeOf(redeemCode(deps, a, "order-A2"))).toBe("SOLD_OUT");

    const view = await getCoupon(deps, coupon.id);
    expect(view.issueStock).toMatchObject({ total: 3, remaining: 0, taken: 3, held: 0 });
    expect(view.useStock).toMatchObject({ total: 2, remaining: 0, taken: 2, held: 0 });
    await settleStocks(deps, 1);
    await expectStockInvariants(deps, view.issueStock.id);
    await expectStockInvariants(deps, view.useStock.id);
    const mine = await userCoupons(deps, first.code.userId);
    expect(mine.length).toBeGreaterThanOrEqual(1);
  });

  it("a code redeemed by two orders at once goes to one of them", async () => {
    const coupon = await liveCoupon({ issueTotal: null, useTotal: null });
    const { code } = await issueCoupon(deps, coupon.id, { userId: "u1", reference: "race" });
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => codeOf(redeemCode(deps, code.code, `order-${i}`))),
    );
    expect(answers.filter((a) => a === "OK").length).toBe(1);
    expect(answers.filter((a) => a === "INVALID_STATE").length).toBe(7);
    const view = await getCoupon(deps, coupon.id);
    expect(view.useStock).toMatchObject({ total: null, remaining: null, taken: 1 });
  });

  it("unlimited never refuses; outside the issue period is SALE_NOT_OPEN; sync, then close archives both stocks", async () => {
    const later = new Date(Date.now() + 3600_000).toISOString();
    const closedLater = await liveCoupon({ issueTotal: 5, useTotal: null, issueStartsAt: later });
    expect(await codeOf(issueCoupon(deps, closedLater.id, { userId: "u", reference: "early" }))).toBe(
      "SALE_NOT_OPEN",
    );

    const coupon = await liveCoupon({ issueTotal: null, useTotal: 10 });
    const many = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        codeOf(issueCoupon(deps, coupon.id, { userId: `u${i}`, reference: `r${i}` })),
      ),
    );
    expect(many.every((a) => a === "OK")).toBe(true);
    const synced = await syncCoupon(deps, coupon.id);
    expect(synced.useStock.remainSyncedAt).not.toBeNull();
    await closeCoupon(deps, coupon.id);
    expect(await codeOf(issueCoupon(deps, coupon.id, { userId: "x", reference: "after" }))).toBe(
      "SALE_NOT_OPEN",
    );
    await settleStocks(deps, 2);
    const stocks = await deps.prisma.stock.findMany({
      where: { id: { in: [synced.issueStock.id, synced.useStock.id] } },
    });
    expect(stocks.every((s) => s.status === "CLOSED" && s.archivedAt !== null)).toBe(true);
    expect((await getCoupon(deps, coupon.id)).issueStock).toMatchObject({ status: "CLOSED", taken: 100 });
  });
});

async function referenceOf(code: string): Promise<string> {
  const row = await deps.prisma.couponCode.findUniqueOrThrow({ where: { code } });
  return row.issueReference;
}
