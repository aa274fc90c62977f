// Issue 12, read as an attacker would: one test per hole. /metrics behind its own token on
// every spelling of its path; the queue dashboard read-only whatever the path's case or
// trailing slash; no admin token in URLs, an expiring revocable session, and failed admin
// sign-ins throttled on every entry point; limits keyed on the IPv6 /64 and socket
// connections per client capped; the admin's own budget during a surge.
import { randomInt } from "node:crypto";
import { io as connect } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, liveEvent, startTestStack, type TestStack } from "../support/app.js";

const PER_SECOND = 5;
const SOCKETS = 3;

let stack: TestStack;
beforeAll(async () => {
  // The test client is a proxy on loopback: its X-Forwarded-For names the client.
  stack = await startTestStack({
    workerPools: 1,
    env: {
      RATE_LIMIT_PER_SECOND: String(PER_SECOND),
      TRUST_PROXY: "loopback",
      SOCKETS_PER_CLIENT: String(SOCKETS),
      ADMIN_FAILURES_PER_MINUTE: "10",
    },
  });
});
afterAll(async () => {
  await stack.close();
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
    const { clientKeyOf } = await import("../../src/http/client-key.js");
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
