// Issue 10, defect 4: a QUEUED ticket whose job is gone (removed from BullMQ, or never
// added because the job add failed after the join step) does not block the line: within
// ~15 s it is served or settled, every later ticket gets its outcome, and a sold-out
// event still ends by itself.
import { expect, it } from "vitest";
import type { Deps } from "../../src/deps.js";
import { transition } from "../../src/events/events.service.js";
import { joinQueue } from "../../src/waiting-room/join.service.js";
import { TicketTokens } from "../../src/waiting-room/tokens.js";
import { eventually, liveEvent } from "../support/app.js";
import { allTicketsFinal, deadLinkQueues, join } from "../support/convergence.js";
import { expectInvariants } from "../support/invariants.js";
import { usePrivateStack } from "../support/private-stack.js";

const own = usePrivateStack("conv_lost_jobs", {
  workerPools: 1,
  env: { SOLD_OUT_END_AFTER_SECONDS: "1" },
  maintenance: { tickMs: 300 },
});

const STOCK = 5;
const SHOPPERS = 10;

/** A paused sale (joins taken, nobody admitted) with a first ticket that `lose` leaves without its job. */
async function lineWithLostFirstJob(deps: Deps, url: string, lose: (eventId: string) => Promise<string>) {
  const event = await liveEvent(deps, {
    products: [{ sku: "A", name: "Seat", priceCents: 900, stock: STOCK }],
  });
  await transition(deps, event.id, "pause");
  const first = await lose(event.id);
  for (let i = 1; i < SHOPPERS; i++) expect((await join(url, event.id, `later-${i}`)).status).toBe(202);
  expect(await deps.queues.get(event.id).getJob(first)).toBeUndefined();
  await transition(deps, event.id, "resume");
  return { eventId: event.id, first };
}

async function expectLineMoves(deps: Deps, eventId: string, first: string) {
  const resumed = Date.now();
  try {
    await allTicketsFinal(deps, eventId, 15_000);
  } finally {
    const rows = await deps.prisma.ticket.findMany({ where: { eventId }, orderBy: { seq: "asc" } });
    console.log(
      `${Date.now() - resumed} ms after the resume: first ticket ${rows.find((r) => r.id === first)?.status}; ` +
        `all ${JSON.stringify(rows.map((r) => r.status))}`,
    );
  }
  expect(await deps.prisma.order.count({ where: { eventId, status: "CONFIRMED" } })).toBe(STOCK);
  // Sold out with nobody waiting: it ends by itself (SOLD_OUT_END_AFTER_SECONDS=1 here).
  await eventually(
    async () => (await deps.prisma.event.findUniqueOrThrow({ where: { id: eventId } })).status === "ENDED",
    10_000,
  );
  await expectInvariants(deps, eventId);
}

it("a QUEUED ticket whose BullMQ job was removed is served or settled, and the line behind it moves", async () => {
  const { deps, url } = own.stack;
  const { eventId, first } = await lineWithLostFirstJob(deps, url, async (eventId) => {
    const joined = await join(url, eventId, "first-in-line");
    expect(joined.status).toBe(202);
    await deps.queues.get(eventId).remove(joined.body.ticketId);
    return joined.body.ticketId;
  });
  await expectLineMoves(deps, eventId, first);
});

it("a join whose job add failed after the join step leaves no ticket blocking the line", async () => {
  const { deps, url } = own.stack;
  const tokens = new TicketTokens(deps.config.tokenSecret, deps.config.ticketTokenTtlSeconds);
  const queues = await deadLinkQueues(deps);
  try {
    const { eventId, first } = await lineWithLostFirstJob(deps, url, async (eventId) => {
      const answer = await joinQueue({ ...deps, queues }, tokens, eventId, {
        userId: "first-in-line",
        sku: "A",
        quantity: 1,
      }).catch((err: unknown) => err);
      console.log(
        `join with the job add failing answered: ${String(answer instanceof Error ? answer.message : "ok")}`,
      );
      const row = await deps.prisma.ticket.findFirstOrThrow({ where: { eventId, userId: "first-in-line" } });
      return row.id;
    });
    await expectLineMoves(deps, eventId, first);
  } finally {
    queues.dispose();
  }
});
