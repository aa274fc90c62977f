// The catalog over HTTP (shared API.md, "Catalog, locations and orders"): the public reads
// (products with their stock per location, a store's products and stock, nearby stores that have
// a product) and the service API's orders (scope `orders`; a store's till: `store:<storeId>`,
// which `orders` covers). Thin routes over src/catalog/.
import type { Request } from "express";
import { z } from "zod";
import { hasScope } from "../auth/service-keys.js";
import {
  CATALOG_SKU,
  catalogOrderView,
  LOCATION_ID,
  nearbyQuery,
  nearbyStoreView,
  ORDER_ID,
  onlineOrderInput,
  productStockView,
  storeOrderInput,
  storeProductView,
  storeStockView,
} from "../catalog/catalog.schemas.js";
import {
  getProductWithStock,
  nearbyStores,
  productsWithStock,
  storeProducts,
  storeStock,
} from "../catalog/locations.service.js";
import { cancelOrder, getOrder } from "../catalog/orders.service.js";
import { type Placed, placeOnlineOrder, placeStoreOrder } from "../catalog/place-order.js";
import type { Deps } from "../deps.js";
import { notFound } from "../errors.js";
import { ApiRouter, TAGS } from "./api-router.js";
import { requireScope, serviceApi, servicePrincipal } from "./service-auth.js";

const storeParams = z.object({ storeId: LOCATION_ID });
const storeSkuParams = z.object({ storeId: LOCATION_ID, sku: CATALOG_SKU });
const orderParams = z.object({ orderId: ORDER_ID });
const storeOrderParams = z.object({ storeId: LOCATION_ID, orderId: ORDER_ID });

export function catalogPublicRoutes(deps: Deps): ApiRouter {
  const api = new ApiRouter({ base: "/api", tag: TAGS.shopper, errors: ["RATE_LIMITED"] });

  api.route(
    {
      method: "get",
      path: "/products",
      summary: "The catalog, with what is available of each product at each location and in all",
      responses: { 200: { description: "The products", schema: z.array(productStockView) } },
    },
    async () => ({ status: 200, body: await productsWithStock(deps) }),
  );

  api.route(
    {
      method: "get",
      path: "/products/:sku",
      summary: "A product, with what is available at each location and in all",
      params: z.object({ sku: CATALOG_SKU }),
      responses: { 200: { description: "The product", schema: productStockView } },
      errors: ["NOT_FOUND"],
    },
    async ({ params }) => ({ status: 200, body: await getProductWithStock(deps, params.sku) }),
  );

  api.route(
    {
      method: "get",
      path: "/stores/:storeId/products",
      summary: "What a store stocks, with what is available of each product",
      params: storeParams,
      responses: { 200: { description: "The store's products", schema: z.array(storeProductView) } },
      errors: ["NOT_FOUND"],
    },
    async ({ params }) => ({ status: 200, body: await storeProducts(deps, params.storeId) }),
  );

  api.route(
    {
      method: "get",
      path: "/stores/:storeId/products/:sku/stock",
      summary: "What is available of a product at a store (the figure its till and online shoppers share)",
      params: storeSkuParams,
      responses: { 200: { description: "The store's stock of the product", schema: storeStockView } },
      errors: ["NOT_FOUND"],
    },
    async ({ params }) => ({ status: 200, body: await storeStock(deps, params.storeId, params.sku) }),
  );

  api.route(
    {
      method: "get",
      path: "/stores/:storeId/products/:sku/nearby",
      summary: "Other stores that have the product, nearest first",
      description:
        "Stores only (no warehouses), not this one, with at least one unit available; distance by the " +
        "haversine formula from this store's coordinates (stores without coordinates are left out).",
      params: storeSkuParams,
      query: nearbyQuery,
      responses: { 200: { description: "The nearby stores", schema: z.array(nearbyStoreView) } },
      errors: ["NOT_FOUND"],
    },
    async ({ params, query }) => ({
      status: 200,
      body: await nearbyStores(deps, params.storeId, params.sku, query.limit),
    }),
  );

  return api;
}

const ORDER_ERRORS = [
  "NOT_FOUND",
  "SOLD_OUT",
  "REFERENCE_CONFLICT",
  "INVALID_STATE",
  "SALE_NOT_OPEN",
] as const;

const placedAnswers = {
  201: { description: "The order, placed now", schema: catalogOrderView },
  200: {
    description: "The order its reference placed before (nothing more was taken)",
    schema: catalogOrderView,
  },
} as const;

const answerPlaced = (placed: Placed) =>
  placed.created
    ? { status: 201 as const, body: placed.order }
    : { status: 200 as const, body: placed.order };

/** The order's store scope (`orders` covers every one), or 404 as if it were not there. */
async function orderInScope(deps: Deps, req: Request, orderId: string) {
  const order = await getOrder(deps, orderId);
  const locationId = order.lines[0]?.locationId ?? "";
  if (!hasScope(servicePrincipal(req), `store:${locationId}`)) throw notFound("order", { orderId });
  return order;
}

export function catalogOrderRoutes(deps: Deps): ApiRouter {
  const api = serviceApi(deps);
  const storeScope = (req: Request) => `store:${req.params.storeId}`;

  api.route(
    {
      method: "post",
      path: "/orders",
      summary: "Place an online order: every line or none",
      description:
        "DELIVERY takes the warehouse's stock, SAME_DAY and PICKUP the stock of `storeId`. Every line is " +
        "taken or none (409 SOLD_OUT names the `sku` short). Keyed by `reference`: the same body again " +
        "answers 201 with the same order and takes nothing more; another body is 409 REFERENCE_CONFLICT. " +
        "The order starts PENDING. Scope `orders`.",
      body: onlineOrderInput,
      use: [requireScope(() => "orders")],
      responses: placedAnswers,
      errors: [...ORDER_ERRORS],
    },
    async ({ body }) => answerPlaced(await placeOnlineOrder(deps, body)),
  );

  api.route(
    {
      method: "get",
      path: "/orders/:orderId",
      summary: "An order",
      params: orderParams,
      responses: { 200: { description: "The order", schema: catalogOrderView } },
      errors: ["NOT_FOUND"],
    },
    async ({ params, req }) => ({ status: 200, body: await orderInScope(deps, req, params.orderId) }),
  );

  api.route(
    {
      method: "patch",
      path: "/orders/:orderId/cancel",
      summary: "Cancel an order (PENDING or PAID → CANCELLED; again: 200)",
      description:
        "Each unit goes back once to the location it came from. A FULFILLED order: 409 INVALID_STATE.",
      params: orderParams,
      responses: { 200: { description: "The order, CANCELLED", schema: catalogOrderView } },
      errors: ["NOT_FOUND", "INVALID_STATE"],
    },
    async ({ params, req }) => {
      await orderInScope(deps, req, params.orderId);
      return { status: 200, body: await cancelOrder(deps, params.orderId) };
    },
  );

  api.route(
    {
      method: "post",
      path: "/stores/:storeId/orders",
      summary: "A sale at the store's till (channel OFFLINE, PAID)",
      description:
        "Takes the store's stock, the same stock online orders take: every line or none. Recorded in " +
        "PostgreSQL before it is answered. Keyed by `reference` as online orders. Scope `store:<storeId>`.",
      params: storeParams,
      body: storeOrderInput,
      use: [requireScope(storeScope)],
      responses: { 201: { description: "The order", schema: catalogOrderView } },
      errors: [...ORDER_ERRORS],
    },
    async ({ params, body }) => ({
      status: 201,
      body: (await placeStoreOrder(deps, params.storeId, body)).order,
    }),
  );

  api.route(
    {
      method: "patch",
      path: "/stores/:storeId/orders/:orderId/cancel",
      summary: "Cancel an order placed at this store (again: 200)",
      params: storeOrderParams,
      use: [requireScope(storeScope)],
      responses: { 200: { description: "The order, CANCELLED", schema: catalogOrderView } },
      errors: ["NOT_FOUND", "INVALID_STATE"],
    },
    async ({ params }) => ({
      status: 200,
      body: await cancelOrder(deps, params.orderId, { storeId: params.storeId }),
    }),
  );

  return api;
}
