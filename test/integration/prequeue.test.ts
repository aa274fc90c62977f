// The scheduled lifecycle as a shopper lives it: joiners before `startsAt` wait in the
// pre-queue, the event goes LIVE by itself at `startsAt` and places them in a random
// order ahead of everyone after, and ENDS by itself at `endsAt`, ending whoever still
// waits with SALE_ENDED. Also: an admin pause holds admission, resume releases it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys } from "../../src/redis/keys.js";
import { ADMIN_TOKEN, eventually, liveEvent, startTestStack, type TestStack } from "../support/app.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ workerPools: 1 });
});
afterAll(() => stack.close());

const json = { "content-type": "application/json" };
const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, ...json };

interface Joined {
  ticketId: string;
  token: string;
  status: string;
  position?: number;
}

async function join(eventId: string, userId: string): Promise<{ status: number; body: Joined }> {
  const res = await fetch(`${stack.url}/api/events/${eventId}/tickets`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ userId, sku: "A" }),
  });
  return { status: res.status, body: (await res.json()) as Joined };
}

async function ticket(t: Joined): Promise<{ status: string; reason?: string }> {
  const res = await fetch(`${stack.url}/api/tickets/${t.ticketId}`, {
    headers: { authorization: `Bearer ${t.token}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { status: string; reason?: string };
}

async function eventStatus(eventId: string): Promise<string> {
  const res = await fetch(`${stack.url}/api/events/${eventId}`);
  return ((await res.json()) as { status: string }).status;
}

const seqOf = async (eventId: string, t: Joined) =>
  Number(await stack.deps.redis.hget(keys.ticket(eventId, t.ticketId), "seq"));

describe("a scheduled event", () => {
  it("pre-queues, goes LIVE at startsAt with the pre-queue shuffled ahead, and ends at endsAt", async () => {
    const PREQUEUED = 40;
    const startsAt = Date.now() + 3_000;
    const endsAt = startsAt + 4_000;
    const res = await fetch(`${stack.url}/api/admin/events`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({
        name: "Midnight drop",
        startsAt: new Date(startsAt).toISOString(),
        endsAt: new Date(endsAt).toISOString(),
        admissionRate: 1, // slow enough that most are still waiting at the end
        products: [{ sku: "A", name: "Sneaker", priceCents: 12000, stock: 1000 }],
      }),
    });
    expect(res.status).toBe(201);
    const event = (await res.json()) as { id: string; status: string };
    expect(event.status).toBe("SCHEDULED");

    // Before the start: everyone waits in the pre-queue, which keeps the join order.
    const answers = await Promise.all(
      Array.from({ length: PREQUEUED }, (_, i) => join(event.id, `early-${i}`)),
    );
    const joinOrder = await stack.deps.redis.lrange(keys.prequeue(event.id), 0, -1);
    expect(Date.now()).toBeLessThan(startsAt); // the test itself was on time
    for (const joined of answers) {
      expect(joined.status, JSON.stringify(joined.body)).toBe(202);
      expect(joined.body.status).toBe("PREQUEUE");
    }
    const byId = new Map(answers.map((a) => [a.body.ticketId, a.body]));
    expect(joinOrder).toHaveLength(PREQUEUED);
    const early = joinOrder.map((id) => byId.get(id) as Joined);
    expect(await eventStatus(event.id)).toBe("SCHEDULED");
    expect((await ticket(early[0] as Joined)).status).toBe("PREQUEUE");

    // The start, by itself and on time.
    await eventually(async () => (await eventStatus(event.id)) === "LIVE", 10_000);
    const liveSeenAt = Date.now();
    expect(liveSeenAt).toBeGreaterThanOrEqual(startsAt);
    expect(liveSeenAt).toBeLessThan(startsAt + 2_000);
    const row = await stack.deps.prisma.event.findUniqueOrThrow({ where: { id: event.id } });
    expect(row.firstLiveAt?.getTime()).toBeGreaterThanOrEqual(startsAt - 1_000);

    const late: Joined[] = [];
    for (let i = 0; i < 10; i++) {
      const joined = await join(event.id, `late-${i}`);
      expect(joined.status, JSON.stringify(joined.body)).toBe(202);
      expect(joined.body.status).toBe("QUEUED");
      late.push(joined.body);
    }

    // Every pre-queue ticket is placed before every later one, in a random order.
    const earlySeqs = await Promise.all(early.map((t) => seqOf(event.id, t)));
    const lateSeqs = await Promise.all(late.map((t) => seqOf(event.id, t)));
    expect([...earlySeqs].sort((a, b) => a - b)).toEqual(Array.from({ length: PREQUEUED }, (_, i) => i + 1));
    expect(Math.min(...lateSeqs)).toBeGreaterThan(Math.max(...earlySeqs));
    expect(lateSeqs).toEqual([...lateSeqs].sort((a, b) => a - b)); // after the start: join order
    // A uniform shuffle of 40 is the identity with probability 1/40!.
    expect(earlySeqs).not.toEqual(Array.from({ length: PREQUEUED }, (_, i) => i + 1));

    // The end, by itself and on time: whoever still waits ends SALE_ENDED.
    await eventually(async () => (await eventStatus(event.id)) === "ENDED", 12_000);
    expect(Date.now()).toBeGreaterThanOrEqual(endsAt);
    // Purchases in flight at the end finish on their own.
    const outcomes = await eventually(async () => {
      const all = await Promise.all([...early, ...late].map(ticket));
      return all.every((o) => o.status !== "PROCESSING") && all;
    });
    for (const outcome of outcomes) {
      expect(["CONFIRMED", "REJECTED"]).toContain(outcome.status);
      if (outcome.status === "REJECTED") expect(outcome.reason).toBe("SALE_ENDED");
    }
    const ended = outcomes.filter((o) => o.reason === "SALE_ENDED").length;
    expect(ended).toBeGreaterThanOrEqual(30); // at 1 per second, only a few got their turn
    expect(Number(await stack.deps.redis.hget(keys.stats(event.id), "rejected:SALE_ENDED"))).toBe(ended);

    const after = await join(event.id, "too-late");
    expect(after.status).toBe(409);
    expect((after.body as unknown as { error: { code: string } }).error.code).toBe("SALE_NOT_OPEN");
  });
});

describe("admin pause and resume", () => {
  it("holds every ticket QUEUED while PAUSED, and releases them on resume", async () => {
    const event = await liveEvent(stack.deps, {
      products: [{ sku: "A", name: "Sneaker", priceCents: 12000, stock: 100 }],
    });
    const pause = await fetch(`${stack.url}/api/admin/events/${event.id}/pause`, {
      method: "POST",
      headers: admin,
    });
    expect(pause.status).toBe(200);
    expect(((await pause.json()) as { status: string }).status).toBe("PAUSED");

    // Joins are still accepted while paused.
    const joined: Joined[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await join(event.id, `held-${i}`);
      expect(res.status).toBe(202);
      expect(res.body.status).toBe("QUEUED");
      joined.push(res.body);
    }

    // Nobody leaves QUEUED while paused: look several times over a while.
    for (let look = 0; look < 6; look++) {
      await new Promise((r) => setTimeout(r, 250));
      const statuses = await Promise.all(
        joined.map((t) => stack.deps.redis.hget(keys.ticket(event.id, t.ticketId), "status")),
      );
      expect(statuses.every((s) => s === "QUEUED")).toBe(true);
    }
    expect(await stack.deps.redis.hmget(keys.stock(event.id, "A"), "reserved", "sold")).toEqual(["0", "0"]);

    const resume = await fetch(`${stack.url}/api/admin/events/${event.id}/resume`, {
      method: "POST",
      headers: admin,
    });
    expect(resume.status).toBe(200);
    await eventually(async () => {
      const outcomes = await Promise.all(joined.map(ticket));
      return outcomes.every((o) => o.status === "CONFIRMED");
    }, 15_000);
  });
});
