// Ticket tokens over the wire: only a token the server signed, unexpired, for this very
// ticket opens GET /api/tickets/:id and the ticket's socket. Everything else is
// 401 UNAUTHORIZED in the contract's shape, or a connect_error with data.code UNAUTHORIZED.
import { SignJWT } from "jose";
import { io } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { liveEvent, startTestStack, type TestStack } from "../support/app.js";

let stack: TestStack;
let mine: { ticketId: string; token: string; eventId: string };
let theirs: { ticketId: string; token: string };

// As src/waiting-room/tokens.ts signs them.
const AUDIENCE = "dropqueue:ticket";

beforeAll(async () => {
  stack = await startTestStack({ workerPools: 1 });
  const event = await liveEvent(stack.deps, {
    products: [{ sku: "A", name: "Sneaker", priceCents: 12000, stock: 10 }],
  });
  await stack.deps.queues.get(event.id).pause(); // the tickets stay open while we knock
  mine = { ...(await join(event.id, "me")), eventId: event.id };
  theirs = await join(event.id, "you");
});
afterAll(() => stack.close());

async function join(eventId: string, userId: string): Promise<{ ticketId: string; token: string }> {
  const res = await fetch(`${stack.url}/api/events/${eventId}/tickets`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, sku: "A" }),
  });
  expect(res.status).toBe(202);
  return (await res.json()) as { ticketId: string; token: string };
}

function sign(
  claims: { ticketId: string; eventId: string; userId: string },
  opts: { secret?: string; audience?: string; expiresAt?: number; issuedAt?: number } = {},
) {
  return new SignJWT({ eid: claims.eventId, uid: claims.userId })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(claims.ticketId)
    .setAudience(opts.audience ?? AUDIENCE)
    .setIssuedAt(opts.issuedAt ?? Math.floor(Date.now() / 1000))
    .setExpirationTime(opts.expiresAt ?? Math.floor(Date.now() / 1000) + 3600)
    .sign(new TextEncoder().encode(opts.secret ?? stack.deps.config.tokenSecret));
}

async function readTicket(ticketId: string, token: string) {
  const res = await fetch(`${stack.url}/api/tickets/${ticketId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

/** The handshake's answer: "connected", or the connect_error's data.code and message. */
function handshake(ticketId: string, token: string): Promise<{ code?: string; message: string }> {
  const socket = io(stack.url, {
    path: "/socket.io",
    auth: { ticketId, token },
    transports: ["websocket"],
    reconnection: false,
  });
  return new Promise((resolve) => {
    socket.on("connect", () => {
      socket.close();
      resolve({ message: "connected" });
    });
    socket.on("connect_error", (err: Error & { data?: { code?: string } }) => {
      socket.close();
      resolve({ code: err.data?.code, message: err.message });
    });
  });
}

describe("ticket tokens", () => {
  it("a valid token opens its own ticket over HTTP and the socket (the baseline)", async () => {
    const ok = await readTicket(mine.ticketId, mine.token);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ticketId: mine.ticketId, status: "QUEUED" });
    expect(await handshake(mine.ticketId, mine.token)).toEqual({ message: "connected" });

    // A token we sign ourselves with the server's secret is as good: the test's signer matches.
    const resigned = await sign({ ticketId: mine.ticketId, eventId: mine.eventId, userId: "me" });
    expect((await readTicket(mine.ticketId, resigned)).status).toBe(200);
  });

  const refused: [string, () => Promise<string>, RegExp][] = [
    [
      "forged (signed with another secret)",
      () =>
        sign(
          { ticketId: mine.ticketId, eventId: mine.eventId, userId: "me" },
          { secret: "not-the-servers-secret-0123456789abcdef" },
        ),
      /not valid/,
    ],
    [
      "expired",
      () =>
        sign(
          { ticketId: mine.ticketId, eventId: mine.eventId, userId: "me" },
          {
            issuedAt: Math.floor(Date.now() / 1000) - 7200,
            expiresAt: Math.floor(Date.now() / 1000) - 3600,
          },
        ),
      /expired/,
    ],
    ["another ticket's", async () => theirs.token, /another ticket/],
    [
      "for another audience",
      () =>
        sign(
          { ticketId: mine.ticketId, eventId: mine.eventId, userId: "me" },
          { audience: "dropqueue:admin" },
        ),
      /not valid/,
    ],
    [
      "unsigned (alg none)",
      async () => {
        const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
        const exp = Math.floor(Date.now() / 1000) + 3600;
        return `${part({ alg: "none" })}.${part({ sub: mine.ticketId, eid: mine.eventId, uid: "me", aud: AUDIENCE, exp })}.`;
      },
      /not valid/,
    ],
    ["garbage", async () => "not-a-token", /not valid/],
  ];

  for (const [name, token, message] of refused) {
    it(`refuses a ${name} token on GET /api/tickets/:id and on the socket handshake`, async () => {
      const value = await token();
      const res = await readTicket(mine.ticketId, value);
      expect(res.status, JSON.stringify(res.body)).toBe(401);
      expect(res.body).toEqual({ error: { code: "UNAUTHORIZED", message: expect.stringMatching(message) } });

      const socket = await handshake(mine.ticketId, value);
      expect(socket.code).toBe("UNAUTHORIZED");
      expect(socket.message).toMatch(message);
    });
  }

  it("refuses a socket whose token does not match the ticket it names", async () => {
    // A valid token, presented for a ticket it was not issued for.
    expect((await handshake(theirs.ticketId, mine.token)).code).toBe("UNAUTHORIZED");
    expect((await handshake(mine.ticketId, "")).code).toBe("UNAUTHORIZED");
  });
});
