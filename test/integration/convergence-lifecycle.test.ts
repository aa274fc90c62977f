// Issue 10, defects 2 and 3: the lifecycle converges.
//  2. Repeating an admin action that already took effect answers 2xx with the event as it
//     is; a start or stop whose Redis side failed (Redis cut for the call) can be sent again,
//     and even without a repeat the background loop brings Redis in line within ~10 s.
//  3. Stopping a sale strands no purchase that holds a reservation: each ends with a final
//     outcome within 30 s of the stop, and nothing stays reserved.
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { Deps } from "../../src/deps.js";
import type { CreateEventInput } from "../../src/events/event.schemas.js";
import { transition } from "../../src/events/events.service.js";
import {
  type PaymentRequest,
  type PaymentResult,
  type PaymentStep,
  type RefundRequest,
  type RefundResult,
  SimulatedPayment,
} from "../../src/purchase/payment.js";
import { keys } from "../../src/redis/keys.js";
import { eventually, liveEvent } from "../support/app.js";
import {
  admin,
  allTicketsFinal,
  deadLinkQueues,
  join,
  stockOf,
  withRedisCut,
} from "../support/convergence.js";
import { expectInvariants } from "../support/invariants.js";
import { useProxiedStack } from "../support/private-stack.js";

/**
 * A provider that is slow, and whose first call for each purchase fails on a transient
 * fault (a timeout): every purchase sits reserved for a while, first in payment, then in
 * its retry's backoff.
 */
class FlakyPayment implements PaymentStep {
  readonly #seen = new Set<string>();
  readonly #inner = new SimulatedPayment(300);

  async charge(request: PaymentRequest): Promise<PaymentResult> {
    if (!this.#seen.has(request.idempotencyKey)) {
      this.#seen.add(request.idempotencyKey);
      await sleep(300);
      throw new Error("payment provider timed out");
    }
    return this.#inner.charge(request);
  }

  refund(request: RefundRequest): Promise<RefundResult> {
    return this.#inner.refund(request);
  }
}

const own = useProxiedStack("conv_lifecycle", {
  workerPools: 2,
  concurrency: 8,
  payment: new FlakyPayment(),
  // Retries wait 1–3 s: a stop finds purchases reserved and waiting for their retry.
  env: { PURCHASE_BACKOFF_MS: "1500" },
  maintenance: { tickMs: 300 },
});

const product = (stock: number) => ({ sku: "A", name: "Seat", priceCents: 2500, stock });

async function scheduledWithPrequeue(deps: Deps, url: string, joins: number, stock = 10) {
  const startsAt = new Date(Date.now() + 3_600_000).toISOString();
  const event = await liveEvent(
    deps,
    { startsAt, products: [product(stock)] } as Partial<CreateEventInput> &
      Pick<CreateEventInput, "products">,
    {
      start: false,
    },
  );
  expect(event.status).toBe("SCHEDULED");
  for (let i = 0; i < joins; i++) {
    const res = await join(url, event.id, `early-${i}`);
    expect(res.status).toBe(202);
    expect(res.body.status).toBe("PREQUEUE");
  }
  return event;
}

/** A LIVE sale with a line: `joins` tickets waiting at 2 admissions a second. */
async function liveWithLine(deps: Deps, url: string, joins: number) {
  const event = await liveEvent(deps, { admissionRate: 2, products: [product(joins)] });
  for (let i = 0; i < joins; i++) expect((await join(url, event.id, `fan-${i}`)).status).toBe(202);
  return event;
}

describe("2. admin actions are idempotent and converge", () => {
  it("repeating an action that already took effect answers 2xx with the event as it is", async () => {
    const { url } = own.stack;
    const created = await admin<{ id: string; status: string }>(url, "POST", "/events", {
      name: "Repeat me",
      admissionRate: 100,
      products: [product(5)],
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const seen: string[] = [];
    for (const [action, status] of [
      ["start", "LIVE"],
      ["pause", "PAUSED"],
      ["resume", "LIVE"],
      ["stop", "ENDED"],
    ] as const) {
      const once = await admin<{ status: string }>(url, "POST", `/events/${id}/${action}`);
      expect(once.status, `${action}: ${JSON.stringify(once.body)}`).toBe(200);
      const twice = await admin<{ status: string; error?: { code: string } }>(
        url,
        "POST",
        `/events/${id}/${action}`,
      );
      seen.push(`${action} again → ${twice.status} ${twice.body.error?.code ?? twice.body.status}`);
      // Back to where the next step starts from (a repeated resume must not have undone it, etc.).
      if (twice.status !== 200) continue;
      expect.soft(twice.body.status, `${action} repeated`).toBe(status);
    }
    console.log(seen.join("; "));
    expect(seen).toEqual([
      "start again → 200 LIVE",
      "pause again → 200 PAUSED",
      "resume again → 200 LIVE",
      "stop again → 200 ENDED",
    ]);
  });

  it("a start whose Redis side failed can be sent again: 2xx, and every pre-queue ticket gets its outcome", async () => {
    const { deps, url } = own.stack;
    const event = await scheduledWithPrequeue(deps, url, 15);
    const lost = await withRedisCut(own.proxy, () => transition(own.throughProxy, event.id, "start"));
    console.log(
      `start with Redis cut: ${lost.ok ? "answered" : `failed (${String((lost as { error: unknown }).error)})`}`,
    );

    const again = await admin<{ status: string; code?: string }>(url, "POST", `/events/${event.id}/start`);
    console.log(`start again: ${again.status} ${JSON.stringify(again.body).slice(0, 200)}`);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe("LIVE");
    await allTicketsFinal(deps, event.id, 20_000);
    await expectInvariants(deps, event.id);
  });

  it("after a start that queued the pre-queue but lost the jobs, and no repeat, the loop serves the pre-queue", async () => {
    const { deps, url } = own.stack;
    const event = await scheduledWithPrequeue(deps, url, 15);
    // Redis answers the sale's own step, but the job adds go over the cut link (the process
    // died, or lost Redis, between the shuffle and the adds).
    const queues = await deadLinkQueues(deps);
    const lost = await transition({ ...deps, queues }, event.id, "start").then(
      () => ({ ok: true }),
      (error: unknown) => ({ ok: false, error }),
    );
    queues.dispose();
    console.log(
      `start with the job adds cut: ${lost.ok ? "answered" : `failed (${String((lost as { error: unknown }).error)})`}`,
    );
    expect((await deps.prisma.event.findUniqueOrThrow({ where: { id: event.id } })).status).toBe("LIVE");

    const started = Date.now();
    try {
      await allTicketsFinal(deps, event.id, 20_000);
    } finally {
      const byStatus = await deps.prisma.ticket.groupBy({
        by: ["status"],
        where: { eventId: event.id },
        _count: true,
      });
      console.log(
        `after ${Date.now() - started} ms: ${JSON.stringify(byStatus.map((s) => [s.status, s._count]))}`,
      );
    }
    await expectInvariants(deps, event.id);
  });

  it("after a start whose Redis side failed and no repeat, within ~10 s Redis is LIVE and the pre-queue is served", async () => {
    const { deps, url } = own.stack;
    const event = await scheduledWithPrequeue(deps, url, 15);
    await withRedisCut(own.proxy, () => transition(own.throughProxy, event.id, "start"));
    expect((await deps.prisma.event.findUniqueOrThrow({ where: { id: event.id } })).status).toBe("LIVE");
    try {
      await eventually(async () => (await deps.redis.hget(keys.meta(event.id), "status")) === "LIVE", 10_000);
    } finally {
      console.log(
        `Redis status after a failed start: ${await deps.redis.hget(keys.meta(event.id), "status")}`,
      );
    }
    await allTicketsFinal(deps, event.id, 20_000);
    await expectInvariants(deps, event.id);
  });

  it("a stop whose Redis side failed can be sent again: 2xx ENDED, joins refused, every ticket settled", async () => {
    const { deps, url } = own.stack;
    const event = await liveWithLine(deps, url, 20);
    const lost = await withRedisCut(own.proxy, () => transition(own.throughProxy, event.id, "stop"));
    console.log(
      `stop with Redis cut: ${lost.ok ? "answered" : `failed (${String((lost as { error: unknown }).error)})`}`,
    );

    const again = await admin<{ status: string; code?: string }>(url, "POST", `/events/${event.id}/stop`);
    console.log(`stop again: ${again.status} ${JSON.stringify(again.body).slice(0, 200)}`);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe("ENDED");
    const late = await join(url, event.id, "late-comer");
    expect(late.status).toBe(409);
    expect((late.body as unknown as { error: { code: string } }).error.code).toBe("SALE_NOT_OPEN");
    await allTicketsFinal(deps, event.id, 30_000);
    await expectInvariants(deps, event.id);
  });

  it("after a stop whose Redis side failed and no repeat, within ~10 s Redis says ENDED and admits nobody", async () => {
    const { deps, url } = own.stack;
    const event = await liveWithLine(deps, url, 20);
    await withRedisCut(own.proxy, () => transition(own.throughProxy, event.id, "stop"));
    expect((await deps.prisma.event.findUniqueOrThrow({ where: { id: event.id } })).status).toBe("ENDED");

    const started = Date.now();
    let lastJoin = 0;
    try {
      await eventually(async () => {
        const res = await join(url, event.id, `late-${lastJoin++}`);
        return (
          res.status === 409 &&
          (res.body as unknown as { error?: { code: string } }).error?.code === "SALE_NOT_OPEN"
        );
      }, 10_000);
    } finally {
      const admitted = await deps.prisma.order.count({
        where: { eventId: event.id, createdAt: { gt: new Date(started) } },
      });
      console.log(
        `after a failed stop: Redis status ${await deps.redis.hget(keys.meta(event.id), "status")}, ` +
          `${lastJoin} late joins tried, ${admitted} orders placed after the stop`,
      );
    }
    expect(await deps.redis.hget(keys.meta(event.id), "status")).toBe("ENDED");
    await allTicketsFinal(deps, event.id, 30_000);
    await expectInvariants(deps, event.id);
  });
});

describe("3. a stop strands no reserved purchase", () => {
  it("purchases in payment or in a retry's backoff at the stop all end within 30 s, nothing left reserved", async () => {
    const { deps, url } = own.stack;
    const total = 100;
    const event = await liveEvent(deps, { admissionRate: 200, products: [product(total)] });
    for (let i = 0; i < 60; i++) expect((await join(url, event.id, `buyer-${i}`)).status).toBe(202);
    await eventually(async () => (await stockOf(deps, event.id)).reserved >= 20, 15_000);
    const atStop = await stockOf(deps, event.id);

    const stopped = await admin(url, "POST", `/events/${event.id}/stop`);
    expect(stopped.status).toBe(200);
    const stopAt = Date.now();
    try {
      await allTicketsFinal(deps, event.id, 30_000);
      await eventually(
        async () => (await stockOf(deps, event.id)).reserved === 0,
        Math.max(1, 30_000 - (Date.now() - stopAt)),
      );
    } finally {
      const byStatus = await deps.prisma.ticket.groupBy({
        by: ["status"],
        where: { eventId: event.id },
        _count: true,
      });
      console.log(
        `at the stop ${JSON.stringify(atStop)}; ${Date.now() - stopAt} ms later ${JSON.stringify(await stockOf(deps, event.id))}, ` +
          `tickets ${JSON.stringify(byStatus.map((s) => [s.status, s._count]))}`,
      );
    }
    const end = await stockOf(deps, event.id);
    expect(end.remaining + end.reserved + end.sold).toBe(total);
    expect(end.reserved).toBe(0);
    await expectInvariants(deps, event.id);
  });
});
