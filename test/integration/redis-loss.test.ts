// Redis loses everything mid-sale (FLUSHALL on a private redis-server): nothing is
// admitted until the event's state is rebuilt from PostgreSQL, then the sale finishes
// with nothing oversold, nothing confirmed forgotten, and one outcome per ticket.
import { io, type Socket } from "socket.io-client";
import { expect, it } from "vitest";
import { transition } from "../../src/events/events.service.js";
import type { ServerToClientEvents } from "../../src/realtime/events.js";
import { keys } from "../../src/redis/keys.js";
import { eventually, liveEvent } from "../support/app.js";
import { expectInvariants, fireJoins, waitForAllFinal } from "../support/invariants.js";
import { usePrivateStack } from "../support/private-stack.js";

// A database of its own: the rebuild brings back every event with a sale that Redis lacks.
const own = usePrivateStack("redis_loss", {
  workerPools: 2,
  concurrency: 8,
  maintenance: { tickMs: 300 },
});

it("a FLUSHALL mid-sale: rebuilt from PostgreSQL, then the sale finishes with every promise kept", async () => {
  const { deps, url } = own.stack;
  const event = await liveEvent(deps, {
    admissionRate: 25,
    paymentFailureRate: 0.05,
    products: [
      { sku: "A", name: "Sneaker", priceCents: 15000, stock: 60 },
      { sku: "B", name: "Cap", priceCents: 3000, stock: 40 },
    ],
  });
  // Everyone joins first (the line holds while the sale is paused), then the sale runs and
  // Redis is lost mid-way.
  await transition(deps, event.id, "pause");
  const { tickets, statuses } = await fireJoins(url, event.id, 500, (i) => `fan-${i}`, {
    sku: (i) => (i % 3 === 0 ? "B" : "A"),
  });
  // Accepted, or SOLD_OUT at the door once nothing is left nor in flight.
  expect([...statuses.keys()].every((status) => status === 202 || status === 409)).toBe(true);
  expect(tickets.length).toBe(500);

  // Every shopper listens; each must get exactly one ticket:result, the one PostgreSQL keeps.
  const results = new Map<string, { status: string; count: number }>();
  const sockets: Socket<ServerToClientEvents>[] = tickets.map(({ ticketId, token }) => {
    const socket: Socket<ServerToClientEvents> = io(url, {
      path: "/socket.io",
      auth: { ticketId, token },
      transports: ["websocket"],
    });
    socket.on("ticket:result", (r) => {
      const seen = results.get(ticketId);
      results.set(ticketId, { status: r.status, count: (seen?.count ?? 0) + 1 });
    });
    return socket;
  });

  await transition(deps, event.id, "resume");
  const confirmedOrders = () =>
    deps.prisma.order.count({ where: { eventId: event.id, status: "CONFIRMED" } });
  await eventually(async () => (await confirmedOrders()) >= 15);
  const confirmedAtFlush = await confirmedOrders();
  await deps.redis.flushall();

  // Nothing is admitted without the event's state; the maintenance job brings it back.
  expect(await deps.redis.hget(keys.meta(event.id), "status")).toBeNull();
  const epoch = await eventually(async () => deps.redis.hget(keys.meta(event.id), "epoch"), 20_000);
  expect(Number(epoch)).toBeGreaterThan(0);
  expect((await deps.prisma.event.findUniqueOrThrow({ where: { id: event.id } })).stateEpoch).toBe(
    Number(epoch),
  );

  await waitForAllFinal(deps, event.id, 45_000);
  await eventually(async () => results.size === tickets.length, 15_000);
  for (const s of sockets) s.close();

  await expectInvariants(deps, event.id);
  expect(await confirmedOrders()).toBe(100);
  expect(confirmedAtFlush).toBeLessThan(100);
  // One outcome per ticket, and the one PostgreSQL holds.
  const rows = await deps.prisma.ticket.findMany({
    where: { eventId: event.id },
    select: { id: true, status: true },
  });
  for (const row of rows) expect(results.get(row.id)).toEqual({ status: row.status, count: 1 });
});
