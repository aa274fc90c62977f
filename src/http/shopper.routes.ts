// Shopper API: the event as a shopper sees it, joining, reading a ticket, cancelling an order.
import { z } from "zod";
import { admissionOf, joinBody } from "../admission/admission.js";
import { clientKey } from "../auth/client-key.js";
import { bearer } from "../auth/secrets.js";
import type { Deps } from "../deps.js";
import { notFound } from "../errors.js";
import { EVENT_ID, eventView, SKU } from "../events/event.schemas.js";
import { getEvent } from "../events/events.service.js";
import { cancelOrder } from "../purchase/cancel.service.js";
import { orderView } from "../purchase/order-view.js";
import { joinQueue, readTicket } from "../waiting-room/join.service.js";
import { ticketView } from "../waiting-room/ticket.schemas.js";
import type { TicketTokens } from "../waiting-room/tokens.js";
import { ApiRouter, TAGS } from "./api-router.js";

const eventParams = z.object({ eventId: EVENT_ID });
const orderParams = z.object({ orderId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "an order id") });
const ticketParams = z.object({ ticketId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a ticket id") });

const challengeView = z
  .object({
    challenge: z.string(),
    difficulty: z.number().int(),
    algorithm: z.string(),
    expiresAt: z.string(),
  })
  .meta({ id: "Challenge" });

const publicEventView = eventView
  .pick({ id: true, name: true, status: true, startsAt: true, endsAt: true })
  .extend({
    products: z.array(
      z.object({
        sku: SKU,
        name: z.string(),
        priceCents: z.number().int(),
        perUserLimit: z.number().int(),
        remaining: z.number().int(),
        soldOut: z.boolean().describe("Nothing left and nothing in flight that could come back"),
      }),
    ),
  })
  .meta({ id: "PublicEvent" });

const joinedTicketView = ticketView
  .extend({ token: z.string().describe("Signed ticket token: Bearer for the ticket and the socket") })
  .meta({ id: "JoinedTicket" });

export function shopperRoutes(deps: Deps, tokens: TicketTokens): ApiRouter {
  const api = new ApiRouter({ base: "/api", tag: TAGS.shopper, errors: ["RATE_LIMITED"] });
  const admission = admissionOf(deps);

  api.route(
    {
      method: "get",
      path: "/events/:eventId/challenge",
      summary: "A proof-of-work puzzle to solve before joining (events that ask one)",
      description:
        "Signed, short-lived, good for one join: find a nonce that meets `difficulty` under " +
        "`algorithm`, and send {challenge, nonce} as the join's `pow` (the shop page does it in a Web Worker).",
      params: eventParams,
      responses: { 200: { description: "The puzzle", schema: challengeView } },
      errors: ["NOT_FOUND"],
    },
    async ({ params, res }) => {
      const { powDifficulty } = await admission.settings(params.eventId);
      res.setHeader("Cache-Control", "no-store");
      return { status: 200, body: admission.puzzles.issue(params.eventId, powDifficulty) };
    },
  );

  api.route(
    {
      method: "get",
      path: "/events/:eventId",
      summary: "The event as a shopper sees it",
      params: eventParams,
      responses: { 200: { description: "The event", schema: publicEventView } },
      errors: ["NOT_FOUND"],
    },
    async ({ params }) => {
      const event = await getEvent(deps, params.eventId);
      return {
        status: 200,
        body: {
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
        },
      };
    },
  );

  api.route(
    {
      method: "post",
      path: "/events/:eventId/tickets",
      summary: "Join the waiting room for a product",
      description:
        "The same user joining again for the same product while a ticket is open gets that ticket " +
        "back (200). Follow it with GET /api/tickets/{ticketId} or the Socket.IO namespace / " +
        "(handshake auth {ticketId, token}: queue:position, ticket:result).",
      params: eventParams,
      body: joinBody,
      // The per-client join limit is counted inside the join step (join.service.ts).
      responses: {
        202: { description: "A new ticket", schema: joinedTicketView },
        200: { description: "The user's open ticket for this product", schema: joinedTicketView },
      },
      errors: [
        "NOT_FOUND",
        "SOLD_OUT",
        "SALE_NOT_OPEN",
        "LIMIT_REACHED",
        "QUEUE_FULL",
        "SERVICE_UNAVAILABLE",
        "UNAUTHORIZED",
      ],
    },
    async ({ params, body, req }) => {
      // The event's admission rules: a shop-signed identity, a solved puzzle (src/admission/).
      const input = await admission.admit(params.eventId, body);
      const { created, ticket } = await joinQueue(deps, tokens, params.eventId, input, clientKey(req));
      return { status: created ? 202 : 200, body: ticket };
    },
  );

  api.route(
    {
      method: "get",
      path: "/tickets/:ticketId",
      summary: "Read a ticket: status, position and wait, outcome",
      security: ["ticketToken"],
      params: ticketParams,
      responses: { 200: { description: "The ticket", schema: ticketView } },
      errors: ["NOT_FOUND"],
    },
    async ({ params, req }) => {
      const claims = await tokens.verify(bearer(req.get("authorization")), params.ticketId);
      const ticket = await readTicket(deps, claims.eventId, params.ticketId);
      if (!ticket) throw notFound("ticket", { ticketId: params.ticketId });
      return { status: 200, body: ticket };
    },
  );

  api.route(
    {
      method: "post",
      path: "/orders/:orderId/cancel",
      summary: "Cancel a confirmed order; its stock goes back on sale while the event is LIVE",
      security: ["ticketToken"],
      params: orderParams,
      responses: { 200: { description: "The order, CANCELLED", schema: orderView } },
      errors: ["NOT_FOUND", "INVALID_STATE"],
    },
    async ({ params, req }) => {
      const claims = await tokens.verify(bearer(req.get("authorization")));
      return { status: 200, body: await cancelOrder(deps, claims, params.orderId) };
    },
  );

  return api;
}
