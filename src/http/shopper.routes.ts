// Shopper API: the event as a shopper sees it, joining, reading a ticket.
import { Router } from "express";
import { z } from "zod";
import { admissionOf, joinBody } from "../admission/admission.js";
import type { Deps } from "../deps.js";
import { notFound } from "../errors.js";
import { EVENT_ID } from "../events/event.schemas.js";
import { getEvent } from "../events/events.service.js";
import { cancelOrder } from "../purchase/cancel.service.js";
import { joinQueue, readTicket } from "../waiting-room/join.service.js";
import type { TicketTokens } from "../waiting-room/tokens.js";
import { bearer } from "./admin-auth.js";
import { joinRateLimit } from "./rate-limit.js";
import { parseInput } from "./validate.js";

const eventParams = z.object({ eventId: EVENT_ID });
const orderParams = z.object({ orderId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "an order id") });
const ticketParams = z.object({ ticketId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a ticket id") });

export function shopperRoutes(deps: Deps, tokens: TicketTokens): Router {
  const router = Router();
  const admission = admissionOf(deps);

  router.get("/events/:eventId", async (req, res) => {
    const { eventId } = parseInput(eventParams, req.params, "params");
    const event = await getEvent(deps, eventId);
    res.json({
      id: event.id,
      name: event.name,
      status: event.status,
      startsAt: event.startsAt,
      endsAt: event.endsAt,
      products: event.products.map((p) => ({
        sku: p.sku,
        name: p.name,
        priceCents: p.priceCents,
        perUserLimit: p.perUserLimit,
        remaining: p.remaining,
        soldOut: p.remaining + p.reserved === 0,
      })),
    });
  });

  router.post("/events/:eventId/tickets", joinRateLimit(deps), async (req, res) => {
    const { eventId } = parseInput(eventParams, req.params, "params");
    const input = await admission.admit(eventId, parseInput(joinBody, req.body, "body"));
    const { created, ticket } = await joinQueue(deps, tokens, eventId, input);
    res.status(created ? 202 : 200).json(ticket);
  });

  router.get("/tickets/:ticketId", async (req, res) => {
    const { ticketId } = parseInput(ticketParams, req.params, "params");
    const claims = await tokens.verify(bearer(req.get("authorization")), ticketId);
    const ticket = await readTicket(deps, claims.eventId, ticketId);
    if (!ticket) throw notFound("ticket", { ticketId });
    res.json(ticket);
  });

  router.post("/orders/:orderId/cancel", async (req, res) => {
    const { orderId } = parseInput(orderParams, req.params, "params");
    const claims = await tokens.verify(bearer(req.get("authorization")));
    res.json(await cancelOrder(deps, claims, orderId));
  });

  return router;
}
