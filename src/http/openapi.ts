// The API's own reference: an OpenAPI 3.1 document made by zod-to-openapi from the routes as
// they are declared (api-router.ts), served at /api/docs. Nothing here lists a route: what
// is mounted is what is documented. This file adds what every route shares: the error shape
// and which codes a route may answer, the security schemes, the document's preamble.
import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type ResponseConfig,
  type RouteConfig,
} from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { ERROR_STATUS, type ErrorCode } from "../errors.js";
import type { ApiRouter, DeclaredRoute, SecurityScheme, Tag } from "./api-router.js";

export const errorBody = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
      message: z.string().describe("A human sentence"),
      details: z.record(z.string(), z.unknown()).optional().describe("Machine-readable specifics"),
    }),
  })
  .meta({ id: "Error" });

const SECURITY_SCHEMES: Record<SecurityScheme, Record<string, string>> = {
  adminToken: { type: "http", scheme: "bearer", description: "ADMIN_TOKEN" },
  ticketToken: { type: "http", scheme: "bearer", description: "The token handed out with a ticket" },
  dashboardCookie: { type: "apiKey", in: "cookie", name: "dq_admin" },
  serviceKey: {
    type: "http",
    scheme: "bearer",
    description: "A service key (dqk_…) made by an admin, limited to its scopes",
  },
};

const INFO = {
  title: "dropqueue",
  version: "1",
  description:
    "A virtual waiting room and purchase pipeline for limited-stock sales. JSON in UTF-8, " +
    "ISO-8601 times, integer cents. Every error: " +
    '{"error": {"code", "message", "details"?}}. Realtime (Socket.IO, path /socket.io): ' +
    "namespace / with auth {ticketId, token} sends queue:position and ticket:result; " +
    "namespace /admin with auth {token: ADMIN_TOKEN} sends event:stats once a second per live event.",
};

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31["generateDocument"]>;

/** The document of the routes of these routers, in their order. */
export function openApiDocument(routers: readonly ApiRouter[]): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) {
    registry.registerComponent("securitySchemes", name, scheme as never);
  }
  const tags = new Map<string, Tag>();
  for (const route of routers.flatMap((r) => r.routes)) {
    tags.set(route.tag.name, route.tag);
    registry.registerPath(routeConfig(route));
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: INFO,
    tags: [...tags.values()],
  });
}

function routeConfig(route: DeclaredRoute): RouteConfig {
  return {
    method: route.method,
    path: route.path,
    operationId: operationId(route),
    tags: [route.tag.name],
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    security: route.security.map((name) => ({ [name]: [] })),
    request: {
      ...(route.params ? { params: route.params } : {}),
      ...(route.query ? { query: route.query } : {}),
      ...(route.body
        ? { body: { required: true, content: { "application/json": { schema: route.body } } } }
        : {}),
    },
    responses: { ...errorAnswers(route), ...successAnswers(route) },
  };
}

/** `get /api/events/{eventId}` → `getApiEventsEventId`. */
const operationId = (route: DeclaredRoute) =>
  `${route.method}${route.path.replace(/[{}]/g, "").replace(/[/.-](\w)/g, (_, c: string) => c.toUpperCase())}`;

function successAnswers(route: DeclaredRoute): Record<string, ResponseConfig> {
  const out: Record<string, ResponseConfig> = {};
  for (const [status, answer] of Object.entries(route.responses)) {
    const media = answer.contentType ?? (answer.schema ? "application/json" : undefined);
    out[status] = {
      description: answer.description,
      ...(media ? { content: { [media]: { schema: answer.schema ?? z.string() } } } : {}),
    };
  }
  return out;
}

/** The contract's one error shape, under each status the route's codes answer with. */
function errorAnswers(route: DeclaredRoute): Record<string, ResponseConfig> {
  const codes = new Set<ErrorCode>();
  if (route.security.length > 0) codes.add("UNAUTHORIZED");
  if (route.parsesInputs && (route.params || route.query || route.body)) codes.add("VALIDATION_FAILED");
  for (const code of route.errors) codes.add(code);
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes)
    byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  const out: Record<string, ResponseConfig> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = {
      description: list.join(", "),
      content: { "application/json": { schema: errorBody } },
    };
  }
  out.default = {
    description: "INTERNAL (500) or another error, in the same shape",
    content: { "application/json": { schema: errorBody } },
  };
  return out;
}
