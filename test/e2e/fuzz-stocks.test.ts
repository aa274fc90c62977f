// The fuzz suite's part for stocks, takes, coupons and coupon codes (API.md "v2 additions").
// fast-check at a fixed seed, bounded runs, over a real socket: every admin stock and coupon
// route and every service stock, take, coupon and coupon-code route gets any body, content type,
// path params of every shape (a real id in other cases, trailing slashes, encoded characters,
// very long ids), query strings and Authorization headers. Properties: never a 5xx; every 4xx
// in the contract's error shape with a code that fits its status; only a live key, within its
// scopes, is let into the service routes; only the admin token into the admin's.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, startTestStack, type TestStack } from "../support/app.js";
import {
  checkWith,
  createSender,
  expectSane,
  headerText,
  isoTime as ISO,
  oddString,
  pathSegment,
  queryString,
} from "../support/fuzz.js";

// FUZZ_SEED=<n> tries another seed (a failure prints its own seed and path to replay).
const check = checkWith(Number(process.env.FUZZ_SEED ?? 1414));
let stack: TestStack;
const { send, close } = createSender(() => stack.url);
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
const json = { "content-type": "application/json" };

/** Stocks and a coupon the service routes are fuzzed on (no admin action is fuzzed on them). */
const ids = { limited: "", unlimited: "", draft: "", victim: "", coupon: "", victimCoupon: "", code: "" };
const keys = { all: "", scoped: "", revoked: "" };

async function post(path: string, body: unknown, auth = admin) {
  const res = await send("POST", path, { headers: { ...auth, ...json }, body: JSON.stringify(body) });
  expect(res.status, `${path} ${res.text}`).toBeLessThan(300);
  return res.text ? JSON.parse(res.text) : null;
}

beforeAll(async () => {
  stack = await startTestStack({ workerPools: 0 });
  ids.limited = (
    await post("/api/admin/stocks", {
      name: "fuzz limited",
      total: 100_000,
      perUserLimit: 50,
      holdSeconds: 600,
    })
  ).id;
  ids.unlimited = (await post("/api/admin/stocks", { name: "fuzz unlimited", total: null })).id;
  ids.draft = (await post("/api/admin/stocks", { name: "fuzz draft", total: 5 })).id;
  ids.victim = (await post("/api/admin/stocks", { name: "fuzz victim", total: 10 })).id;
  for (const id of [ids.limited, ids.unlimited]) await post(`/api/admin/stocks/${id}/confirm`, {});
  ids.coupon = (
    await post("/api/admin/coupons", { name: "fuzz coupon", issueTotal: 100_000, useTotal: null })
  ).id;
  ids.victimCoupon = (
    await post("/api/admin/coupons", { name: "fuzz victim coupon", issueTotal: 3, useTotal: 3 })
  ).id;
  await post(`/api/admin/coupons/${ids.coupon}/confirm`, {});
  keys.all = (await post("/api/admin/service-keys", { name: "fuzz", scopes: ["stocks", "coupons"] })).key;
  keys.scoped = (
    await post("/api/admin/service-keys", { name: "fuzz one", scopes: [`stock:${ids.limited}`] })
  ).key;
  const revoked = await post("/api/admin/service-keys", {
    name: "fuzz revoked",
    scopes: ["stocks", "coupons"],
  });
  keys.revoked = revoked.key;
  expect((await send("DELETE", `/api/admin/service-keys/${revoked.id}`, { headers: admin })).status).toBe(
    204,
  );
  const service = { authorization: `Bearer ${keys.all}` };
  await post(`/api/stocks/${ids.limited}/takes`, { reference: "ref-1", userId: "u1" }, service);
  ids.code = (
    await post(`/api/coupons/${ids.coupon}/issues`, { userId: "u1", reference: "iss-1" }, service)
  ).code;
});
afterAll(async () => {
  close();
  await stack?.close();
});

/** A value of any type a careless handler trips on. */
const anyValue = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -5, max: 20 }) },
  fc.constantFrom(
    0,
    -1,
    1.5,
    1e308,
    -1e308,
    2 ** 53,
    100_000_000,
    100_000_001,
    10_000,
    10_001,
    604_800,
    604_801,
  ),
  fc.constant(null),
  fc.boolean(),
  oddString,
  ISO,
  fc.jsonValue({ maxDepth: 2 }),
);
/** A JSON object over these keys (any of them may be missing), an extra key now and then. */
const objectOf = (fields: Record<string, fc.Arbitrary<unknown>>) =>
  fc
    .record({ ...fields, extra: anyValue }, { requiredKeys: [] })
    .chain((v) => fc.boolean().map((keepExtra) => (keepExtra ? v : { ...v, extra: undefined })))
    .map((v) => JSON.stringify(v));
const either = (good: fc.Arbitrary<unknown>) => fc.oneof({ weight: 3, arbitrary: good }, anyValue);
const REFERENCE = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._:@/-]{1,128}$/),
  fc.constantFrom("ref-1", "ref-2", "../x", "a/b", "a".repeat(129), "ref 1", "ref%2F1"),
);
const USER = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._:@-]{1,20}$/),
  fc.constantFrom("u1", "u2", "a".repeat(129)),
);
const TOTAL = either(fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(null)));

/** Every shape of body: one the contract accepts, the route's fields with good and bad values, raw text. */
const bodyFor = (fields: Record<string, fc.Arbitrary<unknown>>, valid: fc.Arbitrary<object>) =>
  fc.oneof(
    { weight: 4, arbitrary: valid.map((v) => JSON.stringify(v)) },
    { weight: 6, arbitrary: objectOf(fields) },
    fc.constantFrom(
      "[]",
      "null",
      "{",
      '{"a":1,"a":2}',
      '{"__proto__":{"total":1}}',
      `{"pad":"${"x".repeat(70_000)}"}`,
      "",
    ),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null"),
    fc.string({ maxLength: 60 }),
  );
const bodies = {
  stock: bodyFor(
    {
      name: either(fc.constantFrom("fuzzed stock", " x ")),
      total: TOTAL,
      perUserLimit: either(fc.integer({ min: 1, max: 10 })),
      startsAt: either(ISO),
      endsAt: either(ISO),
      holdSeconds: either(fc.integer({ min: 1, max: 3600 })),
    },
    fc.record({ name: fc.constant("fuzzed stock"), total: fc.oneof(fc.nat(50), fc.constant(null)) }),
  ),
  total: bodyFor({ total: TOTAL }, fc.record({ total: fc.nat(20) })),
  coupon: bodyFor(
    {
      name: either(fc.constant("fuzzed coupon")),
      issueTotal: TOTAL,
      useTotal: TOTAL,
      perUserIssueLimit: either(fc.integer({ min: 1, max: 5 })),
      issueStartsAt: either(ISO),
      issueEndsAt: either(ISO),
      useStartsAt: either(ISO),
      useEndsAt: either(ISO),
    },
    fc.record({ name: fc.constant("fuzzed coupon"), issueTotal: fc.nat(9), useTotal: fc.constant(null) }),
  ),
  take: bodyFor(
    {
      reference: either(REFERENCE),
      userId: either(USER),
      quantity: either(fc.integer({ min: 1, max: 3 })),
    },
    fc.record({ reference: REFERENCE, userId: USER, quantity: fc.integer({ min: 1, max: 3 }) }),
  ),
  issue: bodyFor(
    { userId: either(USER), reference: either(REFERENCE) },
    fc.record({ userId: USER, reference: REFERENCE }),
  ),
  redeem: bodyFor({ orderReference: either(REFERENCE) }, fc.record({ orderReference: REFERENCE })),
  empty: fc.constantFrom<string | undefined>(undefined, "", "{}", "null", '{"x":1}'),
};
const contentType = fc.oneof(
  { weight: 5, arbitrary: fc.constant("application/json") },
  fc.constantFrom(
    "application/json; charset=utf-8",
    "text/plain",
    "application/x-www-form-urlencoded",
    ";",
    "application/json; charset=latin1",
  ),
);

interface Route {
  method: string;
  path: string;
  body: string | undefined;
}
const route = (method: string, path: fc.Arbitrary<string>, body: fc.Arbitrary<string | undefined>) =>
  fc.tuple(path, body).map(([p, b]): Route => ({ method, path: p, body: b }));

/** A header a careless gate trips on, around the real ones. */
function authHeader(real: string[]) {
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...real.map((k) => `Bearer ${k}`)) },
    fc
      .constantFrom(...real)
      .chain((k) =>
        fc.constantFrom(
          `bearer ${k}`,
          `Bearer  ${k}`,
          `Bearer ${k}x`,
          `Bearer ${k.slice(0, -1)}`,
          k,
          `Basic ${k}`,
          `Bearer ${k.toUpperCase()}`,
        ),
      ),
    fc.constantFrom<string | undefined>(undefined, "Bearer ", "Bearer", `Bearer dqk_${"A".repeat(8000)}`),
    headerText(100).map((t) => `Bearer ${t}`),
  );
}

/** The token of `Bearer <token>` (the scheme's case does not matter; HTTP trims the value). */
const tokenOf = (header: string | undefined) => /^bearer (.*)$/i.exec(header?.trim() ?? "")?.[1];
const on = <T>(arb: fc.Arbitrary<T>, path: (v: T) => string) => arb.map(path);
const weighted = (weight: number, arbitrary: fc.Arbitrary<Route>) => ({ weight, arbitrary });

/**
 * Sends every generated request; each answer is sane, and a 2xx only with a token `allowed`
 * lets in. Returns how many answers each status had, so a run proves it reached the routes.
 */
async function fuzz(
  routes: fc.Arbitrary<Route>,
  auth: fc.Arbitrary<string | undefined>,
  runs: number,
  allowed: (token: string | undefined, r: Route) => boolean,
) {
  const seen = new Map<number, number>();
  await check(
    fc.asyncProperty(routes, auth, contentType, async (r, header, ct) => {
      const headers: Record<string, string> = { "content-type": ct };
      if (header !== undefined) headers.authorization = header;
      const res = await send(r.method, r.path, { headers, body: r.body });
      const what = `${r.method} ${r.path.slice(0, 120)} auth=${header?.slice(0, 40)} ct=${ct} body=${r.body?.slice(0, 200)}`;
      expectSane(res, what);
      seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
      if (res.status < 300) expect(allowed(tokenOf(header), r), what).toBe(true);
    }),
    runs,
  );
  const reached = (statuses: number[]) =>
    expect(
      statuses.reduce((n, status) => n + (seen.get(status) ?? 0), 0),
      `${statuses} of ${[...seen]}`,
    ).toBeGreaterThan(0);
  return { seen, reached };
}

describe("fuzzing stocks and coupons", () => {
  it("the admin's stock and coupon routes: any body, id, query and header; only the admin token gets in", async () => {
    const stock = pathSegment([ids.victim, ids.draft]);
    const coupon = pathSegment([ids.victimCoupon]);
    const action = fc.constantFrom("confirm", "sync", "close", "CONFIRM", "close/");
    const routes = fc.oneof(
      route("POST", fc.constantFrom("/api/admin/stocks", "/api/admin/stocks/"), bodies.stock),
      route(
        "GET",
        fc.constantFrom("/api/admin/stocks", "/api/admin/stocks/", "/api/admin/STOCKS"),
        bodies.empty,
      ),
      route(
        "GET",
        on(stock, (id) => `/api/admin/stocks/${id}`),
        bodies.empty,
      ),
      route(
        "POST",
        on(fc.tuple(stock, action), ([id, a]) => `/api/admin/stocks/${id}/${a}`),
        bodies.empty,
      ),
      route(
        "PUT",
        on(stock, (id) => `/api/admin/stocks/${id}/total`),
        bodies.total,
      ),
      route(
        "GET",
        on(fc.tuple(stock, queryString), ([id, q]) => `/api/admin/stocks/${id}/ledger${q}`),
        bodies.empty,
      ),
      route("POST", fc.constantFrom("/api/admin/coupons", "/api/admin/Coupons"), bodies.coupon),
      route(
        "GET",
        on(coupon, (id) => `/api/admin/coupons/${id}`),
        bodies.empty,
      ),
      route(
        "POST",
        on(fc.tuple(coupon, action), ([id, a]) => `/api/admin/coupons/${id}/${a}`),
        bodies.empty,
      ),
    );
    const auth = fc.oneof(
      { weight: 4, arbitrary: fc.constant(`Bearer ${ADMIN_TOKEN}`) },
      authHeader([ADMIN_TOKEN, keys.all]),
    );
    const { reached } = await fuzz(routes, auth, 600, (token) => token === ADMIN_TOKEN);
    for (const statuses of [[200], [201], [400], [401], [404]]) reached(statuses);
  });

  it("the service's stock and take routes: any body, id, reference and header; only a live key within its scopes", async () => {
    const stock = pathSegment([ids.limited, ids.unlimited, ids.draft]);
    const ref = fc.oneof(
      { weight: 2, arbitrary: fc.constant("ref-1") },
      pathSegment(["ref-1", "ref-2", "a.b@c:d"]),
    );
    const action = fc.constantFrom("confirm", "release", "Confirm", "release/");
    const routes = fc.oneof(
      route(
        "GET",
        on(stock, (id) => `/api/stocks/${id}`),
        bodies.empty,
      ),
      weighted(
        3,
        route(
          "POST",
          on(stock, (id) => `/api/stocks/${id}/takes`),
          bodies.take,
        ),
      ),
      route(
        "GET",
        on(fc.tuple(stock, ref), ([id, r]) => `/api/stocks/${id}/takes/${r}`),
        bodies.empty,
      ),
      route(
        "POST",
        on(fc.tuple(stock, ref, action), ([id, r, a]) => `/api/stocks/${id}/takes/${r}/${a}`),
        bodies.empty,
      ),
    );
    const auth = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(`Bearer ${keys.all}`, `Bearer ${keys.scoped}`) },
      authHeader([keys.all, keys.scoped, keys.revoked, ADMIN_TOKEN]),
    );
    // The scoped key reaches its own stock only.
    const { reached } = await fuzz(
      routes,
      auth,
      600,
      (token, r) => token === keys.all || (token === keys.scoped && r.path.includes(ids.limited)),
    );
    for (const statuses of [[200, 201], [400], [401], [403], [404], [409]]) reached(statuses);
  });

  it("the service's coupon and coupon-code routes: any body, id, code and header", async () => {
    const coupon = pathSegment([ids.coupon, ids.victimCoupon]);
    const code = pathSegment([ids.code, "AAAA", "ZZZZ9999"]);
    const user = pathSegment(["u1", "u2", "a.b@c:d"]);
    const routes = fc.oneof(
      weighted(
        3,
        route(
          "POST",
          on(coupon, (id) => `/api/coupons/${id}/issues`),
          bodies.issue,
        ),
      ),
      route(
        "POST",
        on(code, (c) => `/api/coupon-codes/${c}/redeem`),
        bodies.redeem,
      ),
      route(
        "POST",
        on(code, (c) => `/api/coupon-codes/${c}/unredeem`),
        bodies.empty,
      ),
      route(
        "GET",
        on(user, (u) => `/api/users/${u}/coupons`),
        bodies.empty,
      ),
    );
    const auth = fc.oneof(
      { weight: 3, arbitrary: fc.constant(`Bearer ${keys.all}`) },
      authHeader([keys.all, keys.scoped, keys.revoked]),
    );
    const { reached } = await fuzz(routes, auth, 500, (token) => token === keys.all);
    for (const statuses of [[200, 201], [400], [401], [403], [404]]) reached(statuses);
  });
});
