// Issue 12, read as an attacker would: one test per hole. /metrics behind its own token on
// every spelling of its path; the queue dashboard read-only whatever the path's case or
// trailing slash; no admin token in URLs, an expiring revocable session, and failed admin
// sign-ins throttled on every entry point; limits keyed on the IPv6 /64 and socket
// connections per client capped; the admin's own budget during a surge.
import { randomInt } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { io as connect } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, liveEvent, startTestStack, type TestStack } from "../support/app.js";

const PER_SECOND = 5;
const SOCKETS = 3;

const SHOP_SECRET = "the-shop-backend-shares-this-secret-0123456789";
const ISSUER = "https://shop.example";
const AUDIENCE = "dropqueue";

let stack: TestStack;
let jwksServer: Server;
let rsaKey: CryptoKey;
let ecKey: CryptoKey;
beforeAll(async () => {
  // The shop's public keys, served as a JWKS as the shop would.
  const rsa = await generateKeyPair("RS256");
  const ec = await generateKeyPair("ES256");
  rsaKey = rsa.privateKey;
  ecKey = ec.privateKey;
  const jwks = {
    keys: [
      { ...(await exportJWK(rsa.publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" },
      { ...(await exportJWK(ec.publicKey)), kid: "ec-1", alg: "ES256", use: "sig" },
    ],
  };
  jwksServer = createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
  const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
  // The test client is a proxy on loopback: its X-Forwarded-For names the client.
  stack = await startTestStack({
    workerPools: 1,
    env: {
      RATE_LIMIT_PER_SECOND: String(PER_SECOND),
      TRUST_PROXY: "loopback",
      SOCKETS_PER_CLIENT: String(SOCKETS),
      ADMIN_FAILURES_PER_MINUTE: "10",
      SHOPPER_JWT_SECRET: SHOP_SECRET,
      SHOPPER_JWKS_URL: jwksUrl,
      SHOPPER_JWT_ISSUER: ISSUER,
      SHOPPER_JWT_AUDIENCE: AUDIENCE,
    },
  });
});
afterAll(async () => {
  await stack?.close();
  await new Promise((resolve) => jwksServer?.close(resolve));
});

const ipv4 = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
const hex = () => randomInt(0x10000).toString(16);
const ipv6Net = () => `2001:db8:${hex()}:${hex()}`;

async function call(
  method: string,
  path: string,
  opts: { client?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    redirect: "manual",
    headers: {
      "x-forwarded-for": opts.client ?? ipv4(),
      ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...opts.headers,
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let body: { error?: { code: string } } | undefined;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, text, body, headers: res.headers };
}

const product = { sku: "A", name: "Sneaker", priceCents: 12000, stock: 1000 };

describe("1. /metrics", () => {
  it("answers no spelling of its path without the metrics token", async () => {
    for (const path of ["/metrics", "/metrics/", "/METRICS", "/Metrics/", "/metrics//", "/%6detrics"]) {
      const res = await call("GET", path);
      expect([401, 404], path).toContain(res.status);
      expect(res.text).not.toMatch(/dropqueue_/);
    }
    const ok = await call("GET", "/METRICS/", { token: ADMIN_TOKEN });
    expect(ok.status).toBe(200);
    expect(ok.text).toMatch(/dropqueue_http_requests_total/);
  });
});

describe("2. the queue dashboard is read-only", () => {
  it("refuses every action that changes jobs, whatever the path's spelling", async () => {
    const event = await liveEvent(stack.deps, { products: [product] });
    await call("POST", `/api/events/${event.id}/tickets`, { body: { userId: "u1", sku: "A" } });
    const q = `${event.id}-purchase`;
    const queue = stack.deps.queues.get(event.id);
    const actions: [string, string][] = [
      ["PUT", "/admin/queues/api/queues/pause"],
      ["PUT", "/admin/queues/api/queues/pause/"],
      ["PUT", "/admin/queues/API/queues/PAUSE"],
      ["PUT", `/admin/queues/api/queues/${q}/pause/`],
      ["PUT", `/admin/queues/api/queues/${q}/clean/waiting`],
      ["PUT", `/admin/queues/api/queues/${q}/clean/delayed/`],
      ["PUT", `/admin/queues/api/queues/${q}/empty`],
      ["POST", `/admin/queues/api/queues/${q}/add`],
      ["PUT", `/admin/queues/api/queues/${q}/promote`],
      ["PUT", "/admin/queues/api/queues/promote"],
      ["DELETE", `/admin/queues/api/queues/${q}/obliterate`],
    ];
    for (const [method, path] of actions) {
      const res = await call(method, path, { token: ADMIN_TOKEN, body: {} });
      expect(res.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${method} ${path}`).toBeLessThan(500);
    }
    expect(await queue.isPaused()).toBe(false);
    // Every queue the board lists is marked read-only (its UI offers no actions).
    const listed = await call("GET", "/admin/queues/api/queues", { token: ADMIN_TOKEN });
    expect(listed.status).toBe(200);
    const queues = (listed.body as unknown as { queues: { readOnlyMode: boolean }[] }).queues;
    expect(queues.length).toBeGreaterThan(0);
    expect(queues.every((entry) => entry.readOnlyMode)).toBe(true);
  });
});

describe("3. admin sign-in", () => {
  it("takes no token in the URL; a sign-in form sets an expiring, revocable session cookie", async () => {
    const client = ipv4();
    const viaUrl = await call("GET", `/admin/queues?token=${ADMIN_TOKEN}`, { client });
    expect(viaUrl.status).not.toBe(200);
    expect(viaUrl.headers.get("set-cookie")).toBeNull();

    const form = await call("GET", "/admin/queues/sign-in", { client });
    expect(form.status).toBe(200);
    expect(form.text).toMatch(/<form method="post"/);

    const signIn = await fetch(`${stack.url}/admin/queues/sign-in`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": client },
      body: new URLSearchParams({ token: ADMIN_TOKEN }).toString(),
    });
    expect(signIn.status).toBe(303);
    const setCookie = signIn.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Expires=|Max-Age=/i);
    const cookie = setCookie.split(";")[0] ?? "";
    const cookieValue = cookie.split("=")[1] ?? "";
    expect(cookieValue).not.toContain(ADMIN_TOKEN);
    expect((await call("GET", "/admin/queues/api/queues", { client, headers: { cookie } })).status).toBe(200);

    // An expired session (the expiry is signed, so it cannot be pushed back) is refused.
    const [, mac] = cookieValue.split(".");
    const expired = `dq_admin=${Math.floor(Date.now() / 1000) - 1}.${mac}`;
    expect(
      (await call("GET", "/admin/queues/api/queues", { client, headers: { cookie: expired } })).status,
    ).toBe(401);

    // Signing out rotates the server-side secret: every session ends.
    expect((await call("POST", "/admin/queues/sign-out", { client, headers: { cookie } })).status).toBe(303);
    expect((await call("GET", "/admin/queues/api/queues", { client, headers: { cookie } })).status).toBe(401);
  });

  it("throttles failed admin authentications per client on the API, the dashboard and the socket", async () => {
    const guess = "not-the-admin-token-123";
    // The admin API: after the allowance of failures, even the right token waits.
    const apiClient = ipv4();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push((await call("GET", "/api/admin/events", { client: apiClient, token: guess })).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
    expect((await call("GET", "/api/admin/events", { client: apiClient, token: ADMIN_TOKEN })).status).toBe(
      429,
    );
    expect((await call("GET", "/api/admin/events", { client: ipv4(), token: ADMIN_TOKEN })).status).toBe(200);

    // The dashboard (Bearer header and the sign-in form).
    const boardClient = ipv4();
    for (let i = 0; i < 10; i++)
      await call("GET", "/admin/queues/api/queues", { client: boardClient, token: guess });
    expect(
      (await call("GET", "/admin/queues/api/queues", { client: boardClient, token: ADMIN_TOKEN })).status,
    ).toBe(429);

    // The /admin socket handshake.
    const socketClient = ipv4();
    const handshake = (token: string) =>
      new Promise<string>((resolve) => {
        const socket = connect(`${stack.url}/admin`, {
          transports: ["websocket"],
          auth: { token },
          extraHeaders: { "x-forwarded-for": socketClient },
          reconnection: false,
          // One connection per call: socket.io-client would otherwise share the first Manager of this
          // URL (its connection, with that client's X-Forwarded-For) across calls.
          forceNew: true,
        });
        socket.on("connect", () => {
          socket.close();
          resolve("connected");
        });
        socket.on("connect_error", (err: Error & { data?: { code?: string } }) => {
          socket.close();
          resolve(err.data?.code ?? err.message);
        });
      });
    for (let i = 0; i < 10; i++) expect(await handshake(guess)).toBe("UNAUTHORIZED");
    expect(await handshake(ADMIN_TOKEN)).toBe("RATE_LIMITED");
  });
});

describe("6. clients are IPv4 addresses and IPv6 /64s", () => {
  it("derives one key per /64", async () => {
    // Imported here so the rest of the file runs against code without the module.
    const { clientKeyOf } = await import("../../src/auth/client-key.js");
    expect(clientKeyOf("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(clientKeyOf("2001:0db8:0001:0002:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(clientKeyOf("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(clientKeyOf("::ffff:192.0.2.7")).toBe("192.0.2.7");
    expect(clientKeyOf("192.0.2.7")).toBe("192.0.2.7");
  });

  it("counts every address of a /64 as one client", async () => {
    const event = await liveEvent(stack.deps, { products: [product] });
    const net = ipv6Net();
    const answers = await Promise.all(
      Array.from({ length: PER_SECOND + 3 }, (_, i) =>
        call("POST", `/api/events/${event.id}/tickets`, {
          client: `${net}:${hex()}:${hex()}:${hex()}:${i + 1}`,
          body: { userId: `v6-${i}`, sku: "A" },
        }),
      ),
    );
    expect(answers.filter((a) => a.status === 429)).toHaveLength(3);
  });

  it("caps the sockets one client holds open", async () => {
    // A scheduled event: the ticket waits in the pre-queue, so no outcome closes its sockets.
    const startsAt = new Date(Date.now() + 3600_000).toISOString();
    const event = await liveEvent(stack.deps, { products: [product], startsAt }, { start: false });
    const net = ipv6Net();
    const joined = await call("POST", `/api/events/${event.id}/tickets`, {
      client: ipv4(),
      body: { userId: "sockets", sku: "A" },
    });
    const { ticketId, token } = joined.body as unknown as { ticketId: string; token: string };
    const sockets: ReturnType<typeof connect>[] = Array.from({ length: SOCKETS + 1 }, (_, i) =>
      connect(stack.url, {
        transports: ["websocket"],
        auth: { ticketId, token },
        extraHeaders: { "x-forwarded-for": `${net}::${i + 1}` },
        reconnection: false,
        // A Manager of its own (see above).
        forceNew: true,
      }),
    );
    try {
      const outcomes = await Promise.all(
        sockets.map(
          (socket) =>
            new Promise<string>((resolve) => {
              socket.on("connect", () => resolve("connected"));
              socket.on("connect_error", () => resolve("refused"));
            }),
        ),
      );
      outcomes.sort();
      expect(outcomes).toEqual([...Array(SOCKETS).fill("connected"), "refused"]);
      // Another client is not held back by this one.
      const other = connect(stack.url, {
        transports: ["websocket"],
        auth: { ticketId, token },
        extraHeaders: { "x-forwarded-for": `${ipv6Net()}::1` },
        reconnection: false,
        // A Manager of its own (see above).
        forceNew: true,
      });
      sockets.push(other);
      expect(
        await new Promise<string>((resolve) => {
          other.on("connect", () => resolve("connected"));
          other.on("connect_error", () => resolve("refused"));
        }),
      ).toBe("connected");
    } finally {
      for (const socket of sockets) socket.close();
    }
  });
});

describe("9. the admin has a budget of its own", () => {
  it("keeps answering the admin from an address whose shopper budget is spent", async () => {
    const client = ipv4();
    const event = await liveEvent(stack.deps, { products: [product] });
    const burst = await Promise.all(
      Array.from({ length: PER_SECOND * 6 }, () => call("GET", `/api/events/${event.id}`, { client })),
    );
    expect(burst.some((r) => r.status === 429)).toBe(true);
    const admin = await Promise.all(
      Array.from({ length: 10 }, () => call("GET", "/api/admin/events", { client, token: ADMIN_TOKEN })),
    );
    expect(admin.map((r) => r.status)).toEqual(Array(10).fill(200));
  });
});

/** An identity assertion as the shop's backend would sign it. */
async function assertion(
  sub: string,
  opts: { alg?: "HS256" | "RS256" | "ES256"; iss?: string; aud?: string; exp?: string | number } = {},
) {
  const alg = opts.alg ?? "HS256";
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg, ...(alg === "HS256" ? {} : { kid: alg === "RS256" ? "rsa-1" : "ec-1" }) })
    .setSubject(sub)
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? "2m");
  return jwt.sign(alg === "HS256" ? new TextEncoder().encode(SHOP_SECRET) : alg === "RS256" ? rsaKey : ecKey);
}

const admin = (method: string, path: string, body?: unknown) =>
  call(method, path, { token: ADMIN_TOKEN, body });

describe("5. shopper identity the shop vouches for", () => {
  it("takes the user id from a verified assertion, never the body, when the event requires it", async () => {
    const created = await admin("POST", "/api/admin/events", {
      name: "Members only",
      requireIdentity: true,
      products: [product],
    });
    expect(created.status).toBe(201);
    const eventId = (created.body as unknown as { id: string }).id;
    expect((await admin("POST", `/api/admin/events/${eventId}/start`)).status).toBe(200);
    const join = (body: Record<string, unknown>) =>
      call("POST", `/api/events/${eventId}/tickets`, { body: { sku: "A", ...body } });

    // Alice joins with her assertion.
    const alice = await join({ identity: await assertion("alice") });
    expect(alice.status).toBe(202);
    const ticket = alice.body as unknown as { ticketId: string };
    const row = await stack.deps.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.ticketId } });
    expect(row.userId).toBe("alice");

    // Whoever posts Alice's id without her assertion gets nothing of hers.
    for (const body of [
      { userId: "alice" },
      { userId: "alice", identity: await assertion("mallory") },
      { userId: "alice", identity: "not.a.jwt" },
    ]) {
      const res = await join(body);
      if (res.status === 200 || res.status === 202)
        expect((res.body as unknown as { ticketId: string }).ticketId).not.toBe(ticket.ticketId);
      else expect(res.status).toBe(401);
    }
    expect((await join({ userId: "alice" })).status).toBe(401);

    // Issuer, audience, expiry and algorithm are checked; RS256 and ES256 through the JWKS.
    const refused = [
      await assertion("bob", { iss: "https://evil.example" }),
      await assertion("bob", { aud: "someone-else" }),
      await assertion("bob", { exp: Math.floor(Date.now() / 1000) - 60 }),
      tamper(await assertion("bob")),
    ];
    for (const identity of refused) expect((await join({ identity })).status, identity).toBe(401);
    expect((await join({ identity: await assertion("rsa-user", { alg: "RS256" }) })).status).toBe(202);
    expect((await join({ identity: await assertion("ec-user", { alg: "ES256" }) })).status).toBe(202);

    // An event without the setting behaves as before: the body's userId.
    const open = await liveEvent(stack.deps, { products: [product] });
    expect(
      (await call("POST", `/api/events/${open.id}/tickets`, { body: { userId: "anyone", sku: "A" } })).status,
    ).toBe(202);
  });
});

describe("7. proof-of-work", () => {
  it("asks a solved, fresh, unused puzzle of the event's difficulty before a join", async () => {
    const { solvePuzzle } = await import("../../src/admission/pow.js");
    const created = await admin("POST", "/api/admin/events", { name: "Bot-proof", products: [product] });
    const eventId = (created.body as unknown as { id: string }).id;
    await admin("POST", `/api/admin/events/${eventId}/start`);
    expect((await admin("PUT", `/api/admin/events/${eventId}/admission`, { powDifficulty: 12 })).status).toBe(
      200,
    );
    const join = (userId: string, pow?: unknown) =>
      call("POST", `/api/events/${eventId}/tickets`, { body: { userId, sku: "A", ...(pow ? { pow } : {}) } });

    expect((await join("no-pow")).status).toBe(400);
    const puzzle = await call("GET", `/api/events/${eventId}/challenge`);
    expect(puzzle.status).toBe(200);
    const { challenge, difficulty } = puzzle.body as unknown as { challenge: string; difficulty: number };
    expect(difficulty).toBe(12);
    expect((await join("wrong-nonce", { challenge, nonce: "zzzz" })).status).toBe(400);
    const nonce = solvePuzzle(challenge, difficulty);
    expect((await join("solver", { challenge, nonce })).status).toBe(202);
    // One join per puzzle.
    const replay = await join("replayer", { challenge, nonce });
    expect(replay.status).toBe(400);
    expect(JSON.stringify(replay.body)).toMatch(/spent/);
    // A forged puzzle (easier, or another event's) is refused.
    const easier = challenge.replace(/^([^.]+)\.12\./, "$1.1.");
    expect((await join("forger", { challenge: easier, nonce: solvePuzzle(easier, 1) })).status).toBe(400);
  });
});

/**
 * The token with one character of its signature's middle changed (never the last one, whose
 * low bits base64url may ignore, and never to itself): a signature that no longer verifies.
 */
function tamper(jwt: string): string {
  const at = jwt.lastIndexOf(".") + 5;
  const swapped = jwt[at] === "A" ? "B" : "A";
  return `${jwt.slice(0, at)}${swapped}${jwt.slice(at + 1)}`;
}
