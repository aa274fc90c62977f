// Coupons on the stock core: each coupon has an issue stock (how many times it may be handed
// to users, with the per-user issue limit and the issue period) and a use stock (how many
// times it may be redeemed, with the use period). Issuing is a take of the issue stock by the
// caller's reference, confirmed once the code exists; redeeming a take of the use stock by
// "redeem:<code>:<n>", confirmed once the code says REDEEMED; un-redeeming its release.
// Every call is idempotent: the takes by their reference, the codes by their statements.
import { randomBytes } from "node:crypto";
import type { Coupon, CouponCode } from "@prisma/client";
import type { Deps } from "../deps.js";
import { AppError, notFound } from "../errors.js";
import { closeStock, confirmStock, createStock, stockViews, syncStock } from "../stock/stocks.service.js";
import { confirm, release, take } from "../stock/takes.service.js";
import type { CouponCodeView, CouponView, CreateCouponInput } from "./coupon.schemas.js";

const newCouponId = () => `cpn_${randomBytes(9).toString("base64url")}`;

/** 12 characters of Crockford's base32 (no I, L, O, U): 60 bits, easy to read out. */
function newCode(): string {
  const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  return [...randomBytes(12)].map((b) => alphabet[b % 32]).join("");
}

export async function createCoupon(deps: Deps, input: CreateCouponInput): Promise<CouponView> {
  const id = newCouponId();
  const issue = await createStock(deps, {
    name: `${input.name} (issue)`,
    kind: "COUPON_ISSUE",
    total: input.issueTotal,
    perUserLimit: input.perUserIssueLimit,
    startsAt: input.issueStartsAt,
    endsAt: input.issueEndsAt,
  });
  const use = await createStock(deps, {
    name: `${input.name} (use)`,
    kind: "COUPON_USE",
    total: input.useTotal,
    startsAt: input.useStartsAt,
    endsAt: input.useEndsAt,
  });
  const row = await deps.prisma.coupon.create({
    data: {
      id,
      name: input.name,
      issueStockId: issue.id,
      useStockId: use.id,
      perUserIssueLimit: input.perUserIssueLimit ?? null,
    },
  });
  return view(deps, row);
}

async function requireCoupon(deps: Deps, couponId: string): Promise<Coupon> {
  const row = await deps.prisma.coupon.findUnique({ where: { id: couponId } });
  if (!row) throw notFound("coupon", { couponId });
  return row;
}

export async function getCoupon(deps: Deps, couponId: string): Promise<CouponView> {
  return view(deps, await requireCoupon(deps, couponId));
}

export async function listCoupons(deps: Deps): Promise<CouponView[]> {
  const rows = await deps.prisma.coupon.findMany({ orderBy: { createdAt: "desc" }, take: 500 });
  return Promise.all(rows.map((row) => view(deps, row)));
}

/** DRAFT → LIVE (again: 200): both stocks go live, their remaining loaded into Redis. */
export async function confirmCoupon(deps: Deps, couponId: string): Promise<CouponView> {
  const row = await requireCoupon(deps, couponId);
  if (row.status === "CLOSED") {
    throw new AppError({
      code: "INVALID_STATE",
      message: "A closed coupon cannot go live",
      details: { couponId },
    });
  }
  await deps.prisma.coupon.updateMany({ where: { id: couponId, status: "DRAFT" }, data: { status: "LIVE" } });
  await confirmStock(deps, row.issueStockId);
  await confirmStock(deps, row.useStockId);
  return getCoupon(deps, couponId);
}

/** Copies both stocks' live remaining to PostgreSQL (what the admin view shows between syncs). */
export async function syncCoupon(deps: Deps, couponId: string): Promise<CouponView> {
  const row = await requireCoupon(deps, couponId);
  await syncStock(deps, row.issueStockId);
  await syncStock(deps, row.useStockId);
  return view(deps, row);
}

/** LIVE or DRAFT → CLOSED: figures final in PostgreSQL; the loop archives both stocks out of Redis. */
export async function closeCoupon(deps: Deps, couponId: string): Promise<CouponView> {
  const row = await requireCoupon(deps, couponId);
  await deps.prisma.coupon.updateMany({
    where: { id: couponId, status: { not: "CLOSED" } },
    data: { status: "CLOSED" },
  });
  await closeStock(deps, row.issueStockId);
  await closeStock(deps, row.useStockId);
  return getCoupon(deps, couponId);
}

/**
 * Hands the coupon to a user by the caller's reference: SOLD_OUT when the issue stock is
 * exhausted, LIMIT_REACHED past the per-user issue limit, SALE_NOT_OPEN outside the issue
 * period or unless LIVE. The same reference again answers the same code.
 */
export async function issueCoupon(
  deps: Deps,
  couponId: string,
  input: { userId: string; reference: string },
): Promise<{ created: boolean; code: CouponCodeView }> {
  const coupon = await requireCoupon(deps, couponId);
  const known = await deps.prisma.couponCode.findUnique({
    where: { couponId_issueReference: { couponId, issueReference: input.reference } },
  });
  if (known && known.userId !== input.userId) throw conflict(input.reference);
  if (known) return { created: false, code: codeView(known) };
  const taken = await take(deps, {
    reference: `issue:${input.reference}`,
    userId: input.userId,
    lines: [{ stockId: coupon.issueStockId, quantity: 1 }],
  });
  if (taken.rows[0]?.status === "RELEASED") throw conflict(input.reference);
  await deps.prisma.couponCode.createMany({
    data: [{ code: newCode(), couponId, userId: input.userId, issueReference: input.reference }],
    skipDuplicates: true,
  });
  await confirm(deps, `issue:${input.reference}`, [coupon.issueStockId]);
  const code = await deps.prisma.couponCode.findUniqueOrThrow({
    where: { couponId_issueReference: { couponId, issueReference: input.reference } },
  });
  if (code.userId !== input.userId) throw conflict(input.reference);
  return { created: true, code: codeView(code) };
}

const conflict = (reference: string) =>
  new AppError({
    code: "REFERENCE_CONFLICT",
    message: "This reference was already used with another body",
    details: { reference },
  });

async function requireCode(deps: Deps, code: string): Promise<CouponCode & { coupon: Coupon }> {
  const row = await deps.prisma.couponCode.findUnique({ where: { code }, include: { coupon: true } });
  if (!row) throw notFound("coupon code", { code });
  return row;
}

const redemptionOf = (code: CouponCode) => `redeem:${code.code}:${code.redemptions}`;

/**
 * Redeems a code against an order (once): the same order again → 200; another order → 409
 * INVALID_STATE; the use stock exhausted → SOLD_OUT; outside the use period → SALE_NOT_OPEN.
 */
export async function redeemCode(deps: Deps, code: string, orderReference: string): Promise<CouponCodeView> {
  const row = await requireCode(deps, code);
  if (row.status === "REDEEMED") {
    if (row.orderReference === orderReference) return codeView(row);
    throw usedElsewhere(code);
  }
  const reference = redemptionOf(row);
  await take(deps, {
    reference,
    userId: row.userId,
    lines: [{ stockId: row.coupon.useStockId, quantity: 1 }],
  });
  const marked = await deps.prisma.couponCode.updateMany({
    where: { code, status: "ISSUED", redemptions: row.redemptions },
    data: { status: "REDEEMED", orderReference },
  });
  const now = await requireCode(deps, code);
  if (marked.count === 0 && now.orderReference !== orderReference) throw usedElsewhere(code);
  await confirm(deps, reference, [row.coupon.useStockId]);
  return codeView(now);
}

const usedElsewhere = (code: string) =>
  new AppError({
    code: "INVALID_STATE",
    message: "This code is already redeemed against another order",
    details: { code },
  });

/** The order was cancelled: the code may be used again, and its use comes back, once. */
export async function unredeemCode(deps: Deps, code: string): Promise<CouponCodeView> {
  const row = await requireCode(deps, code);
  if (row.status === "ISSUED") return codeView(row);
  // The use first (a release is idempotent), then the code: a crash in between leaves a
  // code that a repeat frees, never a use counted twice.
  await release(deps, redemptionOf(row), [row.coupon.useStockId]);
  await deps.prisma.couponCode.updateMany({
    where: { code, status: "REDEEMED", redemptions: row.redemptions },
    data: { status: "ISSUED", orderReference: null, redemptions: { increment: 1 } },
  });
  return codeView(await requireCode(deps, code));
}

export async function userCoupons(deps: Deps, userId: string): Promise<CouponCodeView[]> {
  const rows = await deps.prisma.couponCode.findMany({
    where: { userId },
    orderBy: { createdAt: "asc" },
    take: 1000,
  });
  return rows.map(codeView);
}

function codeView(row: CouponCode): CouponCodeView {
  return {
    code: row.code,
    couponId: row.couponId,
    userId: row.userId,
    status: row.status,
    orderReference: row.orderReference,
  };
}

async function view(deps: Deps, row: Coupon): Promise<CouponView> {
  const stocks = await deps.prisma.stock.findMany({
    where: { id: { in: [row.issueStockId, row.useStockId] } },
  });
  const views = await stockViews(deps, stocks);
  const byId = new Map(views.map((v) => [v.id, v]));
  const issueStock = byId.get(row.issueStockId);
  const useStock = byId.get(row.useStockId);
  if (!issueStock || !useStock) throw notFound("coupon stock", { couponId: row.id });
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    issueStock,
    useStock,
    perUserIssueLimit: row.perUserIssueLimit,
  };
}
