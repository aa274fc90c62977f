// The API's reference: the OpenAPI document of every declared route at /api/docs, and
// Swagger UI over it at /api/docs.html (the swagger-ui-dist package's files, served as they
// are, and our two small files in docs-page/).
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import express, { type RequestHandler } from "express";
import { z } from "zod";
import { ApiRouter, TAGS } from "./api-router.js";
import { openApiDocument } from "./openapi.js";

const PAGE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "docs-page");
const SWAGGER_UI_DIR = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
/** Where the page's files are served; docs-page/docs.html names them. */
const DOCS_UI_PATH = "/api/docs-ui";
/** Of swagger-ui-dist, only what the page loads. */
const SWAGGER_UI_FILES = new Set(["/swagger-ui.css", "/swagger-ui-bundle.js"]);

const documentShape = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
});

/** `routers`: every documented router of the app, this one included (read on first use). */
export function docsRoutes(routers: () => readonly ApiRouter[]): ApiRouter {
  const api = new ApiRouter({ base: "/api", tag: TAGS.operations, errors: ["RATE_LIMITED"] });
  let document: z.output<typeof documentShape> | undefined;
  api.route(
    {
      method: "get",
      path: "/docs",
      summary: "This document (OpenAPI 3.1)",
      responses: {
        200: {
          description: "The OpenAPI document",
          schema: documentShape,
        },
      },
    },
    () => {
      document ??= documentShape.parse(openApiDocument(routers()));
      return { status: 200, body: document };
    },
  );
  api.route(
    {
      method: "get",
      path: "/docs.html",
      summary: "This document, rendered (Swagger UI)",
      responses: { 200: { description: "A page", contentType: "text/html" } },
    },
    () => ({ status: 200, file: path.join(PAGE_DIR, "docs.html") }),
  );
  const swaggerUi = express.static(SWAGGER_UI_DIR, { index: false, maxAge: "1h" });
  const onlyTheUi: RequestHandler = (req, res, next) =>
    SWAGGER_UI_FILES.has(req.path) ? swaggerUi(req, res, next) : next();
  api.router.use(
    DOCS_UI_PATH.slice(api.base.length),
    express.static(PAGE_DIR, { index: false, maxAge: "1h" }),
    onlyTheUi,
  );
  return api;
}
