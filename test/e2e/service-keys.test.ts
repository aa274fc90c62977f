// Service keys (API.md "Service keys") over real HTTP, Redis and PostgreSQL: the admin makes,
// lists and revokes keys; a revoked key is refused at once by another API process that had
// it cached; scopes are checked by the serviceApi factory the stock, coupon and order routers
// use; failed authentications share the admin's per-client budget; a key has a budget of its own.
import { randomInt } from "node:crypto";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { hasScope } from "../../src/auth/service-keys.js";
import { errorMiddleware } from "../../src/http/errors.middleware.js";
import { requireScope, serviceApi, servicePrincipal } from "../../src/http/service-auth.js";
import { ADMIN_TOKEN, eventually, startTestStack, type TestStack } from "../support/app.js";

let a: TestStack;
let b: TestStack;
beforeAll(async () => {
  // Two API processes on the same Redis and PostgreSQL; the client is named by X-Forwarded-For.
  const env = { TRUST_PROXY: "loopback", ADMIN_FAILURES_PER_MINUTE: "20" };
  [a, b] = await Promise.all([
    startTestStack({ workerPools: 0, env }),
    startTestStack({ workerPools: 0, env }),
  ]);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

const client = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

async function call(
  url: string,
  method: string,
  path: string,
  opts: { auth?: string; body?: unknown; raw?: string; from?: string } = {},
) {
  const headers: Record<string, string> = { "x-forwarded-for": opts.from ?? client() };
  if (opts.auth !== undefined) headers.authorization = `Bearer ${opts.auth}`;
  if (opts.body !== undefined || opts.raw !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    body:
      method === "GET"
        ? undefined
        : (opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body))),
  });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function makeKey(scopes: string[], name = "checkout") {
  const res = await call(a.url, "POST", "/api/admin/service-keys", {
    auth: ADMIN_TOKEN,
    body: { name, scopes },
  });
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string; name: string; scopes: string[]; key: string; createdAt: string };
}

describe("the admin's service keys", () => {
  it("makes a key shown once, lists it without the key, revokes it at once on every API process", async () => {
    const made = await makeKey(["stocks", "coupons"], "shop checkout");
    expect(made).toEqual({
      id: expect.any(String),
      name: "shop checkout",
      scopes: ["stocks", "coupons"],
      key: expect.stringMatching(/^dqk_[A-Za-z0-9_-]{43}$/),
      createdAt: expect.any(String),
    });

    // Both processes accept it (and now hold it in their caches).
    for (const url of [a.url, b.url]) {
      const who = await call(url, "GET", "/api/service/whoami", { auth: made.key });
      expect(who.status, who.text).toBe(200);
      expect(who.body).toEqual({ id: made.id, name: "shop checkout", scopes: ["stocks", "coupons"] });
    }

    const list = await call(a.url, "GET", "/api/admin/service-keys", { auth: ADMIN_TOKEN });
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(made.key);
    expect(list.text).not.toContain(made.key.slice(8));
    const { lastUsedAt, ...row } =
      (list.body as Record<string, unknown>[]).find((k) => k.id === made.id) ?? {};
    // Written in the background after the calls above: there, or not yet.
    expect(lastUsedAt === null || typeof lastUsedAt === "string", String(lastUsedAt)).toBe(true);
    expect(row).toEqual({
      id: made.id,
      name: "shop checkout",
      scopes: ["stocks", "coupons"],
      prefix: made.key.slice(0, 8),
      createdAt: made.createdAt,
      revokedAt: null,
    });

    // Revoked on A: B refuses it on the very next call.
    const revoked = await call(a.url, "DELETE", `/api/admin/service-keys/${made.id}`, { auth: ADMIN_TOKEN });
    expect(revoked.status, revoked.text).toBe(204);
    for (const url of [b.url, a.url]) {
      const who = await call(url, "GET", "/api/service/whoami", { auth: made.key });
      expect(who.status, who.text).toBe(401);
      expect(who.body.error.code).toBe("UNAUTHORIZED");
    }
    // Idempotent; an unknown id is 404.
    expect(
      (await call(b.url, "DELETE", `/api/admin/service-keys/${made.id}`, { auth: ADMIN_TOKEN })).status,
    ).toBe(204);
    const unknown = await call(a.url, "DELETE", "/api/admin/service-keys/sk_nope", { auth: ADMIN_TOKEN });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("NOT_FOUND");
    const after = await call(a.url, "GET", "/api/admin/service-keys", { auth: ADMIN_TOKEN });
    const gone = (after.body as { id: string; revokedAt: string | null }[]).find((k) => k.id === made.id);
    expect(gone?.revokedAt).toEqual(expect.any(String));
  });

  it("writes lastUsedAt at most once a minute per key", async () => {
    const made = await makeKey(["orders"]);
    const lastUsed = async () =>
      (await a.deps.prisma.serviceKey.findUniqueOrThrow({ where: { id: made.id } })).lastUsedAt;
    expect(await lastUsed()).toBeNull();
    await call(a.url, "GET", "/api/service/whoami", { auth: made.key });
    const first = await eventually(lastUsed, 5_000);
    for (let i = 0; i < 5; i++) {
      await call(a.url, "GET", "/api/service/whoami", { auth: made.key });
      await call(b.url, "GET", "/api/service/whoami", { auth: made.key });
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(await lastUsed()).toEqual(first);
  });

  it("refuses bad bodies and ids with 400 VALIDATION_FAILED, and everything without the admin token", async () => {
    const bad: unknown[] = [
      {},
      { name: "x" },
      { name: "x", scopes: [] },
      { name: "", scopes: ["stocks"] },
      { name: "x", scopes: "stocks" },
      { name: "x", scopes: ["admin"] },
      { name: "x", scopes: ["stock:"] },
      { name: "x", scopes: ["stock:a b"] },
      { name: "x", scopes: ["store:../x"] },
      { name: "x", scopes: ["Stocks"] },
      { name: "x", scopes: [`stock:${"a".repeat(65)}`] },
      { name: "x", scopes: ["stocks"], extra: 1 },
      { name: 5, scopes: ["stocks"] },
      [],
      null,
    ];
    for (const body of bad) {
      const res = await call(a.url, "POST", "/api/admin/service-keys", {
        auth: ADMIN_TOKEN,
        raw: JSON.stringify(body),
      });
      expect(res.status, `${JSON.stringify(body)} → ${res.text}`).toBe(400);
      expect(res.body.error.code).toBe("VALIDATION_FAILED");
    }
    const badId = await call(a.url, "DELETE", "/api/admin/service-keys/a%20b", { auth: ADMIN_TOKEN });
    expect(badId.status).toBe(400);
    for (const [method, path] of [
      ["GET", "/api/admin/service-keys"],
      ["POST", "/api/admin/service-keys"],
      ["DELETE", "/api/admin/service-keys/sk_x"],
    ] as const) {
      expect((await call(a.url, method, path, { body: { name: "x", scopes: ["stocks"] } })).status).toBe(401);
    }
    // A service key is not an admin token.
    const made = await makeKey(["stocks"]);
    expect((await call(a.url, "GET", "/api/admin/service-keys", { auth: made.key })).status).toBe(401);
  });

  it("documents the routes in /api/docs", async () => {
    const doc = (await (await fetch(`${a.url}/api/docs`)).json()) as { paths: Record<string, object> };
    expect(Object.keys(doc.paths["/api/admin/service-keys"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/api/admin/service-keys/{keyId}"] ?? {})).toEqual(["delete"]);
    expect(Object.keys(doc.paths["/api/service/whoami"] ?? {})).toEqual(["get"]);
  });
});

describe("the service API's gate", () => {
  it("401 for a missing, malformed or unknown key", async () => {
    for (const auth of [
      undefined,
      "",
      "dqk_",
      "dqk_unknown",
      "nope",
      `dqk_${"x".repeat(200)}`,
      ADMIN_TOKEN,
    ]) {
      const res = await call(a.url, "GET", "/api/service/whoami", { auth });
      expect(res.status, `${auth} → ${res.text}`).toBe(401);
      expect(res.body.error.code).toBe("UNAUTHORIZED");
    }
  });

  it("checks scopes: 403 FORBIDDEN outside them; `stocks` covers every stock, `orders` every store", async () => {
    // A throwaway router, as the stock and order routers will use the factory.
    const api = serviceApi(a.deps);
    api.route(
      {
        method: "get",
        path: "/test-stocks/:stockId",
        summary: "test",
        params: z.object({ stockId: z.string() }),
        use: [requireScope((req) => `stock:${req.params.stockId}`)],
        responses: { 200: { description: "ok", schema: z.object({ keyId: z.string() }) } },
      },
      ({ req }) => ({ status: 200, body: { keyId: servicePrincipal(req).keyId } }),
    );
    const stores = serviceApi(a.deps, (req) => [`store:${req.params.storeId}`]);
    stores.route(
      {
        method: "get",
        path: "/test-stores/:storeId",
        summary: "test",
        responses: { 204: { description: "ok" } },
      },
      () => ({ status: 204 }),
    );
    const app = express();
    // As the real app behind TRUST_PROXY: each call its own client, not 127.0.0.1, whose failures
    // other test files (sharing this Redis) have counted.
    app.set("trust proxy", "loopback");
    app.use(api.base, api.router, stores.router);
    app.use(errorMiddleware(a.deps.log));
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const all = await makeKey(["stocks"]);
      const one = await makeKey(["stock:x", "store:s1"]);
      const coupons = await makeKey(["coupons"]);
      const orders = await makeKey(["orders"]);
      const status = async (key: string, path: string) =>
        (await call(url, "GET", path, { auth: key })).status;
      expect(await status(all.key, "/api/test-stocks/x")).toBe(200);
      expect(await status(all.key, "/api/test-stocks/y")).toBe(200);
      expect(await status(one.key, "/api/test-stocks/x")).toBe(200);
      expect(await status(one.key, "/api/test-stocks/y")).toBe(403);
      expect(await status(coupons.key, "/api/test-stocks/x")).toBe(403);
      expect(await status(orders.key, "/api/test-stores/s1")).toBe(204);
      expect(await status(one.key, "/api/test-stores/s1")).toBe(204);
      expect(await status(one.key, "/api/test-stores/s2")).toBe(403);
      expect(await status(all.key, "/api/test-stores/s1")).toBe(403);
      const denied = await call(url, "GET", "/api/test-stocks/y", { auth: coupons.key });
      expect(denied.body).toEqual({
        error: { code: "FORBIDDEN", message: expect.any(String), details: { needed: ["stock:y"] } },
      });
      expect((await call(url, "GET", "/api/test-stocks/x")).status).toBe(401);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("hasScope: a list needs all of it; `stocks` and `orders` cover their ids, nothing else covers more", () => {
    expect(hasScope({ scopes: ["stocks"] }, "stock:x")).toBe(true);
    expect(hasScope({ scopes: ["stocks"] }, "stocks")).toBe(true);
    expect(hasScope({ scopes: ["stock:x"] }, "stocks")).toBe(false);
    expect(hasScope({ scopes: ["orders"] }, "store:s")).toBe(true);
    expect(hasScope({ scopes: ["store:s"] }, "orders")).toBe(false);
    expect(hasScope({ scopes: ["coupons"] }, "stock:x")).toBe(false);
    expect(hasScope({ scopes: ["stock:x", "coupons"] }, ["stock:x", "coupons"])).toBe(true);
    expect(hasScope({ scopes: ["stock:x"] }, ["stock:x", "coupons"])).toBe(false);
    expect(hasScope({ scopes: [] }, [])).toBe(true);
  });
});

describe("limits", () => {
  it("the 21st failure in a minute, admin token or service key alike, is 429 until the minute is over, valid key or not", async () => {
    const made = await makeKey(["stocks"]);
    const from = client();
    for (let i = 0; i < 10; i++) {
      expect((await call(a.url, "GET", "/api/service/whoami", { auth: `dqk_guess${i}`, from })).status).toBe(
        401,
      );
      expect((await call(b.url, "GET", "/api/admin/events", { auth: `guess-${i}`, from })).status).toBe(401);
    }
    for (const [url, path, auth] of [
      [a.url, "/api/service/whoami", made.key],
      [b.url, "/api/service/whoami", "dqk_guess"],
      [a.url, "/api/admin/events", ADMIN_TOKEN],
    ] as const) {
      const res = await call(url, "GET", path, { auth, from });
      expect(res.status, `${path} → ${res.text}`).toBe(429);
      expect(res.body.error.code).toBe("RATE_LIMITED");
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    // Another client is not held back.
    expect((await call(a.url, "GET", "/api/service/whoami", { auth: made.key })).status).toBe(200);
  });

  it("a key has a budget of its own, apart from the shoppers' per-client limit", async () => {
    const limited = await startTestStack({
      workerPools: 0,
      env: { TRUST_PROXY: "loopback", RATE_LIMIT_PER_SECOND: "1", SERVICE_RATE_LIMIT: "6" },
    });
    try {
      const made = await makeKey(["stocks"]);
      const from = client();
      // The shoppers' budget of this client (5 a second) is spent...
      const shopper = await Promise.all(
        Array.from({ length: 12 }, () => call(limited.url, "GET", "/api/events/ev_none", { from })),
      );
      expect(shopper.some((r) => r.status === 429)).toBe(true);
      // ...its service key still answers, until the key's own budget is spent.
      const first = await call(limited.url, "GET", "/api/service/whoami", { auth: made.key, from });
      expect(first.status, first.text).toBe(200);
      const burst = await Promise.all(
        Array.from({ length: 20 }, () =>
          call(limited.url, "GET", "/api/service/whoami", { auth: made.key, from }),
        ),
      );
      const refused = burst.filter((r) => r.status === 429);
      expect(refused.length).toBeGreaterThan(0);
      expect(refused[0]?.body.error).toMatchObject({ code: "RATE_LIMITED", details: { limit: 6 } });
      expect(burst.filter((r) => r.status === 200).length).toBeLessThanOrEqual(12);
    } finally {
      await limited.close();
    }
  });
});
