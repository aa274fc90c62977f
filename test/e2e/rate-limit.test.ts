// Backpressure at the door: a client over RATE_LIMIT_PER_SECOND joins gets 429
// RATE_LIMITED with Retry-After (counted in Redis, so across API processes), and an
// event's waiting room at its capacity answers 503 QUEUE_FULL with Retry-After.
import { randomInt } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiServer, startApiServer } from "../../src/http/api-server.js";
import { API_LIMIT_FACTOR } from "../../src/http/rate-limit.js";
import { liveEvent, startTestStack, type TestStack } from "../support/app.js";

const PER_SECOND = 5;

let stack: TestStack;
let second: ApiServer;
beforeAll(async () => {
  // The test client is a proxy on loopback: its X-Forwarded-For names the client.
  stack = await startTestStack({
    workerPools: 1,
    env: { RATE_LIMIT_PER_SECOND: String(PER_SECOND), TRUST_PROXY: "loopback" },
  });
  // A second API process (as far as HTTP goes) on the same Redis.
  second = await startApiServer(stack.deps, { port: 0, host: "127.0.0.1" });
});
afterAll(async () => {
  await second?.close();
  await stack.close();
});

/** A client address of its own per test (TRUST_PROXY=loopback): counters never carry over. */
const newClient = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

async function call(
  base: string,
  method: string,
  path: string,
  client: string,
  body?: unknown,
): Promise<{ status: number; body: { error?: { code: string; message: string } }; headers: Headers }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { "content-type": "application/json", "x-forwarded-for": client },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

const join = (base: string, eventId: string, client: string, userId: string) =>
  call(base, "POST", `/api/events/${eventId}/tickets`, client, { userId, sku: "A" });

const product = { sku: "A", name: "Sneaker", priceCents: 12000, stock: 1000 };

describe("per-client rate limit", () => {
  it("refuses the 6th and later joins in a second with 429 RATE_LIMITED and Retry-After", async () => {
    const event = await liveEvent(stack.deps, { products: [product] });
    const client = newClient();
    const answers = await Promise.all(
      Array.from({ length: 9 }, (_, i) => join(stack.url, event.id, client, `burst-${i}`)),
    );
    const accepted = answers.filter((a) => a.status === 202);
    const limited = answers.filter((a) => a.status === 429);
    expect(accepted).toHaveLength(PER_SECOND);
    expect(limited).toHaveLength(9 - PER_SECOND);
    for (const res of limited) {
      expect(res.body).toEqual({
        error: {
          code: "RATE_LIMITED",
          message: expect.any(String),
          details: { limit: PER_SECOND, windowSeconds: 1 },
        },
      });
      expect(res.headers.get("retry-after")).toBe("1"); // whole seconds, and the window is one
    }

    // Another client in the same second is not held back by this one.
    expect((await join(stack.url, event.id, newClient(), "someone-else")).status).toBe(202);

    // After Retry-After the client may join again.
    await new Promise((r) => setTimeout(r, 1100));
    expect((await join(stack.url, event.id, client, "later")).status).toBe(202);
  });

  it("counts one client across API processes", async () => {
    const event = await liveEvent(stack.deps, { products: [product] });
    const client = newClient();
    const answers = [];
    for (let i = 0; i < PER_SECOND + 1; i++) {
      // Alternating processes: each sees at most 3 of the 6 requests.
      const base = i % 2 === 0 ? stack.url : second.url;
      answers.push(await join(base, event.id, client, `hop-${i}`));
    }
    expect(answers.slice(0, PER_SECOND).map((a) => a.status)).toEqual(Array(PER_SECOND).fill(202));
    expect(answers[PER_SECOND]?.status).toBe(429);
    expect(answers[PER_SECOND]?.body.error?.code).toBe("RATE_LIMITED");
  });

  it("gives other /api requests a looser limit than joins", async () => {
    const event = await liveEvent(stack.deps, { products: [product] });
    const client = newClient();
    // Twice the join limit of reads in a second: all answered.
    const reads = await Promise.all(
      Array.from({ length: PER_SECOND * 2 }, () => call(stack.url, "GET", `/api/events/${event.id}`, client)),
    );
    expect(reads.map((r) => r.status)).toEqual(Array(PER_SECOND * 2).fill(200));
    // ...but not without end: the looser limit is API_LIMIT_FACTOR times the join limit.
    const more = await Promise.all(
      Array.from({ length: PER_SECOND * API_LIMIT_FACTOR + 1 }, () =>
        call(stack.url, "GET", `/api/events/${event.id}`, client),
      ),
    );
    expect(more.some((r) => r.status === 429)).toBe(true);
    // Operations routes are not rate limited.
    const health = await Promise.all(
      Array.from({ length: PER_SECOND * API_LIMIT_FACTOR * 2 }, () =>
        fetch(`${stack.url}/healthz`, { headers: { "x-forwarded-for": client } }),
      ),
    );
    expect(health.every((r) => r.status === 200)).toBe(true);
  });
});

describe("waiting capacity", () => {
  it("answers 503 QUEUE_FULL with Retry-After once the room holds waitingCapacity tickets", async () => {
    const event = await liveEvent(stack.deps, { waitingCapacity: 2, products: [product] });
    await stack.deps.queues.get(event.id).pause(); // the two stay waiting
    expect((await join(stack.url, event.id, newClient(), "first")).status).toBe(202);
    expect((await join(stack.url, event.id, newClient(), "second")).status).toBe(202);
    const third = await join(stack.url, event.id, newClient(), "third");
    expect(third.status).toBe(503);
    expect(third.body.error).toMatchObject({ code: "QUEUE_FULL", message: expect.any(String) });
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);

    // A waiting shopper asking again still gets their own ticket back.
    expect((await join(stack.url, event.id, newClient(), "first")).status).toBe(200);

    // Room again once a waiting ticket is decided.
    await stack.deps.queues.get(event.id).resume();
    await expect
      .poll(async () => (await join(stack.url, event.id, newClient(), "third")).status, { timeout: 10_000 })
      .toBe(202);
  });
});
