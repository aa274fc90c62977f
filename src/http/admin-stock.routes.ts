// Admin API (Bearer ADMIN_TOKEN) over stock and what became of it: stock adjustments,
// the orders and the stock ledger of an event. Thin routes over the events services.
import { z } from "zod";
import type { Deps } from "../deps.js";
import { EVENT_ID, productView, SKU, stockInput } from "../events/event.schemas.js";
import { ledgerEntryView, ledgerQuery, listLedger } from "../events/ledger.service.js";
import { listOrders, ordersQuery } from "../events/orders.service.js";
import { pageOf } from "../events/paging.js";
import { adjustStock } from "../events/stock.service.js";
import { orderView } from "../purchase/order-view.js";
import { adminApi } from "./admin-auth.js";
import type { ApiRouter } from "./api-router.js";

const eventParams = z.object({ eventId: EVENT_ID });
const productParams = z.object({ eventId: EVENT_ID, sku: SKU });

export function adminStockRoutes(deps: Deps): ApiRouter {
  const api = adminApi(deps);

  api.route(
    {
      method: "put",
      path: "/events/:eventId/products/:sku/stock",
      summary: "Set a product's total stock within the stock rules",
      description:
        "Before the event first goes LIVE any total ≥ 0 is allowed. Afterwards the total may go neither " +
        "above the total it had when it first went LIVE nor below what is sold plus reserved; a change " +
        "that breaks a rule answers 422 STOCK_RULE with details {min, max, sold, reserved, current} " +
        "(max null: no ceiling). Applied atomically while purchases run, and recorded as an ADJUST " +
        "ledger entry.",
      params: productParams,
      body: stockInput,
      responses: { 200: { description: "The product with its live counters", schema: productView } },
      errors: ["NOT_FOUND", "INVALID_STATE", "STOCK_RULE"],
    },
    async ({ params, body }) => ({
      status: 200,
      body: await adjustStock(deps, params.eventId, params.sku, body.total),
    }),
  );

  api.route(
    {
      method: "get",
      path: "/events/:eventId/orders",
      summary: "The event's orders, oldest first, a page at a time",
      params: eventParams,
      query: ordersQuery,
      responses: {
        200: { description: "A page of orders", schema: pageOf(orderView).meta({ id: "OrdersPage" }) },
      },
      errors: ["NOT_FOUND"],
    },
    async ({ params, query }) => ({ status: 200, body: await listOrders(deps, params.eventId, query) }),
  );

  api.route(
    {
      method: "get",
      path: "/events/:eventId/ledger",
      summary: "The event's insert-only stock ledger, in id order, a page at a time",
      description:
        "Per product: total = INITIAL + ADJUST (signed), sold = SALE − CANCEL, " +
        "reserved = RESERVE − SALE − RESTORE (purchases in flight are not in it yet).",
      params: eventParams,
      query: ledgerQuery,
      responses: {
        200: {
          description: "A page of ledger entries",
          schema: pageOf(ledgerEntryView).meta({ id: "LedgerPage" }),
        },
      },
      errors: ["NOT_FOUND"],
    },
    async ({ params, query }) => ({ status: 200, body: await listLedger(deps, params.eventId, query) }),
  );

  return api;
}
