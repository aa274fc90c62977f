// Admin API (Bearer ADMIN_TOKEN) over stock and what became of it: stock adjustments,
// the orders and the stock ledger of an event. Thin routes over the events services.
import { Router } from "express";
import { z } from "zod";
import type { Deps } from "../deps.js";
import { EVENT_ID, SKU, stockInput } from "../events/event.schemas.js";
import { ledgerQuery, listLedger } from "../events/ledger.service.js";
import { listOrders, ordersQuery } from "../events/orders.service.js";
import { adjustStock } from "../events/stock.service.js";
import { requireAdmin } from "./admin-auth.js";
import { parseInput } from "./validate.js";

export const eventParams = z.object({ eventId: EVENT_ID });
export const productParams = z.object({ eventId: EVENT_ID, sku: SKU });

export function adminStockRoutes(deps: Deps): Router {
  const router = Router();
  router.use(requireAdmin(deps.config.adminToken));

  router.put("/events/:eventId/products/:sku/stock", async (req, res) => {
    const { eventId, sku } = parseInput(productParams, req.params, "params");
    const { total } = parseInput(stockInput, req.body, "body");
    res.json(await adjustStock(deps, eventId, sku, total));
  });

  router.get("/events/:eventId/orders", async (req, res) => {
    const { eventId } = parseInput(eventParams, req.params, "params");
    const query = parseInput(ordersQuery, req.query, "query");
    res.json(await listOrders(deps, eventId, query));
  });

  router.get("/events/:eventId/ledger", async (req, res) => {
    const { eventId } = parseInput(eventParams, req.params, "params");
    const query = parseInput(ledgerQuery, req.query, "query");
    res.json(await listLedger(deps, eventId, query));
  });

  return router;
}
