// The fuzz suite's part for service keys (its own file: test/e2e/fuzz.test.ts is well over the
// 400 lines a file should have). fast-check at a fixed seed, bounded runs, over a real socket:
// the admin's key routes get any body, content type, id and admin header; the service API gets
// any Authorization header (made-up keys, near misses of a real one, a revoked one, the admin
// token). Properties: never a 5xx; every 4xx in the contract's error shape with a code that
// fits its status; a key is made only from a body the contract accepts; only a live key, sent
// as `Bearer <key>`, is let in.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, startTestStack, type TestStack } from "../support/app.js";
import { checkWith, createSender, expectSane, headerText, oddString } from "../support/fuzz.js";

const SEED = 1313;
let stack: TestStack;
let live: { id: string; key: string };
let revoked: { id: string; key: string };
const { send, close: closeSender } = createSender(() => stack.url);

beforeAll(async () => {
  stack = await startTestStack({ workerPools: 0 });
  live = await make(["stocks"]);
  revoked = await make(["orders"]);
  const res = await send("DELETE", `/api/admin/service-keys/${revoked.id}`, { headers: admin });
  expect(res.status).toBe(204);
});
afterAll(async () => {
  closeSender();
  await stack?.close();
});

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function make(scopes: string[]) {
  const res = await send("POST", "/api/admin/service-keys", {
    headers: { ...admin, "content-type": "application/json" },
    body: JSON.stringify({ name: "fuzz", scopes }),
  });
  expect(res.status, res.text).toBe(201);
  return JSON.parse(res.text) as { id: string; key: string };
}

const check = checkWith(SEED);

const ID_PART = /^[A-Za-z0-9_-]{1,64}$/;
const scopeLike = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("stocks", "coupons", "orders", "stock:s1", "store:l1") },
  fc.stringMatching(/^(stock|store):[A-Za-z0-9_-]{1,70}$/),
  fc.constantFrom(
    "stock:",
    "store:",
    "Stocks",
    "admin",
    "*",
    "stock:a b",
    "stocks ",
    "store:../x",
    "orders:",
  ),
  oddString,
);
const bodyText = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record(
        {
          name: fc.oneof(fc.constant("till 12"), oddString, fc.integer(), fc.constant(null)),
          scopes: fc.oneof(fc.array(scopeLike, { maxLength: 4 }), scopeLike, fc.jsonValue({ maxDepth: 2 })),
          extra: fc.jsonValue({ maxDepth: 1 }),
        },
        { requiredKeys: [] },
      )
      .map((v) => JSON.stringify(v)),
  },
  fc.constantFrom(
    '{"name":"x","scopes":["stocks"],"scopes":[]}',
    '{"name":"","name":"dup","scopes":["stocks"]}',
    '{"name":"x","scopes":["stocks"],"__proto__":{"scopes":["admin"]}}',
    `{"name":"x","scopes":[${Array(101).fill('"stocks"').join(",")}]}`,
    `{"name":"x","scopes":["stocks"],"pad":"${"x".repeat(70_000)}"}`,
    "[]",
    "null",
    "{",
  ),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null"),
  fc.string({ maxLength: 100 }),
);
const contentType = fc.oneof(
  { weight: 5, arbitrary: fc.constant("application/json") },
  fc.constantFrom("application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", ";"),
);
const isJsonType = (ct: string) => /^application\/json(; charset=utf-8)?$/.test(ct);

/** What the contract accepts as `{name, scopes}`. */
function acceptable(text: string, ct: string): boolean {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return false;
  }
  if (!isJsonType(ct) || typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const { name, scopes, ...rest } = v as Record<string, unknown>;
  return (
    Object.keys(rest).length === 0 &&
    typeof name === "string" &&
    name.trim().length >= 1 &&
    name.trim().length <= 200 &&
    Array.isArray(scopes) &&
    scopes.length >= 1 &&
    scopes.length <= 100 &&
    scopes.every(
      (s) =>
        typeof s === "string" &&
        (["stocks", "coupons", "orders"].includes(s) ||
          (/^(stock|store):/.test(s) && ID_PART.test(s.slice(6)))),
    )
  );
}

const adminAuth = fc.oneof(
  { weight: 4, arbitrary: fc.constant<string | undefined>(`Bearer ${ADMIN_TOKEN}`) },
  fc.constantFrom<string | undefined>(undefined, "Bearer ", `Bearer ${ADMIN_TOKEN}x`, ADMIN_TOKEN),
  fc.constant("LIVE_KEY"),
  headerText(80).map((t) => `Bearer ${t}`),
);
const segment = fc.oneof(
  fc.constantFrom(
    "%00",
    "..",
    "%2F",
    "%zz",
    "a".repeat(65),
    "a".repeat(5000),
    "__proto__",
    "LIVE",
    "REVOKED",
  ),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
  oddString.map(encodeURIComponent),
);

describe("fuzzing service keys", () => {
  it("the admin's key routes: any body, id and header; a key is made only from what the contract accepts", async () => {
    const route = fc.oneof(
      {
        weight: 4,
        arbitrary: bodyText.map((body) => ({ method: "POST", path: "/api/admin/service-keys", body })),
      },
      segment.map((id) => ({
        method: "DELETE",
        path: `/api/admin/service-keys/${id === "LIVE" ? "sk_never" : id === "REVOKED" ? revoked.id : id}`,
        body: undefined as string | undefined,
      })),
      fc.constant({ method: "GET", path: "/api/admin/service-keys", body: undefined as string | undefined }),
    );
    const seen = new Map<number, number>();
    await check(
      fc.asyncProperty(route, adminAuth, contentType, async (r, auth, ct) => {
        const headers: Record<string, string> = { "content-type": ct };
        const header = auth === "LIVE_KEY" ? `Bearer ${live.key}` : auth;
        if (header !== undefined) headers.authorization = header;
        const res = await send(r.method, r.path, { headers, body: r.body });
        const what = `${r.method} ${r.path.slice(0, 100)} auth=${header?.slice(0, 30)} ct=${ct} body=${r.body?.slice(0, 150)}`;
        expectSane(res, what);
        const withToken = header?.trim() === `Bearer ${ADMIN_TOKEN}`;
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        if (res.status < 300) {
          expect(withToken, what).toBe(true);
          if (r.body !== undefined) expect(acceptable(r.body, ct), what).toBe(true);
        } else if (withToken && r.body !== undefined) {
          expect(acceptable(r.body, ct), what).toBe(false);
        }
        if (r.method === "GET" && res.status === 200) expect(res.text).not.toContain(live.key);
      }),
      250,
    );
    // The run reached every outcome: keys made, listed and revoked, bodies refused, tokens refused.
    for (const status of [200, 201, 204, 400, 401, 404])
      expect(seen.get(status), `${status}`).toBeGreaterThan(0);
  });

  it("the service API: only a live key, as `Bearer <key>`, is let in", async () => {
    const near = (key: string) =>
      fc.constantFrom(
        key,
        `${key} `,
        `${key}x`,
        key.slice(0, -1),
        key.toUpperCase(),
        key.replace("dqk_", "DQK_"),
        `${key}\t`,
        key.slice(0, 8),
      );
    const header = fc.oneof(
      { weight: 3, arbitrary: near(live.key).map((k) => `Bearer ${k}`) },
      near(live.key).map((k) => `bearer ${k}`),
      near(live.key),
      fc.constantFrom(
        `Bearer ${revoked.key}`,
        `Basic ${live.key}`,
        `Bearer  ${live.key}`,
        `Bearer ${ADMIN_TOKEN}`,
      ),
      headerText(120).map((t) => `Bearer dqk_${t}`),
      headerText(120).map((t) => `Bearer ${t}`),
      fc.constant(`Bearer dqk_${"A".repeat(8000)}`),
      fc.constant(undefined),
    );
    const seen = new Map<number, number>();
    await check(
      fc.asyncProperty(header, fc.constantFrom("GET", "POST", "HEAD"), async (auth, method) => {
        const headers: Record<string, string> = auth === undefined ? {} : { authorization: auth };
        const res = await send(method, "/api/service/whoami", { headers });
        const what = `${method} whoami auth=${auth?.slice(0, 60)}`;
        if (method !== "HEAD") expectSane(res, what);
        else expect(res.status, what).toBeLessThan(500);
        // HTTP trims a header value's outer whitespace; the scheme's case does not matter.
        const valid = /^bearer /i.test(auth?.trim() ?? "") && auth?.trim().slice(7) === live.key;
        // No POST route: not found, whatever the key (the gate runs on the router's routes only).
        if (method === "POST") expect(res.status, what).toBe(404);
        else expect(res.status, what).toBe(valid ? 200 : 401);
        if (method === "GET") seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
      }),
      300,
    );
    expect(seen.get(200)).toBeGreaterThan(0);
    expect(seen.get(401)).toBeGreaterThan(0);
    const after = await send("GET", "/api/service/whoami", {
      headers: { authorization: `Bearer ${live.key}` },
    });
    expect(after.status).toBe(200);
  });
});
