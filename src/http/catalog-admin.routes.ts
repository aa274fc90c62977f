// Admin API (Bearer ADMIN_TOKEN) of the catalog (shared API.md, "Catalog, locations and
// orders"): products, locations, receipts, transfers and a location's ledger; and, for the admin
// page, the locations with their stock and the orders by channel. Thin routes over src/catalog/.
import { z } from "zod";
import {
  catalogLedgerQuery,
  catalogOrdersQuery,
  catalogOrderView,
  LOCATION_ID,
  locationInput,
  locationLedgerEntryView,
  locationView,
  movementView,
  productInput,
  productView,
  receiptInput,
  storeProductView,
  transferInput,
} from "../catalog/catalog.schemas.js";
import {
  createLocation,
  createProduct,
  listLocations,
  locationProducts,
} from "../catalog/locations.service.js";
import { locationLedger, receive, transfer } from "../catalog/movements.service.js";
import { listCatalogOrders } from "../catalog/orders.service.js";
import type { Deps } from "../deps.js";
import { pageOf } from "../events/paging.js";
import { adminApi } from "./admin-auth.js";
import type { ApiRouter } from "./api-router.js";

const locationParams = z.object({ locationId: LOCATION_ID });

export function catalogAdminRoutes(deps: Deps): ApiRouter {
  const api = adminApi(deps);

  api.route(
    {
      method: "post",
      path: "/products",
      summary: "Add a product to the catalog",
      description: "A product exists without an event; its stock is per location (receipts, transfers).",
      body: productInput,
      responses: { 201: { description: "The product", schema: productView } },
      errors: ["INVALID_STATE"],
    },
    async ({ body }) => ({ status: 201, body: await createProduct(deps, body) }),
  );

  api.route(
    {
      method: "post",
      path: "/locations",
      summary: "Add a location: a WAREHOUSE or a STORE, with its coordinates",
      body: locationInput,
      responses: { 201: { description: "The location", schema: locationView } },
    },
    async ({ body }) => ({ status: 201, body: await createLocation(deps, body) }),
  );

  api.route(
    {
      method: "get",
      path: "/locations",
      summary: "Every location, oldest first",
      responses: { 200: { description: "The locations", schema: z.array(locationView) } },
    },
    async () => ({ status: 200, body: await listLocations(deps) }),
  );

  api.route(
    {
      method: "get",
      path: "/locations/:locationId/stock",
      summary: "What a location stocks, with what is available of each product",
      params: locationParams,
      responses: { 200: { description: "The location's products", schema: z.array(storeProductView) } },
      errors: ["NOT_FOUND"],
    },
    async ({ params }) => ({ status: 200, body: await locationProducts(deps, params.locationId) }),
  );

  api.route(
    {
      method: "post",
      path: "/locations/:locationId/receipts",
      summary: "Receive goods into a location (ledger INBOUND)",
      description:
        "Raises the location's stock of each product (made on its first receipt). Keyed by `reference`: " +
        "the same body again answers the same receipt and moves nothing; another body is 409 REFERENCE_CONFLICT.",
      params: locationParams,
      body: receiptInput,
      responses: { 201: { description: "The receipt", schema: movementView } },
      errors: ["NOT_FOUND", "REFERENCE_CONFLICT", "INVALID_STATE"],
    },
    async ({ params, body }) => ({ status: 201, body: await receive(deps, params.locationId, body) }),
  );

  api.route(
    {
      method: "post",
      path: "/transfers",
      summary: "Move units from one location to another (ledger TRANSFER_OUT / TRANSFER_IN)",
      description:
        "Both sides or neither: the source is lowered first, refused with 409 SOLD_OUT {sku, available} " +
        "when fewer units are available there (held and taken units stay); then both sides are recorded " +
        "together and the destination raised. Keyed by `reference` like a receipt.",
      body: transferInput,
      responses: { 201: { description: "The transfer", schema: movementView } },
      errors: ["NOT_FOUND", "SOLD_OUT", "REFERENCE_CONFLICT", "INVALID_STATE"],
    },
    async ({ body }) => ({ status: 201, body: await transfer(deps, body) }),
  );

  api.route(
    {
      method: "get",
      path: "/locations/:locationId/ledger",
      summary: "The insert-only ledger of a location's stocks, in id order, a page at a time",
      description:
        "Per product: total = INITIAL + INBOUND + TRANSFER_IN − TRANSFER_OUT, held = TAKE − CONFIRM − RELEASE, " +
        "taken = CONFIRM − RETURN.",
      params: locationParams,
      query: catalogLedgerQuery,
      responses: {
        200: {
          description: "A page of ledger entries",
          schema: pageOf(locationLedgerEntryView).meta({ id: "LocationLedgerPage" }),
        },
      },
      errors: ["NOT_FOUND"],
    },
    async ({ params, query }) => ({
      status: 200,
      body: await locationLedger(deps, params.locationId, query),
    }),
  );

  api.route(
    {
      method: "get",
      path: "/catalog-orders",
      summary: "Catalog orders, newest first, of one channel and/or location, a page at a time",
      query: catalogOrdersQuery,
      responses: {
        200: {
          description: "A page of orders",
          schema: pageOf(catalogOrderView).meta({ id: "CatalogOrdersPage" }),
        },
      },
    },
    async ({ query }) => ({ status: 200, body: await listCatalogOrders(deps, query) }),
  );

  return api;
}
