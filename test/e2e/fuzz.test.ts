// Property-based fuzzing of the whole contract (shared API.md) over a real socket, with
// fast-check at a fixed seed and bounded runs: every admin and shopper route, with and
// without credentials, gets malformed, oversized and wrongly typed input (arbitrary JSON,
// odd unicode, huge and negative numbers, NaN-ish strings, deep nesting, duplicate keys,
// wrong content types, hostile path params and query strings), and the Socket.IO
// handshake gets random auth. Properties: never a 5xx, the server keeps answering, every
// 4xx is the contract's error shape with a code that fits its status, nothing is accepted
// that the contract refuses, and nothing accepted before the fuzzing is lost: tickets
// joined first are still readable with their token, their open socket still gets its
// outcome, and the joins count moved by exactly the joins the fuzzer got accepted.
import http from "node:http";
import fc from "fast-check";
import { SignJWT } from "jose";
import { io, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leadingZeroBits, solve, solvePuzzle } from "../../src/admission/pow.js";
import { transition } from "../../src/events/events.service.js";
import type { ServerToClientEvents } from "../../src/realtime/events.js";
import { TicketTokens } from "../../src/waiting-room/tokens.js";
import { ADMIN_TOKEN, eventually, liveEvent, startTestStack, type TestStack } from "../support/app.js";

const SEED = 42;
const SHOP_SECRET = "the-shop-backend-shares-this-secret-0123456789";

// ---------------------------------------------------------------------------------------
// The stack, a guarded event (paused, with tickets joined before any fuzzing; never sent a
// state-changing admin request) and a victim event (any admin request may hit it).
// ---------------------------------------------------------------------------------------

let stack: TestStack;
let tokens: TicketTokens;
let guarded: string;
let victim: string;
const kept: { userId: string; ticketId: string; token: string }[] = [];
let keptSocket: Socket<ServerToClientEvents>;
const keptResults: { status: string }[] = [];
let joinsBefore = 0;
/** Joins the fuzzer got accepted (202) on the guarded event. */
let acceptedJoins = 0;
/** Events the fuzzer managed to create (ended in afterAll, so no sweep ever meets them). */
const created: string[] = [];
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

const product = { sku: "A", name: "Sneaker", priceCents: 12000, stock: 1000 };

beforeAll(async () => {
  stack = await startTestStack({
    workerPools: 1,
    env: {
      SHOPPER_JWT_SECRET: SHOP_SECRET,
      SHOPPER_JWT_ISSUER: "https://shop.example",
      SHOPPER_JWT_AUDIENCE: "dropqueue",
    },
  });
  tokens = new TicketTokens(stack.deps.config.tokenSecret, 3600);
  guarded = (await liveEvent(stack.deps, { name: "Guarded", products: [product, { ...product, sku: "B" }] }))
    .id;
  await transition(stack.deps, guarded, "pause");
  victim = (await liveEvent(stack.deps, { name: "Victim", products: [product] }, { start: false })).id;
  for (const userId of ["kept-1", "kept-2", "kept-3"]) {
    const res = await send("POST", `/api/events/${guarded}/tickets`, {
      body: JSON.stringify({ userId, sku: "A" }),
    });
    expect(res.status, res.text).toBe(202);
    const { ticketId, token } = JSON.parse(res.text);
    kept.push({ userId, ticketId, token });
  }
  keptSocket = io(stack.url, {
    path: "/socket.io",
    transports: ["websocket"],
    auth: { ticketId: kept[0]?.ticketId, token: kept[0]?.token },
  });
  keptSocket.on("ticket:result", (r) => keptResults.push(r));
  await new Promise<void>((resolve, reject) => {
    keptSocket.once("connect", resolve);
    keptSocket.once("connect_error", reject);
  });
  joinsBefore = await joinsOf(guarded);
});

afterAll(async () => {
  keptSocket?.close();
  agent.destroy();
  for (const id of [...created, victim, guarded]) {
    if (id) await transition(stack.deps, id, "stop").catch(() => undefined);
  }
  await stack?.close();
});

// ---------------------------------------------------------------------------------------
// Sending and the properties every answer must hold
// ---------------------------------------------------------------------------------------

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request with node:http: raw paths (`..` is not normalised away) and any body bytes. */
function send(
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  const headers = { ...opts.headers };
  if (opts.body !== undefined) {
    if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type"))
      headers["content-type"] = "application/json";
    // Framed by its length whatever the method (node:http would send a DELETE's body unframed).
    headers["content-length"] = String(Buffer.byteLength(opts.body));
  }
  return new Promise((resolve, reject) => {
    const req = http.request(`${stack.url}${path}`, { method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

/** Which statuses each contract code may come with. */
const STATUSES: Record<string, number[]> = {
  VALIDATION_FAILED: [400, 413, 415, 431],
  UNAUTHORIZED: [401],
  NOT_FOUND: [404],
  SALE_NOT_OPEN: [409],
  SOLD_OUT: [409],
  LIMIT_REACHED: [409],
  INVALID_STATE: [409],
  STOCK_RULE: [422],
  RATE_LIMITED: [429],
};

/** Never a 5xx; a 4xx is `{"error":{"code","message","details"?}}` with a code that fits. */
function expectSane(res: Answer, what: string) {
  const where = `${what} → ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, where).toBeGreaterThanOrEqual(200);
  expect(res.status, where).toBeLessThan(500);
  expect(res.headers["x-content-type-options"], where).toBe("nosniff");
  if (res.status < 400) return;
  expect(res.headers["content-type"], where).toMatch(/^application\/json/);
  const body = JSON.parse(res.text);
  expect(Object.keys(body), where).toEqual(["error"]);
  const { code, message, details, ...rest } = body.error;
  expect(rest, where).toEqual({});
  expect(typeof message, where).toBe("string");
  expect(STATUSES[code], where).toContain(res.status);
  if (details !== undefined) expect(typeof details === "object" && details !== null, where).toBe(true);
  // Never a stack trace or a file of ours.
  expect(res.text, where).not.toMatch(/\.ts:\d+|node_modules|at [\w.]+ \(/);
}

async function joinsOf(eventId: string): Promise<number> {
  const res = await send("GET", `/api/admin/events/${eventId}/stats`, { headers: admin });
  expect(res.status, res.text).toBe(200);
  return JSON.parse(res.text).joins;
}

async function expectAlive() {
  const res = await send("GET", "/healthz");
  expect(res.status).toBe(200);
}

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** fast-check at the fixed seed, bounded. */
const check = <Ts extends [unknown, ...unknown[]]>(prop: fc.IAsyncProperty<Ts>, numRuns: number) =>
  fc.assert(prop, { seed: SEED, numRuns, endOnFailure: true });

// ---------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------

const ODD = [
  "",
  " ",
  "\u0000",
  "\u202e",
  "\ufeff",
  "\u200b",
  "\ud800",
  "\udfff",
  "💥",
  "e\u0301",
  "İ",
  "ǅ",
  "%",
  "%00",
  "/",
  "\\",
  "..",
  "\n",
  "\r\n",
  "\t",
  "'",
  '"',
  "<script>",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-looking string is the point
  "${x}",
  "NaN",
  "Infinity",
  "-Infinity",
  "1e309",
  "-1",
  "0",
  "0x10",
  "null",
  "undefined",
  "true",
  "[]",
  "{}",
  "__proto__",
  "constructor",
  "toString",
];

/** Strings a client should not send: odd unicode, lone surrogates, NaN-ish, long. */
const oddString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.array(fc.constantFrom(...ODD), { minLength: 1, maxLength: 6 }).map((a) => a.join("")),
  fc.constantFrom(...ODD),
  fc.integer({ min: 63, max: 3000 }).map((n) => "u".repeat(n)),
);

const userIdLike = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._:@-]{1,64}$/),
  fc.constantFrom("has space", "tab\tbed", "u".repeat(65), "ü", "user/1", "a,b", "x\u0000"),
  oddString,
);
const skuLike = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("A", "B") },
  fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/),
  oddString,
);

const hugeNumber = fc.constantFrom(
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  -0,
  2 ** 31,
  2 ** 53,
  5e-324,
  0.1 + 0.2,
  1000.0000001,
  1000,
  1001,
  999.5,
  -1,
  0,
  1,
  2,
);
/** Anything in a number's place: integers, doubles (NaN and ±Infinity become null), strings. */
const numberish = fc.oneof(
  fc.integer({ min: -5, max: 1005 }),
  fc.integer(),
  fc.double(),
  hugeNumber,
  oddString,
  fc.constant(null),
  fc.boolean(),
);
/** Number literals JSON.stringify cannot write (some are not JSON at all). */
const numberLiteral = fc.constantFrom(
  "0",
  "-0",
  "1.0",
  "1e0",
  "1e400",
  "-1e400",
  "1.5",
  "01",
  "NaN",
  "Infinity",
  "0x1",
  "1_0",
  '"1"',
  "null",
  "true",
  "[1]",
  "{}",
  "+1",
  ".5",
  "1.",
  "1E+2",
);

const jsonText = (v: unknown) => JSON.stringify(v) ?? "null";

/** Deep nesting that still fits the body limit. */
const deep = fc
  .tuple(fc.integer({ min: 50, max: 15_000 }), fc.boolean())
  .map(([n, arrays]) =>
    arrays ? `${"[".repeat(n)}${"]".repeat(n)}` : `${'{"a":'.repeat(n)}1${"}".repeat(n)}`,
  );
/** Over the 64 kB limit. */
const oversized = fc
  .integer({ min: 64 * 1024 + 1, max: 200_000 })
  .map((n) => jsonText({ userId: "u1", sku: "A", pad: "x".repeat(n) }));

const joinBody = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({ userId: userIdLike, sku: skuLike, quantity: numberish }, { requiredKeys: [] })
      .map(jsonText),
  },
  fc.tuple(userIdLike, numberLiteral).map(([u, n]) => `{"userId":${jsonText(u)},"sku":"A","quantity":${n}}`),
  fc.constantFrom(
    // Duplicate keys: JSON.parse keeps the last, and so does the contract check.
    '{"userId":"fz-dup-1","sku":"A","quantity":1,"quantity":0}',
    '{"userId":"has space","userId":"fz-dup-2","sku":"A"}',
    '{"userId":"fz-dup-3","sku":"A","sku":"no such sku!"}',
    '{"userId":"fz-proto","sku":"A","__proto__":{"quantity":0}}',
    '{"userId":"fz-ctor","sku":"A","constructor":{"prototype":{"x":1}}}',
  ),
  fc.jsonValue({ maxDepth: 4 }).map(jsonText),
  fc.string({ maxLength: 200 }),
  deep,
  oversized,
);

const productLike = fc.record(
  {
    sku: skuLike,
    name: fc.oneof(fc.constant("Sneaker"), oddString),
    priceCents: numberish,
    stock: numberish,
    perUserLimit: numberish,
  },
  { requiredKeys: [] },
);
/** A valid event with one field (of the event or its product) replaced, or removed. */
const validEvent = { name: "Fuzzed drop", products: [{ sku: "A", name: "P", priceCents: 100, stock: 5 }] };
const nearValidEvent = fc
  .tuple(
    fc.constantFrom(
      "name",
      "admissionRate",
      "perUserLimit",
      "paymentFailureRate",
      "waitingCapacity",
      "products",
    ),
    fc.constantFrom("sku", "name", "priceCents", "stock", "perUserLimit", null),
    fc.oneof(numberish, oddString, fc.constant(undefined)),
  )
  .map(([eventKey, productKey, value]) => {
    const body: Record<string, unknown> = structuredClone(validEvent);
    if (productKey === null || eventKey !== "products") body[eventKey] = value;
    else (body.products as Record<string, unknown>[])[0] = { ...validEvent.products[0], [productKey]: value };
    return jsonText(body);
  });
const createBody = fc.oneof(
  { weight: 3, arbitrary: nearValidEvent },
  {
    weight: 4,
    arbitrary: fc
      .record(
        {
          name: fc.oneof(fc.constant("Fuzzed drop"), oddString, numberish),
          // Never a valid date: a valid future start would schedule the event for a later run.
          startsAt: fc.oneof(
            oddString,
            fc.constantFrom("tomorrow", "2024-13-45T99:99:99Z", "2024-01-01", "0"),
          ),
          admissionRate: numberish,
          perUserLimit: numberish,
          paymentFailureRate: numberish,
          waitingCapacity: numberish,
          products: fc.oneof(fc.array(productLike, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
        },
        { requiredKeys: [] },
      )
      .map(jsonText),
  },
  fc.jsonValue({ maxDepth: 4 }).map(jsonText),
  fc.string({ maxLength: 200 }),
  deep,
  oversized,
  fc.constantFrom(
    '{"name":"x","name":"","products":[{"sku":"A","name":"P","priceCents":1,"stock":1}]}',
    '{"name":"x","products":[{"sku":"A","name":"P","priceCents":1,"stock":1,"stock":-1}]}',
    '{"name":"x","products":[{"sku":"A","name":"P","priceCents":1e400,"stock":1}]}',
  ),
);
const stockBody = fc.oneof(
  { weight: 4, arbitrary: fc.record({ total: numberish }, { requiredKeys: [] }).map(jsonText) },
  numberLiteral.map((n) => `{"total":${n}}`),
  fc.jsonValue({ maxDepth: 3 }).map(jsonText),
  fc.constantFrom('{"total":5,"total":-5}', '{"total":1,"extra":1}'),
  deep,
  oversized,
);

/** Mostly JSON (so validation is reached), sometimes anything else. */
const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant("application/json") },
  fc.constantFrom(
    "application/json; charset=utf-8",
    "application/json; charset=latin1",
    "application/json; charset=utf-16",
    "APPLICATION/JSON",
    "application/jsonx",
    "application/problem+json",
    "text/plain",
    "text/html",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "application/octet-stream",
    "garbage/;;;",
    ";",
  ),
);

/** Percent-encodes every UTF-8 byte that is not unreserved (a lone surrogate becomes U+FFFD). */
const encodeSegment = (s: string) =>
  [...Buffer.from(s, "utf8")]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, "0").toUpperCase()}`,
    )
    .join("");

/** A path segment as it goes on the wire: hostile raw ASCII, encoded odd strings, plausible ids. */
const segment = fc.oneof(
  fc.constantFrom(
    "%00",
    "..",
    ".",
    "%2e%2e",
    "%2E%2E%2F",
    "..%2F..%2Fetc%2Fpasswd",
    "%2F",
    "%",
    "%zz",
    "%E0%A4%A",
    "%C0%AF",
    "%FF",
    "%20",
    "+",
    ";",
    "..;",
    "%23",
    "%3F",
    "ev_missing",
    "a".repeat(64),
    "a".repeat(65),
    "a".repeat(6000),
    "NaN",
    "-1",
    "1e309",
    "__proto__",
    "constructor",
    "toString",
  ),
  oddString.map(encodeSegment),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
);
/** An event id: the victim's, or hostile (state-changing admin routes: never the guarded one). */
const victimOrHostile = fc.oneof(segment, { weight: 2, arbitrary: fc.constant("VICTIM") });
const anyEventId = fc.oneof(segment, { weight: 2, arbitrary: fc.constantFrom("VICTIM", "GUARDED") });
const resolveId = (id: string) => (id === "VICTIM" ? victim : id === "GUARDED" ? guarded : id);

/** Header-safe printable ASCII (anything else is refused by the client itself). */
const headerText = (max: number) =>
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength: max,
  });

const adminAuth = fc.oneof(
  fc.constant<string | undefined>(undefined),
  { weight: 4, arbitrary: fc.constant(`Bearer ${ADMIN_TOKEN}`) },
  fc.constantFrom(
    "Bearer ",
    "Bearer",
    `bearer ${ADMIN_TOKEN}`,
    `Bearer ${ADMIN_TOKEN} `,
    `Bearer  ${ADMIN_TOKEN}`,
    `Bearer ${ADMIN_TOKEN}x`,
    `Bearer ${ADMIN_TOKEN.slice(0, -1)}`,
    `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString("base64")}`,
    ADMIN_TOKEN,
    `Bearer ${"A".repeat(8000)}`,
  ),
  headerText(100).map((t) => `Bearer ${t}`),
);

/** Ticket tokens a shopper could hold or an attacker could make. */
type TicketAuth = { kind: string; header?: string };
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
async function forge(kind: string, ticketId: string): Promise<string | undefined> {
  const claims = { eid: guarded, uid: "kept-1" };
  const aud = "dropqueue:ticket";
  const now = Math.floor(Date.now() / 1000);
  const sign = (secret: string, build: (j: SignJWT) => SignJWT) =>
    build(new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setSubject(ticketId)).sign(
      new TextEncoder().encode(secret),
    );
  switch (kind) {
    case "none":
      return undefined;
    case "kept":
      return kept[0]?.token;
    case "kept-other":
      return kept[1]?.token;
    case "alg-none":
      return `${b64({ alg: "none", typ: "JWT" })}.${b64({ ...claims, sub: ticketId, aud, exp: now + 3600 })}.`;
    case "wrong-secret":
      return sign("another-secret-another-secret-0123456789", (j) =>
        j.setAudience(aud).setExpirationTime(now + 3600),
      );
    case "expired":
      return sign(stack.deps.config.tokenSecret, (j) => j.setAudience(aud).setExpirationTime(now - 60));
    case "wrong-audience":
      return sign(stack.deps.config.tokenSecret, (j) =>
        j.setAudience("dropqueue:admin").setExpirationTime(now + 3600),
      );
    case "signed-for-path":
      // A real server-signed token for whatever ticket the path names (it does not exist).
      return tokens.sign({ ticketId, eventId: guarded, userId: "kept-1" });
    case "tampered":
      return `${kept[0]?.token.slice(0, -4)}AAAA`;
    case "garbage":
      return "a.b.c";
    case "huge":
      return "x".repeat(8000);
    default:
      return kind;
  }
}
const KINDS = new Set([
  "none",
  "kept",
  "kept-other",
  "alg-none",
  "wrong-secret",
  "expired",
  "wrong-audience",
  "signed-for-path",
  "tampered",
  "garbage",
  "huge",
]);
const ticketAuthKind = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...KINDS) }, headerText(60));
async function ticketAuth(kind: string, ticketId: string): Promise<TicketAuth> {
  const token = await forge(kind, ticketId);
  return { kind, header: token === undefined ? undefined : `Bearer ${token}` };
}

const queryString = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom("status", "limit", "cursor", "sku", "token"), oddString),
      fc.oneof(
        fc.constantFrom("CONFIRMED", "FAILED", "bogus", "0", "-1", "1e309", "NaN", "101", "1.5", ""),
        oddString,
      ),
    ),
    { maxLength: 4 },
  )
  .map((pairs) =>
    pairs.length ? `?${pairs.map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`).join("&")}` : "",
  );

// ---------------------------------------------------------------------------------------
// The oracles: what the contract would accept
// ---------------------------------------------------------------------------------------

const USER_ID = /^[A-Za-z0-9._:@-]{1,64}$/;
const SKU = /^[A-Za-z0-9._-]{1,64}$/;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return Symbol("not JSON");
  }
};
const isJsonType = (ct: string) => /^application\/json\s*(;\s*charset=utf-8)?$/i.test(ct.trim());
const intIn = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER) =>
  typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;

/** A join the contract accepts: userId and sku of their alphabets, quantity absent or ≥ 1. */
function joinAcceptable(text: string, ct: string): boolean {
  const v = parse(text);
  return (
    isJsonType(ct) &&
    isObject(v) &&
    typeof v.userId === "string" &&
    USER_ID.test(v.userId) &&
    typeof v.sku === "string" &&
    SKU.test(v.sku) &&
    (v.quantity === undefined || intIn(v.quantity, 1))
  );
}

function createAcceptable(text: string, ct: string): boolean {
  const v = parse(text);
  if (!isJsonType(ct) || !isObject(v)) return false;
  const name = v.name;
  const products = v.products;
  return (
    typeof name === "string" &&
    name.trim().length >= 1 &&
    name.trim().length <= 200 &&
    Array.isArray(products) &&
    products.length >= 1 &&
    products.every(
      (p) =>
        isObject(p) &&
        typeof p.sku === "string" &&
        SKU.test(p.sku) &&
        typeof p.name === "string" &&
        p.name.trim() !== "" &&
        intIn(p.priceCents, 0) &&
        intIn(p.stock, 0),
    ) &&
    new Set(products.map((p) => (p as { sku: string }).sku)).size === products.length &&
    (v.admissionRate === undefined || intIn(v.admissionRate, 1)) &&
    (v.perUserLimit === undefined || intIn(v.perUserLimit, 1)) &&
    (v.paymentFailureRate === undefined ||
      (typeof v.paymentFailureRate === "number" && v.paymentFailureRate >= 0 && v.paymentFailureRate <= 1))
  );
}

const stockAcceptable = (text: string, ct: string) => {
  const v = parse(text);
  return isJsonType(ct) && isObject(v) && intIn(v.total, 0);
};

// ---------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------

describe("fuzzing the HTTP contract", () => {
  it("admin routes: any input, with or without the token, is a 2xx only when it should be", async () => {
    type Route = {
      method: string;
      path: string;
      body?: string;
      acceptable?: (t: string, ct: string) => boolean;
    };
    const withInput = fc.oneof(
      fc.tuple(createBody).map(
        ([body]): Route => ({
          method: "POST",
          path: "/api/admin/events",
          body,
          acceptable: createAcceptable,
        }),
      ),
      anyEventId.map((id): Route => ({ method: "GET", path: `/api/admin/events/${resolveId(id)}` })),
      fc
        .tuple(victimOrHostile, fc.constantFrom("start", "pause", "resume", "stop"))
        .map(
          ([id, action]): Route => ({ method: "POST", path: `/api/admin/events/${resolveId(id)}/${action}` }),
        ),
      fc.tuple(victimOrHostile, fc.oneof(fc.constant("A"), segment), stockBody).map(
        ([id, sku, body]): Route => ({
          method: "PUT",
          path: `/api/admin/events/${resolveId(id)}/products/${sku}/stock`,
          body,
          acceptable: stockAcceptable,
        }),
      ),
      fc.tuple(anyEventId, fc.constantFrom("stats", "orders", "ledger"), queryString).map(
        ([id, what, q]): Route => ({
          method: "GET",
          path: `/api/admin/events/${resolveId(id)}/${what}${q}`,
        }),
      ),
      victimOrHostile.map(
        (id): Route => ({ method: "POST", path: `/api/admin/events/${resolveId(id)}/reconcile` }),
      ),
    );
    const route = fc.oneof(
      { weight: 15, arbitrary: withInput },
      // No input but the token, and it lists every event the database ever had (no paging): rarely.
      { weight: 1, arbitrary: fc.constant<Route>({ method: "GET", path: "/api/admin/events" }) },
    );
    await check(
      fc.asyncProperty(route, adminAuth, contentType, async (r, auth, ct) => {
        const headers: Record<string, string> = { "content-type": ct };
        if (auth !== undefined) headers.authorization = auth;
        const res = await send(r.method, r.path, { headers, body: r.body });
        const what = `${r.method} ${r.path.slice(0, 200)} auth=${auth?.slice(0, 40)} ct=${ct} body=${r.body?.slice(0, 200)}`;
        expectSane(res, what);
        // HTTP trims a header value's outer whitespace, so a token with a trailing space is the token;
        // and the scheme's case does not matter (RFC 9110).
        const trimmed = auth?.trim() ?? "";
        const withToken = /^bearer /i.test(trimmed) && trimmed.slice(7) === ADMIN_TOKEN;
        if (res.status < 300) {
          // Only with the token, and only input the contract accepts.
          expect(withToken, what).toBe(true);
          if (r.body !== undefined && r.acceptable) expect(r.acceptable(r.body, ct), what).toBe(true);
          if (r.method === "POST" && r.path === "/api/admin/events") created.push(JSON.parse(res.text).id);
        }
        if (!withToken) expect(res.status, what).toBeGreaterThanOrEqual(400);
      }),
      300,
    );
    await expectAlive();
  });

  it("joining: malformed, oversized or wrongly typed bodies are refused, and only they", async () => {
    const target = fc.oneof({ weight: 4, arbitrary: fc.constant("GUARDED") }, fc.constant("VICTIM"), segment);
    await check(
      fc.asyncProperty(target, joinBody, contentType, async (id, body, ct) => {
        const eventId = resolveId(id);
        const res = await send("POST", `/api/events/${eventId}/tickets`, {
          headers: { "content-type": ct },
          body,
        });
        const what = `join ${eventId.slice(0, 80)} ct=${ct} body=${body.slice(0, 200)}`;
        expectSane(res, what);
        if (res.status < 300) {
          expect([200, 202], what).toContain(res.status);
          expect(joinAcceptable(body, ct), what).toBe(true);
          const ticket = JSON.parse(res.text);
          expect(ticket, what).toMatchObject({
            ticketId: expect.any(String),
            token: expect.any(String),
            status: expect.any(String),
          });
          if (res.status === 202 && eventId === guarded) acceptedJoins++;
        }
      }),
      300,
    );
    await expectAlive();
    // Refused input moved nothing: the count grew by exactly the joins accepted.
    expect(await joinsOf(guarded)).toBe(joinsBefore + acceptedJoins);
  });

  it("identity assertions and proof-of-work puzzles: forged, stale, replayed or hostile ones are refused", async () => {
    // An event that asks both (created and started through the admin API).
    const made = await send("POST", "/api/admin/events", {
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({
        name: "Fuzzed gate",
        requireIdentity: true,
        powDifficulty: 6,
        products: [product],
      }),
    });
    expect(made.status, made.text).toBe(201);
    const gated = JSON.parse(made.text).id as string;
    created.push(gated);
    expect((await send("POST", `/api/admin/events/${gated}/start`, { headers: admin })).status).toBe(200);
    const puzzle = async () => {
      const res = await send("GET", `/api/events/${gated}/challenge`);
      expectSane(res, "challenge");
      return JSON.parse(res.text) as { challenge: string; difficulty: number };
    };
    const secret = new TextEncoder().encode(SHOP_SECRET);
    const now = () => Math.floor(Date.now() / 1000);
    const identityOf = async (kind: string, sub: string): Promise<unknown> => {
      const base = (key: Uint8Array, build: (j: SignJWT) => SignJWT = (j) => j) =>
        build(
          new SignJWT({})
            .setProtectedHeader({ alg: "HS256" })
            .setSubject(sub)
            .setIssuer("https://shop.example")
            .setAudience("dropqueue")
            .setIssuedAt()
            .setExpirationTime(now() + 120),
        ).sign(key);
      switch (kind) {
        case "valid":
          return base(secret);
        case "wrong-secret":
          return base(new TextEncoder().encode("not-the-shop-secret-not-the-shop-secret-0123"));
        case "expired":
          return base(secret, (j) => j.setIssuedAt(now() - 600).setExpirationTime(now() - 60));
        case "too-old":
          return base(secret, (j) => j.setIssuedAt(now() - 3600));
        case "wrong-issuer":
          return base(secret, (j) => j.setIssuer("https://evil.example"));
        case "wrong-audience":
          return base(secret, (j) => j.setAudience("elsewhere"));
        case "alg-none":
          return `${b64({ alg: "none" })}.${b64({ sub, iss: "https://shop.example", aud: "dropqueue", exp: now() + 60, iat: now() })}.`;
        case "rs256-claimed":
          return `${b64({ alg: "RS256", kid: "x" })}.${b64({ sub })}.c2ln`;
        case "missing":
          return undefined;
        default:
          return kind; // a hostile value as is
      }
    };
    const identityKind = fc.oneof(
      { weight: 4, arbitrary: fc.constant("valid") },
      fc.constantFrom("wrong-secret", "expired", "too-old", "wrong-issuer", "wrong-audience", "alg-none"),
      fc.constantFrom("rs256-claimed", "missing"),
      oddString,
    );
    const powKind = fc.oneof(
      { weight: 4, arbitrary: fc.constant("solved") },
      fc.constantFrom("missing", "unsolved", "replayed", "forged-easier", "other-event", "tampered"),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
      fc.record({ challenge: oddString, nonce: oddString }).map((v) => JSON.stringify(v)),
    );
    let spent: { challenge: string; nonce: string } | undefined;
    const powOf = async (kind: string): Promise<unknown> => {
      const { challenge, difficulty } = await puzzle();
      const unsolved = () => {
        for (let n = 0; ; n++)
          if (leadingZeroBits(solve(challenge, n.toString(36))) < difficulty) return n.toString(36);
      };
      switch (kind) {
        case "solved": {
          const solution = { challenge, nonce: solvePuzzle(challenge, difficulty) };
          return solution;
        }
        case "missing":
          return undefined;
        case "unsolved":
          return { challenge, nonce: unsolved() };
        case "replayed":
          return spent;
        case "forged-easier": {
          const easier = challenge.replace(/^([^.]+)\.\d+\./, "$1.0.");
          return { challenge: easier, nonce: "0" };
        }
        case "other-event": {
          const other = challenge.replace(/^[^.]+/, guarded);
          return { challenge: other, nonce: solvePuzzle(other, difficulty) };
        }
        case "tampered":
          return { challenge: `${challenge.slice(0, -2)}AA`, nonce: solvePuzzle(challenge, difficulty) };
        default:
          return JSON.parse(kind);
      }
    };
    let n = 0;
    await check(
      fc.asyncProperty(identityKind, powKind, userIdLike, async (idKind, pKind, bodyUser) => {
        const sub = `gate-${n++}`;
        const identity = await identityOf(idKind, sub);
        const pow = await powOf(pKind);
        const body = JSON.stringify({
          userId: bodyUser,
          sku: "A",
          ...(identity === undefined ? {} : { identity }),
          ...(pow === undefined ? {} : { pow }),
        });
        const res = await send("POST", `/api/events/${gated}/tickets`, {
          headers: { "content-type": "application/json" },
          body,
        });
        const what = `gated join identity=${idKind.slice(0, 40)} pow=${pKind.slice(0, 60)}`;
        expectSane(res, what);
        const acceptable = idKind === "valid" && pKind === "solved";
        if (res.status < 300) {
          expect(acceptable, what).toBe(true);
          expect(res.status, what).toBe(202);
          const { ticketId } = JSON.parse(res.text);
          // The user is the assertion's, never the body's.
          const row = await stack.deps.prisma.ticket.findUniqueOrThrow({ where: { id: ticketId } });
          expect(row.userId, what).toBe(sub);
          spent = pow as { challenge: string; nonce: string };
        } else if (acceptable) {
          // Only a body the join would refuse anyway (a userId of the wrong alphabet is ignored).
          expect([400, 409, 429, 503], what).toContain(res.status);
        }
      }),
      150,
    );
    // The admission settings route and the challenge route with hostile input.
    await check(
      fc.asyncProperty(anyEventId, fc.jsonValue({ maxDepth: 2 }), async (id, value) => {
        const eventId = resolveId(id) === guarded ? victim : resolveId(id);
        const put = await send("PUT", `/api/admin/events/${eventId}/admission`, {
          headers: { ...admin, "content-type": "application/json" },
          body: JSON.stringify(value),
        });
        expectSane(put, `admission ${eventId.slice(0, 80)} ${JSON.stringify(value).slice(0, 100)}`);
        const challenge = await send("GET", `/api/events/${eventId}/challenge`);
        expectSane(challenge, `challenge ${eventId.slice(0, 80)}`);
      }),
      100,
    );
    await expectAlive();
  });

  it("tickets, orders and the event view: hostile ids and forged tokens", async () => {
    const ticketPath = fc.oneof(fc.constant("KEPT"), segment);
    const route = fc.oneof(
      fc.tuple(ticketPath, ticketAuthKind).map(([t, auth]) => ({ kind: "ticket" as const, id: t, auth })),
      fc.tuple(segment, ticketAuthKind).map(([o, auth]) => ({ kind: "cancel" as const, id: o, auth })),
      anyEventId.map((id) => ({ kind: "event" as const, id, auth: "none" })),
    );
    await check(
      fc.asyncProperty(route, async (r) => {
        const id = r.id === "KEPT" ? (kept[0]?.ticketId ?? "") : resolveId(r.id);
        const { header } = await ticketAuth(r.auth, decodeURIComponentSafe(id));
        const headers: Record<string, string> = header === undefined ? {} : { authorization: header };
        const [method, path] =
          r.kind === "ticket"
            ? ["GET", `/api/tickets/${id}`]
            : r.kind === "cancel"
              ? ["POST", `/api/orders/${id}/cancel`]
              : ["GET", `/api/events/${id}`];
        const res = await send(method, path, { headers });
        const what = `${method} ${path.slice(0, 200)} auth=${r.auth.slice(0, 40)}`;
        expectSane(res, what);
        if (r.kind === "ticket" && res.status < 300) {
          // Only a token the server signed for this ticket reads it (and only the kept one exists).
          expect(id, what).toBe(kept[0]?.ticketId);
          expect(["kept", "signed-for-path"], what).toContain(r.auth);
        }
        if (r.kind === "cancel") expect(res.status, what).toBeGreaterThanOrEqual(400); // no order exists to cancel
        if (r.kind === "event" && res.status < 300) expect([guarded, victim], what).toContain(id);
      }),
      250,
    );
    await expectAlive();
  });

  it("any method on any path: a contract error or a page, never a 5xx", async () => {
    const path = fc
      .array(
        fc.oneof(
          segment,
          fc.constantFrom("api", "admin", "events", "tickets", "orders", "queues", "docs.html", ""),
        ),
        {
          minLength: 1,
          maxLength: 6,
        },
      )
      .map((segs) => `/${segs.join("/")}`);
    const method = fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH");
    await check(
      fc.asyncProperty(
        method,
        path,
        fc.option(joinBody, { nil: undefined }),
        adminAuth,
        async (m, p, body, auth) => {
          const headers: Record<string, string> = auth === undefined ? {} : { authorization: auth };
          const res = await send(m, p, { headers, body });
          // A request head over Node's 16 kB limit is refused by Node's HTTP parser itself, before
          // the app: 431, still in the contract's shape, and the server goes on.
          if (res.status === 431) {
            expect(p.length + (auth?.length ?? 0), `${m} ${p.slice(0, 100)}`).toBeGreaterThan(15_000);
          }
          expectSane(res, `${m} ${p.slice(0, 200)}`);
        },
      ),
      200,
    );
    // Socket.IO's own endpoint answers in its own protocol, but never with a 5xx.
    await check(
      fc.asyncProperty(fc.oneof(segment, queryString), fc.constantFrom("GET", "POST"), async (tail, m) => {
        const res = await send(m, `/socket.io/${tail}`, {
          body: m === "POST" ? "4x" : undefined,
          headers: { "content-type": "text/plain" },
        });
        expect(res.status, `${m} /socket.io/${tail.slice(0, 100)} → ${res.status}`).toBeLessThan(500);
      }),
      40,
    );
    await expectAlive();
  });
});

describe("fuzzing the Socket.IO handshake", () => {
  /** How a connection attempt ended: connected, refused with a code, or closed by the server. */
  function attempt(namespace: string, auth: unknown): Promise<string> {
    return new Promise((resolve) => {
      const socket = io(`${stack.url}${namespace}`, {
        path: "/socket.io",
        transports: ["websocket"],
        reconnection: false,
        forceNew: true,
        timeout: 4000,
        // biome-ignore lint/suspicious/noExplicitAny: deliberately not the auth shape the client types
        auth: auth as any,
      });
      let finished = false;
      const done = (outcome: string) => {
        if (finished) return; // closing emits "close" again
        finished = true;
        clearTimeout(timer);
        socket.close();
        resolve(outcome);
      };
      const timer = setTimeout(() => done("timeout"), 5000);
      socket.on("connect", () => done("connected"));
      socket.on("connect_error", (err: Error & { data?: { code?: string } }) =>
        done(err.data?.code ? `refused:${err.data.code}` : `error:${err.message}`),
      );
      // The client closes its connection just before it emits connect_error: wait for it.
      socket.io.on("close", () => setTimeout(() => done("closed"), 100));
    });
  }

  const token = fc.oneof(
    ticketAuthKind,
    oddString,
    fc.jsonValue({ maxDepth: 2 }),
    fc.integer({ min: 60_000, max: 200_000 }).map((n) => "t".repeat(n)),
  );

  it("shoppers: only a ticket's own token connects; anything else is refused UNAUTHORIZED or dropped", async () => {
    const auth = fc.oneof(
      fc.constant(undefined),
      fc.jsonValue({ maxDepth: 3 }),
      fc.record(
        { ticketId: fc.oneof(fc.constant("KEPT"), oddString, fc.jsonValue({ maxDepth: 1 })), token },
        { requiredKeys: [] },
      ),
    );
    await check(
      fc.asyncProperty(auth, async (a) => {
        let sent: unknown = a;
        let genuine = false;
        if (isObject(a)) {
          const ticketId = a.ticketId === "KEPT" ? kept[0]?.ticketId : a.ticketId;
          let tok = a.token;
          if (typeof tok === "string" && KINDS.has(tok)) {
            // Genuine: the kept ticket's own token, or one the server signed for this very id.
            genuine =
              typeof ticketId === "string" &&
              ((tok === "kept" && ticketId === kept[0]?.ticketId) || tok === "signed-for-path");
            tok = await forge(tok, String(ticketId));
          }
          sent = { ...a, ticketId, token: tok };
        }
        const outcome = await attempt("/", sent);
        const what = `auth=${JSON.stringify(sent)?.slice(0, 200)} → ${outcome}`;
        if (genuine) expect(outcome, what).toBe("connected");
        else if (isObject(sent) && JSON.stringify(sent).length < 60_000)
          expect(outcome, what).toBe("refused:UNAUTHORIZED");
        else expect(outcome, what).toMatch(/^(refused:UNAUTHORIZED|closed|error:)/);
      }),
      80,
    );
    await expectAlive();
  });

  it("admins: only the admin token connects to /admin", async () => {
    const auth = fc.oneof(
      fc.constant(undefined),
      fc.jsonValue({ maxDepth: 2 }),
      fc.record(
        {
          token: fc.oneof(
            fc.constant(ADMIN_TOKEN),
            fc.constant(`${ADMIN_TOKEN} `),
            fc.constant(ADMIN_TOKEN.toUpperCase()),
            token,
          ),
        },
        { requiredKeys: [] },
      ),
    );
    await check(
      fc.asyncProperty(auth, async (a) => {
        const outcome = await attempt("/admin", a);
        const what = `auth=${JSON.stringify(a)?.slice(0, 200)} → ${outcome}`;
        if (isObject(a) && a.token === ADMIN_TOKEN) expect(outcome, what).toBe("connected");
        else if (isObject(a) && JSON.stringify(a).length < 60_000)
          expect(outcome, what).toBe("refused:UNAUTHORIZED");
        else expect(outcome, what).toMatch(/^(refused:UNAUTHORIZED|closed|error:)/);
      }),
      50,
    );
    await expectAlive();
  });
});

describe("after the fuzzing", () => {
  it("nothing accepted before it is lost: tickets readable, joins counted once, outcomes delivered", async () => {
    expect((await send("GET", "/readyz")).status).toBe(200);
    expect(await joinsOf(guarded)).toBe(joinsBefore + acceptedJoins);
    for (const k of kept) {
      const res = await send("GET", `/api/tickets/${k.ticketId}`, {
        headers: { authorization: `Bearer ${k.token}` },
      });
      expect(res.status, res.text).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({
        ticketId: k.ticketId,
        eventId: guarded,
        sku: "A",
        status: "QUEUED",
      });
    }
    expect(keptSocket.connected).toBe(true);
    expect(keptResults).toEqual([]);

    await transition(stack.deps, guarded, "resume");
    for (const k of kept) {
      await eventually(async () => {
        const res = await send("GET", `/api/tickets/${k.ticketId}`, {
          headers: { authorization: `Bearer ${k.token}` },
        });
        return JSON.parse(res.text).status === "CONFIRMED";
      }, 20_000);
    }
    await eventually(async () => keptResults.length > 0, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(keptResults).toEqual([expect.objectContaining({ status: "CONFIRMED" })]);
    await expectAlive();
  });
});

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
