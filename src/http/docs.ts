// The API's own reference: an OpenAPI 3.1 document built from the zod schemas the routes
// validate with (zod 4's native JSON Schema), served at /api/docs, and a small page that
// renders it at /api/docs.html (self-contained: no CDN, no build step). Every route of
// shared API.md is listed; the response shapes are declared here once, and checked against
// the TypeScript views at compile time, so the document cannot drift from what is sent.
import { Router } from "express";
import { z } from "zod";
import { ERROR_STATUS, type ErrorCode } from "../errors.js";
import {
  createEventInput,
  EVENT_ID,
  EVENT_STATUSES,
  type EventView,
  type ProductView,
  SKU,
  stockInput,
} from "../events/event.schemas.js";
import { LEDGER_REASONS, type LedgerEntryView, ledgerQuery } from "../events/ledger.service.js";
import { ORDER_STATUSES, ordersQuery } from "../events/orders.service.js";
import type { Page } from "../events/paging.js";
import type { Stats } from "../events/stats.service.js";
import type { OrderView } from "../purchase/order-view.js";
import { joinInput, TICKET_STATUSES, type TicketView, USER_ID } from "../waiting-room/ticket.schemas.js";

// ---------------------------------------------------------------------------------------
// Response shapes (components)
// ---------------------------------------------------------------------------------------

const components = z.registry<{ id: string }>();
const time = z.string().meta({ format: "date-time", description: "ISO-8601 time" });
const REASONS = ["SOLD_OUT", "LIMIT_REACHED", "SALE_ENDED", "PAYMENT_DECLINED", "PROCESSING_FAILED"] as const;

const errorBody = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
      message: z.string().describe("A human sentence"),
      details: z.record(z.string(), z.unknown()).optional().describe("Machine-readable specifics"),
    }),
  })
  .register(components, { id: "Error" });

const product = z
  .object({
    sku: SKU,
    name: z.string(),
    priceCents: z.number().int(),
    perUserLimit: z.number().int(),
    total: z.number().int().describe("remaining + reserved + sold"),
    remaining: z.number().int(),
    reserved: z.number().int().describe("Held by purchases in flight"),
    sold: z.number().int(),
  })
  .register(components, { id: "Product" });

const event = z
  .object({
    id: EVENT_ID,
    name: z.string(),
    status: z.enum(EVENT_STATUSES),
    startsAt: time.nullable(),
    endsAt: time.nullable(),
    admissionRate: z.number().int().describe("Tickets admitted per second"),
    perUserLimit: z.number().int(),
    paymentFailureRate: z.number(),
    waitingCapacity: z.number().int(),
    firstLiveAt: time.nullable().describe("When it first went LIVE; the stock ceiling dates from then"),
    createdAt: time,
    products: z.array(product),
  })
  .register(components, { id: "Event" });

z.object({
  id: EVENT_ID,
  name: z.string(),
  status: z.enum(EVENT_STATUSES),
  startsAt: time.nullable(),
  endsAt: time.nullable(),
  products: z.array(
    z.object({
      sku: SKU,
      name: z.string(),
      priceCents: z.number().int(),
      perUserLimit: z.number().int(),
      remaining: z.number().int(),
      soldOut: z.boolean(),
    }),
  ),
}).register(components, { id: "PublicEvent" });

const ticket = z
  .object({
    ticketId: z.string(),
    eventId: EVENT_ID,
    sku: SKU,
    quantity: z.number().int(),
    status: z.enum(TICKET_STATUSES),
    position: z.number().int().optional().describe("While QUEUED: tickets ahead, plus one"),
    etaSeconds: z
      .number()
      .min(0)
      .optional()
      .describe("While QUEUED: seconds until its result is expected, to a tenth (from the admission rate)"),
    reason: z.enum(REASONS).optional(),
    orderId: z.string().optional(),
  })
  .register(components, { id: "Ticket" });

ticket
  .extend({ token: z.string().describe("Signed ticket token: Bearer for the ticket and the socket") })
  .register(components, { id: "JoinedTicket" });

const order = z
  .object({
    orderId: z.string(),
    ticketId: z.string(),
    eventId: EVENT_ID,
    sku: SKU,
    userId: USER_ID,
    quantity: z.number().int(),
    amountCents: z.number().int(),
    status: z.enum(ORDER_STATUSES),
    reason: z.string().optional(),
    createdAt: time,
  })
  .register(components, { id: "Order" });

const ledgerEntry = z
  .object({
    id: z.string().describe("64-bit id, as a string"),
    eventId: EVENT_ID,
    sku: SKU,
    reason: z.enum(LEDGER_REASONS),
    quantity: z.number().int().describe("Signed for ADJUST"),
    reference: z.string().nullable().describe('A ticket id, an order id, "create" or "admin"'),
    createdAt: time,
  })
  .register(components, { id: "LedgerEntry" });

const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable().describe("null on the last page") });
const ordersPage = page(order).register(components, { id: "OrdersPage" });
const ledgerPage = page(ledgerEntry).register(components, { id: "LedgerPage" });

const count = z.number().int();
const stats = z
  .object({
    joins: count,
    waiting: count,
    processing: count,
    confirmed: count,
    rejected: z.object({ SOLD_OUT: count, LIMIT_REACHED: count, SALE_ENDED: count }),
    failed: z.object({ PAYMENT_DECLINED: count, PROCESSING_FAILED: count }),
    cancelled: count,
    admittedPerSecond: z.number(),
    products: z.array(z.object({ sku: SKU, total: count, remaining: count, reserved: count, sold: count })),
  })
  .register(components, { id: "Stats" });

z.object({
  products: z.array(
    z.object({
      sku: SKU,
      expectedRemaining: count,
      redisRemaining: count,
      drift: count,
      repaired: z.boolean(),
    }),
  ),
}).register(components, { id: "Reconciliation" });

// The shapes above are what the services return: a change on either side fails to compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type DocumentedShapes = [
  Holds<Same<z.infer<typeof product>, ProductView>>,
  Holds<Same<z.infer<typeof event>, EventView>>,
  Holds<Same<z.infer<typeof ticket>, Omit<TicketView, "reason"> & { reason?: (typeof REASONS)[number] }>>,
  Holds<Same<z.infer<typeof order>, OrderView>>,
  Holds<Same<z.infer<typeof ledgerEntry>, LedgerEntryView>>,
  Holds<Same<z.infer<typeof ordersPage>, Page<OrderView>>>,
  Holds<Same<z.infer<typeof ledgerPage>, Page<LedgerEntryView>>>,
  Holds<Same<z.infer<typeof stats>, Stats>>,
  Holds<Same<z.infer<typeof errorBody>["error"]["code"], ErrorCode>>,
];

// ---------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------

type Auth = "admin" | "ticket" | "dashboard" | "none";
type Json = Record<string, unknown>;

interface Answer {
  description: string;
  /** A component name, `[Name]` for an array of it, or a media type for a non-JSON answer. */
  body?: string;
}

interface RouteDoc {
  method: "get" | "post" | "put";
  path: string;
  tag: "Admin" | "Shopper" | "Operations";
  summary: string;
  description?: string;
  auth: Auth;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  answers: Record<number, Answer>;
  errors?: ErrorCode[];
}

const eventParams = z.object({ eventId: EVENT_ID });
const productParams = z.object({ eventId: EVENT_ID, sku: SKU });
const ticketParams = z.object({ ticketId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });
const orderParams = z.object({ orderId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) });

const lifecycle = (action: string, from: string, to: string): RouteDoc => ({
  method: "post",
  path: `/api/admin/events/{eventId}/${action}`,
  tag: "Admin",
  summary: `${action[0]?.toUpperCase()}${action.slice(1)} the sale (${from} → ${to})`,
  auth: "admin",
  params: eventParams,
  answers: { 200: { description: "The event in its new state", body: "Event" } },
  errors: ["NOT_FOUND", "INVALID_STATE"],
});

export const ROUTES: RouteDoc[] = [
  {
    method: "post",
    path: "/api/admin/events",
    tag: "Admin",
    summary: "Create an event with its products and stock",
    description: "A future startsAt makes it SCHEDULED (shoppers may join the pre-queue); otherwise DRAFT.",
    auth: "admin",
    body: createEventInput,
    answers: { 201: { description: "The new event", body: "Event" } },
  },
  {
    method: "get",
    path: "/api/admin/events",
    tag: "Admin",
    summary: "List events, newest first",
    auth: "admin",
    answers: { 200: { description: "Every event", body: "[Event]" } },
  },
  {
    method: "get",
    path: "/api/admin/events/{eventId}",
    tag: "Admin",
    summary: "Read an event with the live counters of each product",
    auth: "admin",
    params: eventParams,
    answers: { 200: { description: "The event", body: "Event" } },
    errors: ["NOT_FOUND"],
  },
  lifecycle("start", "DRAFT or SCHEDULED", "LIVE"),
  lifecycle("pause", "LIVE", "PAUSED"),
  lifecycle("resume", "PAUSED", "LIVE"),
  lifecycle("stop", "any state", "ENDED"),
  {
    method: "put",
    path: "/api/admin/events/{eventId}/products/{sku}/stock",
    tag: "Admin",
    summary: "Set a product's total stock within the stock rules",
    description:
      "Before the event first goes LIVE any total ≥ 0 is allowed. Afterwards the total may go neither " +
      "above the total it had when it first went LIVE nor below what is sold plus reserved; a change " +
      "that breaks a rule answers 422 STOCK_RULE with details {min, max, sold, reserved, current} " +
      "(max null: no ceiling). Applied atomically while purchases run, and recorded as an ADJUST " +
      "ledger entry.",
    auth: "admin",
    params: productParams,
    body: stockInput,
    answers: { 200: { description: "The product with its live counters", body: "Product" } },
    errors: ["NOT_FOUND", "INVALID_STATE", "STOCK_RULE"],
  },
  {
    method: "get",
    path: "/api/admin/events/{eventId}/stats",
    tag: "Admin",
    summary: "Live stats of the sale (also pushed on the /admin socket namespace as event:stats)",
    auth: "admin",
    params: eventParams,
    answers: { 200: { description: "The stats", body: "Stats" } },
    errors: ["NOT_FOUND"],
  },
  {
    method: "get",
    path: "/api/admin/events/{eventId}/orders",
    tag: "Admin",
    summary: "The event's orders, oldest first, a page at a time",
    auth: "admin",
    params: eventParams,
    query: ordersQuery,
    answers: { 200: { description: "A page of orders", body: "OrdersPage" } },
    errors: ["NOT_FOUND"],
  },
  {
    method: "get",
    path: "/api/admin/events/{eventId}/ledger",
    tag: "Admin",
    summary: "The event's insert-only stock ledger, in id order, a page at a time",
    description:
      "Per product: total = INITIAL + ADJUST (signed), sold = SALE − CANCEL, " +
      "reserved = RESERVE − SALE − RESTORE (purchases in flight are not in it yet).",
    auth: "admin",
    params: eventParams,
    query: ledgerQuery,
    answers: { 200: { description: "A page of ledger entries", body: "LedgerPage" } },
    errors: ["NOT_FOUND"],
  },
  {
    method: "post",
    path: "/api/admin/events/{eventId}/reconcile",
    tag: "Admin",
    summary: "Compare Redis' counters with PostgreSQL and repair drift",
    auth: "admin",
    params: eventParams,
    answers: { 200: { description: "What was found and repaired", body: "Reconciliation" } },
    errors: ["NOT_FOUND"],
  },
  {
    method: "get",
    path: "/admin/queues",
    tag: "Admin",
    summary: "The BullMQ dashboard of every event's purchase queue",
    description:
      "A page for browsers: open it once with ?token=<ADMIN_TOKEN>, which sets an HttpOnly, " +
      "SameSite=Strict cookie (dq_admin) for the visit. A Bearer header works too.",
    auth: "dashboard",
    query: z.object({ token: z.string().optional().describe("The admin token (sets the cookie)") }),
    answers: { 200: { description: "The dashboard", body: "text/html" } },
  },
  {
    method: "get",
    path: "/api/events/{eventId}",
    tag: "Shopper",
    summary: "The event as a shopper sees it",
    auth: "none",
    params: eventParams,
    answers: { 200: { description: "The event", body: "PublicEvent" } },
    errors: ["NOT_FOUND"],
  },
  {
    method: "post",
    path: "/api/events/{eventId}/tickets",
    tag: "Shopper",
    summary: "Join the waiting room for a product",
    description:
      "The same user joining again for the same product while a ticket is open gets that ticket " +
      "back (200). Follow it with GET /api/tickets/{ticketId} or the Socket.IO namespace / " +
      "(handshake auth {ticketId, token}: queue:position, ticket:result).",
    auth: "none",
    params: eventParams,
    body: joinInput,
    answers: {
      202: { description: "A new ticket", body: "JoinedTicket" },
      200: { description: "The user's open ticket for this product", body: "JoinedTicket" },
    },
    errors: ["NOT_FOUND", "SOLD_OUT", "SALE_NOT_OPEN", "LIMIT_REACHED", "RATE_LIMITED", "QUEUE_FULL"],
  },
  {
    method: "get",
    path: "/api/tickets/{ticketId}",
    tag: "Shopper",
    summary: "Read a ticket: status, position and wait, outcome",
    auth: "ticket",
    params: ticketParams,
    answers: { 200: { description: "The ticket", body: "Ticket" } },
    errors: ["NOT_FOUND"],
  },
  {
    method: "post",
    path: "/api/orders/{orderId}/cancel",
    tag: "Shopper",
    summary: "Cancel a confirmed order; its stock goes back on sale while the event is LIVE",
    auth: "ticket",
    params: orderParams,
    answers: { 200: { description: "The order, CANCELLED", body: "Order" } },
    errors: ["NOT_FOUND", "INVALID_STATE"],
  },
  {
    method: "get",
    path: "/healthz",
    tag: "Operations",
    summary: "The process is alive",
    auth: "none",
    answers: { 200: { description: '{"status":"ok"}' } },
  },
  {
    method: "get",
    path: "/readyz",
    tag: "Operations",
    summary: "Redis and PostgreSQL answer (503 otherwise)",
    auth: "none",
    answers: { 200: { description: "Ready" }, 503: { description: "Redis or PostgreSQL does not answer" } },
  },
  {
    method: "get",
    path: "/metrics",
    tag: "Operations",
    summary: "Prometheus metrics: HTTP, and per live event joins, outcomes, waiting, queue depth, stock",
    auth: "none",
    answers: { 200: { description: "Prometheus text format", body: "text/plain" } },
  },
  {
    method: "get",
    path: "/api/docs",
    tag: "Operations",
    summary: "This document (OpenAPI 3.1)",
    auth: "none",
    answers: { 200: { description: "The OpenAPI document" } },
  },
  {
    method: "get",
    path: "/api/docs.html",
    tag: "Operations",
    summary: "This document, rendered",
    auth: "none",
    answers: { 200: { description: "A page", body: "text/html" } },
  },
];

// ---------------------------------------------------------------------------------------
// The document
// ---------------------------------------------------------------------------------------

const REF = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function jsonSchema(schema: z.ZodType): Json {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Json;
  return rest;
}

function parameters(where: "path" | "query", schema: z.ZodObject | undefined): Json[] {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => {
    const property = field as z.ZodType;
    const { description, ...rest } = jsonSchema(property);
    return {
      name,
      in: where,
      required: where === "path" || !property.safeParse(undefined).success,
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

function content(body: string | undefined): Json | undefined {
  if (body === undefined) return undefined;
  if (body.includes("/")) return { [body]: { schema: { type: "string" } } };
  const schema = body.startsWith("[") ? { type: "array", items: REF(body.slice(1, -1)) } : REF(body);
  return { "application/json": { schema } };
}

function responses(route: RouteDoc): Json {
  const out: Json = {};
  for (const [status, answer] of Object.entries(route.answers)) {
    const body = content(answer.body);
    out[status] = { description: answer.description, ...(body ? { content: body } : {}) };
  }
  // Every error has the contract's one shape; group the codes by status.
  const codes: ErrorCode[] = [...(route.errors ?? [])];
  if (route.params || route.query || route.body) codes.unshift("VALIDATION_FAILED");
  if (route.auth !== "none") codes.unshift("UNAUTHORIZED");
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes)
    byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  for (const [status, list] of byStatus) {
    out[String(status)] = {
      description: list.join(", "),
      content: { "application/json": { schema: REF("Error") } },
    };
  }
  out.default = {
    description: "INTERNAL (500) or another error, in the same shape",
    content: { "application/json": { schema: REF("Error") } },
  };
  return out;
}

const SECURITY: Record<Auth, Json[]> = {
  admin: [{ adminToken: [] }],
  ticket: [{ ticketToken: [] }],
  dashboard: [{ adminToken: [] }, { dashboardCookie: [] }],
  none: [],
};

function buildDocument(): Json {
  const { schemas } = z.toJSONSchema(components, { uri: (id) => `#/components/schemas/${id}` });
  for (const schema of Object.values(schemas)) {
    delete schema.$schema;
    delete schema.$id;
  }
  const paths: Record<string, Json> = {};
  for (const route of ROUTES) {
    const operation: Json = {
      operationId: `${route.method}${route.path.replace(/[{}]/g, "").replace(/[/.-](\w)/g, (_, c: string) => c.toUpperCase())}`,
      tags: [route.tag],
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      security: SECURITY[route.auth],
      parameters: [...parameters("path", route.params), ...parameters("query", route.query)],
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { "application/json": { schema: jsonSchema(route.body) } },
            },
          }
        : {}),
      responses: responses(route),
    };
    paths[route.path] = { ...paths[route.path], [route.method]: operation };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "dropqueue",
      version: "1",
      description:
        "A virtual waiting room and purchase pipeline for limited-stock sales. JSON in UTF-8, " +
        "ISO-8601 times, integer cents. Every error: " +
        '{"error": {"code", "message", "details"?}}. Realtime (Socket.IO, path /socket.io): ' +
        "namespace / with auth {ticketId, token} sends queue:position and ticket:result; " +
        "namespace /admin with auth {token: ADMIN_TOKEN} sends event:stats once a second per live event.",
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    tags: [
      { name: "Admin", description: "Authorization: Bearer <ADMIN_TOKEN>" },
      { name: "Shopper", description: "Joining, tickets and orders" },
      { name: "Operations", description: "Health, readiness, metrics and these docs" },
    ],
    paths,
    components: {
      schemas,
      securitySchemes: {
        adminToken: { type: "http", scheme: "bearer", description: "ADMIN_TOKEN" },
        ticketToken: { type: "http", scheme: "bearer", description: "The token handed out with a ticket" },
        dashboardCookie: { type: "apiKey", in: "cookie", name: "dq_admin" },
      },
    },
  };
}

let cached: Json | undefined;
export function openApiDocument(): Json {
  cached ??= buildDocument();
  return cached;
}

export function docsRoutes(): Router {
  const router = Router();
  router.get("/api/docs", (_req, res) => {
    res.json(openApiDocument());
  });
  router.get("/api/docs.html", (_req, res) => {
    res.type("html").send(DOCS_PAGE);
  });
  return router;
}

// A page that reads /api/docs and lists the routes, their inputs and answers. Plain DOM
// building (textContent only), so nothing from the document is ever parsed as HTML.
const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dropqueue API</title>
<link rel="icon" href="data:,">
<style>
  :root { color-scheme: light dark; --muted: #777; --line: #8884; }
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 980px; padding: 1.5rem; }
  h1 { margin: 0 0 .25rem; } h2 { margin-top: 2rem; border-bottom: 1px solid var(--line); }
  .intro { color: var(--muted); }
  details.op { border: 1px solid var(--line); border-radius: 6px; margin: .4rem 0; }
  details.op > summary { cursor: pointer; padding: .45rem .6rem; display: flex; gap: .6rem; align-items: baseline; }
  .method { font: 600 12px ui-monospace, monospace; padding: .1rem .4rem; border-radius: 4px; color: #fff; min-width: 3.2rem; text-align: center; }
  .get { background: #2f7d32; } .post { background: #1565c0; } .put { background: #b26a00; }
  .path { font-family: ui-monospace, monospace; } .summary { color: var(--muted); }
  .body { padding: 0 .9rem .8rem; } table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; border-bottom: 1px solid var(--line); padding: .25rem .4rem; vertical-align: top; }
  code, pre { font: 13px ui-monospace, monospace; } pre { overflow-x: auto; background: #8881; padding: .5rem; border-radius: 4px; }
  .lock { font-size: 12px; color: var(--muted); }
</style>
</head>
<body>
<h1>dropqueue API</h1>
<p class="intro" id="intro">Loading <a href="docs">/api/docs</a>…</p>
<main id="routes"></main>
<h2>Schemas</h2>
<main id="schemas"></main>
<script>
(async () => {
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) k === "text" ? (node.textContent = v) : node.setAttribute(k, v);
    for (const c of children) if (c) node.append(c);
    return node;
  };
  const refName = (s) => (s && s.$ref ? s.$ref.split("/").pop() : null);
  const typeOf = (s) => {
    if (!s) return "";
    const ref = refName(s);
    if (ref) return ref;
    if (s.type === "array") return typeOf(s.items) + "[]";
    if (s.enum) return s.enum.join(" | ");
    if (s.anyOf) return s.anyOf.map(typeOf).join(" | ");
    const t = Array.isArray(s.type) ? s.type.join(" | ") : s.type || "any";
    const bounds = [s.minimum !== undefined && "≥ " + s.minimum, s.maximum !== undefined && "≤ " + s.maximum,
      s.pattern && "/" + s.pattern + "/", s.default !== undefined && "default " + JSON.stringify(s.default)].filter(Boolean);
    return bounds.length ? t + " (" + bounds.join(", ") + ")" : t;
  };
  const fields = (schema) => {
    const rows = Object.entries(schema.properties || {}).map(([name, s]) =>
      el("tr", {}, el("td", {}, el("code", { text: name + ((schema.required || []).includes(name) ? "" : "?") })),
        el("td", { text: typeOf(s) }), el("td", { text: s.description || "" })));
    return rows.length ? el("table", {}, el("tr", {}, el("th", { text: "field" }), el("th", { text: "type" }), el("th", { text: "" })), ...rows) : el("pre", { text: JSON.stringify(schema, null, 2) });
  };
  const doc = await (await fetch("docs")).json();
  document.getElementById("intro").textContent = doc.info.description;
  const routes = document.getElementById("routes");
  for (const tag of doc.tags) {
    routes.append(el("h2", { text: tag.name }), el("p", { class: "intro", text: tag.description }));
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!op.tags.includes(tag.name)) continue;
        const body = el("div", { class: "body" });
        if (op.description) body.append(el("p", { text: op.description }));
        if (op.security.length) body.append(el("p", { class: "lock", text: "Auth: " + op.security.map((s) => Object.keys(s)[0]).join(" or ") }));
        if (op.parameters.length) body.append(el("h4", { text: "Parameters" }), el("table", {},
          ...op.parameters.map((p) => el("tr", {}, el("td", {}, el("code", { text: p.name + (p.required ? "" : "?") })),
            el("td", { text: p.in }), el("td", { text: typeOf(p.schema) }), el("td", { text: p.description || "" })))));
        if (op.requestBody) body.append(el("h4", { text: "Body (application/json)" }), fields(op.requestBody.content["application/json"].schema));
        body.append(el("h4", { text: "Answers" }), el("table", {}, ...Object.entries(op.responses).map(([status, r]) => {
          const media = r.content && Object.keys(r.content)[0];
          const schema = media && r.content[media].schema;
          return el("tr", {}, el("td", { text: status }), el("td", { text: r.description }),
            el("td", {}, schema ? el("code", { text: media === "application/json" ? typeOf(schema) : media }) : null));
        })));
        routes.append(el("details", { class: "op" }, el("summary", {},
          el("span", { class: "method " + method, text: method.toUpperCase() }), el("span", { class: "path", text: path }),
          el("span", { class: "summary", text: op.summary })), body));
      }
    }
  }
  const schemas = document.getElementById("schemas");
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    schemas.append(el("h3", { id: name, text: name }), fields(schema));
  }
})().catch((err) => { document.getElementById("intro").textContent = "Could not load /api/docs: " + err; });
</script>
</body>
</html>
`;
