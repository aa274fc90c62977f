// The stock core over HTTP (shared API.md, "v2 additions": stocks and takes). The admin makes
// and runs stocks; other services take, confirm and release by their own reference, with a
// service key scoped to `stocks` or `stock:<stockId>`. Thin routes over src/stock/. An event
// product's stock (kind EVENT) may be read here, with its ledger; every change of it goes
// through its event (409 INVALID_STATE).
import type { Request } from "express";
import { z } from "zod";
import type { Deps } from "../deps.js";
import type { ErrorCode } from "../errors.js";
import { pageOf } from "../events/paging.js";
import type { TakeView } from "../stock/stock.schemas.js";
import {
  createStockInput,
  REFERENCE,
  STOCK_ID,
  stockLedgerQuery,
  stockMovementView,
  stockTotalInput,
  stockView,
  takeInput,
  takeView,
} from "../stock/stock.schemas.js";
import { movementsPage } from "../stock/stock-ledger.js";
import {
  closeStock,
  confirmStock,
  createStock,
  getStockView,
  setStockTotal,
  stockViews,
  syncStock,
} from "../stock/stocks.service.js";
import type { TakeRow } from "../stock/take-store.js";
import { confirm, getTake, release, take } from "../stock/takes.service.js";
import { adminApi } from "./admin-auth.js";
import type { ApiRouter } from "./api-router.js";
import { requireScope, serviceApi } from "./service-auth.js";

/**
 * What every call keyed by the caller's reference answers (a take, a coupon issue, an order):
 * 201 when it moved stock now, 200 with the same thing when the reference was known.
 */
export function byReference<T extends z.ZodType>(schema: T, created: string, known: string) {
  return {
    201: { description: created, schema },
    200: { description: known, schema },
  };
}

/** The refusals of a call that takes stock. */
export const TAKE_ERRORS = [
  "NOT_FOUND",
  "SOLD_OUT",
  "LIMIT_REACHED",
  "SALE_NOT_OPEN",
  "REFERENCE_CONFLICT",
  "SERVICE_UNAVAILABLE",
] as const satisfies ErrorCode[];

const stockParams = z.object({ stockId: STOCK_ID });
const takeParams = z.object({ stockId: STOCK_ID, reference: REFERENCE });
const stockResponse = { 200: { description: "The stock with its figures", schema: stockView } };

export function stockAdminRoutes(deps: Deps): ApiRouter {
  const api = adminApi(deps);

  api.route(
    {
      method: "post",
      path: "/stocks",
      summary: "Create a stock (DRAFT)",
      description:
        "A counter with a total (null: unlimited), an optional per-user limit, period and hold time. " +
        "Confirm it to make it LIVE: only then can it be taken.",
      body: createStockInput,
      responses: { 201: { description: "The new stock", schema: stockView } },
    },
    async ({ body }) => ({ status: 201, body: await getStockView(deps, (await createStock(deps, body)).id) }),
  );

  api.route(
    {
      method: "get",
      path: "/stocks",
      summary: "Every stock, newest first, with its figures",
      description:
        "The stocks made here (kind STOCK). A coupon's, a location's and an event product's stocks are " +
        "listed with their coupon, location and event; each can be read by id.",
      responses: { 200: { description: "The stocks", schema: z.array(stockView) } },
    },
    async () => {
      const rows = await deps.prisma.stock.findMany({
        where: { kind: "STOCK" },
        orderBy: { createdAt: "desc" },
        take: 500,
      });
      return { status: 200, body: await stockViews(deps, rows) };
    },
  );

  api.route(
    {
      method: "get",
      path: "/stocks/:stockId",
      summary: "A stock",
      params: stockParams,
      responses: stockResponse,
      errors: ["NOT_FOUND"],
    },
    async ({ params }) => ({ status: 200, body: await getStockView(deps, params.stockId) }),
  );

  api.route(
    {
      method: "post",
      path: "/stocks/:stockId/confirm",
      summary: "Make the stock LIVE (DRAFT → LIVE; again: 200): its remaining is loaded into Redis",
      params: stockParams,
      responses: stockResponse,
      errors: ["NOT_FOUND", "INVALID_STATE"],
    },
    async ({ params }) => {
      await confirmStock(deps, params.stockId);
      return { status: 200, body: await getStockView(deps, params.stockId) };
    },
  );

  api.route(
    {
      method: "put",
      path: "/stocks/:stockId/total",
      summary: "Set the stock's total within the stock rules",
      description:
        "DRAFT: any. LIVE: never above the total it went live with, never below what is held and " +
        "taken, and an unlimited stock stays unlimited; otherwise 422 STOCK_RULE.",
      params: stockParams,
      body: stockTotalInput,
      responses: stockResponse,
      errors: ["NOT_FOUND", "INVALID_STATE", "STOCK_RULE"],
    },
    async ({ params, body }) => {
      await setStockTotal(deps, params.stockId, body.total);
      return { status: 200, body: await getStockView(deps, params.stockId) };
    },
  );

  api.route(
    {
      method: "post",
      path: "/stocks/:stockId/sync",
      summary: "Copy the live figures to PostgreSQL (sets remainSyncedAt)",
      params: stockParams,
      responses: stockResponse,
      errors: ["NOT_FOUND", "INVALID_STATE"],
    },
    async ({ params }) => {
      await syncStock(deps, params.stockId);
      return { status: 200, body: await getStockView(deps, params.stockId) };
    },
  );

  api.route(
    {
      method: "post",
      path: "/stocks/:stockId/close",
      summary: "Close the stock (CLOSED; again: 200): no take from now on, figures final, Redis forgets it",
      params: stockParams,
      responses: stockResponse,
      errors: ["NOT_FOUND", "INVALID_STATE"],
    },
    async ({ params }) => {
      await closeStock(deps, params.stockId);
      return { status: 200, body: await getStockView(deps, params.stockId) };
    },
  );

  api.route(
    {
      method: "get",
      path: "/stocks/:stockId/ledger",
      summary: "The stock's movements (insert-only), oldest first, a page at a time",
      params: stockParams,
      query: stockLedgerQuery,
      responses: {
        200: {
          description: "A page of movements",
          schema: pageOf(stockMovementView).meta({ id: "StockLedgerPage" }),
        },
      },
      errors: ["NOT_FOUND"],
    },
    async ({ params, query }) => {
      await getStockView(deps, params.stockId);
      const page = await movementsPage(deps, [params.stockId], query);
      return { status: 200, body: page };
    },
  );

  return api;
}

const stockScope = (req: Request) => [`stock:${req.params.stockId}`];

function takeViewOf(row: TakeRow | undefined, remaining: number | null): TakeView {
  if (!row) throw new Error("a take without its row");
  return {
    reference: row.reference,
    stockId: row.stockId,
    userId: row.userId,
    quantity: row.quantity,
    status: row.status as TakeView["status"],
    expiresAt: row.expiresAt?.toISOString() ?? null,
    remaining,
  };
}

export function stockServiceRoutes(deps: Deps): ApiRouter {
  const api = serviceApi(deps);
  const takeResponse = { 200: { description: "The take", schema: takeView } };
  const remainingOf = async (stockId: string) => (await getStockView(deps, stockId)).remaining;

  api.route(
    {
      method: "get",
      path: "/stocks/:stockId",
      summary: "A stock with its live figures",
      params: stockParams,
      use: [requireScope(stockScope)],
      responses: stockResponse,
      errors: ["NOT_FOUND"],
    },
    async ({ params }) => ({ status: 200, body: await getStockView(deps, params.stockId) }),
  );

  api.route(
    {
      method: "post",
      path: "/stocks/:stockId/takes",
      summary: "Take units of the stock by your reference (atomic, idempotent)",
      description:
        "201 with the take (HELD) when it moved the stock; the same reference and body again → 200 the " +
        "same take and nothing moves; the same reference with another body → 409 REFERENCE_CONFLICT. " +
        "SOLD_OUT, LIMIT_REACHED (a stock with a per-user limit needs userId), SALE_NOT_OPEN (not LIVE, " +
        "or outside its period); an event product's stock → 409 INVALID_STATE (sold through its " +
        "event's waiting room only).",
      params: stockParams,
      body: takeInput,
      use: [requireScope(stockScope)],
      responses: byReference(takeView, "Taken now", "Taken before by this reference: nothing moved"),
      errors: [...TAKE_ERRORS, "INVALID_STATE"],
    },
    async ({ params, body }) => {
      const answer = await take(deps, {
        reference: body.reference,
        userId: body.userId ?? null,
        lines: [{ stockId: params.stockId, quantity: body.quantity }],
      });
      const view = takeViewOf(answer.rows[0], answer.remaining[0] ?? null);
      return answer.created ? { status: 201 as const, body: view } : { status: 200 as const, body: view };
    },
  );

  api.route(
    {
      method: "get",
      path: "/stocks/:stockId/takes/:reference",
      summary: "A take by your reference",
      params: takeParams,
      use: [requireScope(stockScope)],
      responses: takeResponse,
      errors: ["NOT_FOUND"],
    },
    async ({ params }) => {
      const [row] = await getTake(deps, params.reference, [params.stockId]);
      return { status: 200, body: takeViewOf(row, await remainingOf(params.stockId)) };
    },
  );

  api.route(
    {
      method: "post",
      path: "/stocks/:stockId/takes/:reference/confirm",
      summary: "Make a HELD take final (again: 200); a RELEASED one → 409 INVALID_STATE",
      params: takeParams,
      use: [requireScope(stockScope)],
      responses: takeResponse,
      errors: ["NOT_FOUND", "INVALID_STATE"],
    },
    async ({ params }) => {
      const [row] = await confirm(deps, params.reference, [params.stockId]);
      return { status: 200, body: takeViewOf(row, await remainingOf(params.stockId)) };
    },
  );

  api.route(
    {
      method: "post",
      path: "/stocks/:stockId/takes/:reference/release",
      summary: "Give a take back: its units return exactly once (again: 200, nothing moves)",
      description: "Works on HELD and CONFIRMED takes (a purchase that failed later).",
      params: takeParams,
      use: [requireScope(stockScope)],
      responses: takeResponse,
      errors: ["NOT_FOUND", "INVALID_STATE"],
    },
    async ({ params }) => {
      const [row] = await release(deps, params.reference, [params.stockId]);
      return { status: 200, body: takeViewOf(row, await remainingOf(params.stockId)) };
    },
  );

  return api;
}
