// Issue 10, defect 8: ended events are archived. Once an ENDED event is settled (nothing
// waiting or in flight, every ticket final), within ~15 s no Redis key of it remains (its
// hash tag, BullMQ's queue keys included), it leaves the set of events the loops scan, and
// reads still answer from PostgreSQL.
import { expect, it } from "vitest";
import { keys } from "../../src/redis/keys.js";
import { eventually, liveEvent } from "../support/app.js";
import { admin, allTicketsFinal, buy, call, eventKeys, join } from "../support/convergence.js";
import { usePrivateStack } from "../support/private-stack.js";

const own = usePrivateStack("conv_archive", { workerPools: 1, maintenance: { tickMs: 300 } });

it("a settled ENDED event leaves Redis within ~15 s, and its event and tickets still read from PostgreSQL", async () => {
  const { deps, url } = own.stack;
  const event = await liveEvent(deps, { products: [{ sku: "A", name: "Seat", priceCents: 700, stock: 4 }] });
  const shoppers: { userId: string; ticketId: string; token: string; finalStatus: string }[] = [];
  for (let i = 0; i < 3; i++) shoppers.push(await buy(deps, url, event.id, `fan-${i}`));
  // Two more wait in a paused sale; the stop ends them SALE_ENDED.
  expect((await admin(url, "POST", `/events/${event.id}/pause`)).status).toBe(200);
  for (let i = 3; i < 5; i++) {
    const joined = await join(url, event.id, `fan-${i}`);
    expect(joined.status).toBe(202);
    shoppers.push({ userId: `fan-${i}`, ...joined.body, finalStatus: "REJECTED" });
  }
  const stopped = await admin(url, "POST", `/events/${event.id}/stop`);
  expect(stopped.status).toBe(200);
  await allTicketsFinal(deps, event.id, 10_000);

  const ended = Date.now();
  try {
    await eventually(async () => {
      const left = await eventKeys(deps.redis, event.id);
      const member = await deps.redis.sismember(keys.activeEvents(), event.id);
      return left.length === 0 && member === 0;
    }, 15_000);
  } finally {
    const left = await eventKeys(deps.redis, event.id);
    console.log(
      `${Date.now() - ended} ms after the stop: ${left.length} keys left (${left.slice(0, 8).join(", ")}…), ` +
        `in ${keys.activeEvents()}: ${await deps.redis.sismember(keys.activeEvents(), event.id)}`,
    );
  }

  // Reads answer from PostgreSQL.
  const view = await admin<{
    status: string;
    products: { sku: string; total: number; sold: number; remaining: number }[];
  }>(url, "GET", `/events/${event.id}`);
  expect(view.status).toBe(200);
  expect(view.body.status).toBe("ENDED");
  expect(view.body.products).toEqual([
    expect.objectContaining({ sku: "A", total: 4, sold: 3, remaining: 1 }),
  ]);
  for (const s of shoppers) {
    const ticket = await call<{ status: string }>(url, "GET", `/api/tickets/${s.ticketId}`, {
      token: s.token,
    });
    expect(ticket.status, `ticket of ${s.userId}: ${JSON.stringify(ticket.body)}`).toBe(200);
    expect(ticket.body.status).toBe(s.finalStatus);
  }
});
