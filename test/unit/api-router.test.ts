// ApiRouter (src/http/api-router.ts): one declaration gives the Express route, with its inputs
// parsed into 400 VALIDATION_FAILED, and its OpenAPI path; under checkAnswers (NODE_ENV=test)
// an answer outside its schema, or carrying a field the schema does not declare, is a 500
// that says so instead of reaching the client.
import type { AddressInfo } from "node:net";
import express from "express";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ApiRouter, TAGS } from "../../src/http/api-router.js";
import { errorMiddleware, notFoundRoute } from "../../src/http/errors.middleware.js";
import { openApiDocument } from "../../src/http/openapi.js";

const thing = z.object({ id: z.string(), count: z.number().int() }).meta({ id: "Thing" });

function thingRouter(checkAnswers: boolean): ApiRouter {
  const api = new ApiRouter({ base: "/api", tag: TAGS.operations });
  api.checkAnswers = checkAnswers;
  const spec = (path: string) => ({
    method: "get" as const,
    path,
    summary: path,
    params: z.object({ id: z.string().regex(/^[a-z]+$/) }),
    query: z.object({ count: z.coerce.number().int().default(1) }),
    responses: { 200: { description: "The thing", schema: thing } },
    errors: ["NOT_FOUND" as const],
  });
  api.route(spec("/things/:id"), ({ params, query }) => ({
    status: 200,
    body: { id: params.id, count: query.count },
  }));
  // biome-ignore lint/suspicious/noExplicitAny: answers that TypeScript would refuse, as a bug would send them
  const wrong = (body: any) => () => ({ status: 200 as const, body });
  api.route(spec("/bad-type/:id"), wrong({ id: "x", count: "three" }));
  api.route(spec("/extra-field/:id"), wrong({ id: "x", count: 3, secret: "leaked" }));
  api.route(
    {
      method: "post",
      path: "/things",
      summary: "Create",
      body: z.strictObject({ id: z.string() }),
      responses: { 201: { description: "Created", schema: thing }, 204: { description: "Nothing" } },
    },
    ({ body }) => (body.id === "none" ? { status: 204 } : { status: 201, body: { id: body.id, count: 0 } }),
  );
  return api;
}

async function serve(api: ApiRouter) {
  const app = express();
  app.use(express.json());
  app.use(api.base, api.router);
  app.use(notFoundRoute);
  app.use(errorMiddleware(pino({ level: "silent" })));
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const get = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

let checked: Awaited<ReturnType<typeof serve>>;
let unchecked: Awaited<ReturnType<typeof serve>>;
beforeAll(async () => {
  checked = await serve(thingRouter(true));
  unchecked = await serve(thingRouter(false));
});
afterAll(() => {
  checked.server.close();
  unchecked.server.close();
});

describe("ApiRouter", () => {
  it("parses params, query and body, and sends the declared answer", async () => {
    expect(await get(`${checked.url}/api/things/abc?count=4`)).toEqual({
      status: 200,
      body: { id: "abc", count: 4 },
    });
    const created = await get(`${checked.url}/api/things`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "new" }),
    });
    expect(created).toEqual({ status: 201, body: { id: "new", count: 0 } });
    const empty = await get(`${checked.url}/api/things`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "none" }),
    });
    expect(empty).toEqual({ status: 204, body: undefined });
  });

  it("refuses bad inputs with 400 VALIDATION_FAILED in the contract's shape", async () => {
    const badParam = await get(`${checked.url}/api/things/ABC`);
    expect(badParam.status).toBe(400);
    expect(badParam.body.error).toMatchObject({ code: "VALIDATION_FAILED", details: { in: "params" } });
    const badQuery = await get(`${checked.url}/api/things/abc?count=many`);
    expect(badQuery.body.error).toMatchObject({ code: "VALIDATION_FAILED", details: { in: "query" } });
    const badBody = await get(`${checked.url}/api/things`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: 1, more: true }),
    });
    expect(badBody.body.error).toMatchObject({ code: "VALIDATION_FAILED", details: { in: "body" } });
  });

  it("under checkAnswers, an answer outside its schema or with an undeclared field is a 500 that says which", async () => {
    const badType = await get(`${checked.url}/api/bad-type/x`);
    expect(badType.status).toBe(500);
    expect(badType.body.error.message).toMatch(
      /GET \/api\/bad-type\/\{id\}: the 200 answer fails its schema: count/,
    );
    const extra = await get(`${checked.url}/api/extra-field/x`);
    expect(extra.status).toBe(500);
    expect(extra.body.error.message).toMatch(/does not declare/);
    // Without it (production), nothing is checked: the cost stays off the hot path.
    expect((await get(`${unchecked.url}/api/extra-field/x`)).status).toBe(200);
  });

  it("documents each route with its inputs, its answers and the error codes it may give", () => {
    const doc = openApiDocument([thingRouter(false)]);
    const op = doc.paths?.["/api/things/{id}"]?.get;
    expect(op?.parameters?.map((p) => ("name" in p ? `${p.in}:${p.name}` : "")).sort()).toEqual([
      "path:id",
      "query:count",
    ]);
    expect(Object.keys(op?.responses ?? {}).sort()).toEqual(["200", "400", "404", "default"]);
    expect(op?.responses?.["200"]).toEqual({
      description: "The thing",
      content: { "application/json": { schema: { $ref: "#/components/schemas/Thing" } } },
    });
    const post = doc.paths?.["/api/things"]?.post;
    expect(Object.keys(post?.responses ?? {}).sort()).toEqual(["201", "204", "400", "default"]);
    expect(post?.responses?.["204"]).toEqual({ description: "Nothing" });
  });
});
