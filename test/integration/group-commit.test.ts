// A group commit writes many callers' items in one statement; one item the database refuses
// must fail only its own caller, never the others of its batch. Real PostgreSQL and Redis;
// every test makes its own ids.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createPrisma, type PrismaClient } from "../../src/db/client.js";
import { isConnectionFault } from "../../src/db/faults.js";
import { GroupCommit } from "../../src/db/group-commit.js";
import { PurchaseQueues } from "../../src/purchase/jobs.js";
import { OrderStore, type OrderToPlace } from "../../src/purchase/order-store.js";
import { toOrderView } from "../../src/purchase/order-view.js";
import { type TicketOutcome, TicketStore } from "../../src/waiting-room/ticket-store.js";

const databaseUrl = inject("databaseUrl");
let prisma: PrismaClient;

beforeAll(() => {
  prisma = createPrisma(databaseUrl, { max: 4 });
});

afterAll(async () => {
  await prisma.$disconnect();
});

async function createEvent(): Promise<string> {
  const eventId = `ev-${randomUUID()}`;
  await prisma.event.create({ data: { id: eventId, name: "group commit test", admissionRate: 10 } });
  return eventId;
}

function order(eventId: string, fields: Partial<OrderToPlace> = {}): OrderToPlace {
  return {
    id: `ord-${randomUUID()}`,
    eventId,
    ticketId: `t-${randomUUID()}`,
    sku: "A",
    userId: `u-${randomUUID()}`,
    qty: 1,
    amountCents: 9_900,
    status: "CONFIRMED",
    reason: null,
    epoch: 0,
    ...fields,
  };
}

/** Settles every promise; the outcomes in order ("fulfilled" | "rejected"). */
async function outcomes(promises: Promise<unknown>[]): Promise<string[]> {
  return (await Promise.allSettled(promises)).map((r) => r.status);
}

describe("order amounts", () => {
  it("an order above 2^31 cents commits with its exact amount, in the same group commit as other events' orders", async () => {
    const store = new OrderStore(prisma);
    const [big, other1, other2] = await Promise.all([createEvent(), createEvent(), createEvent()]);
    // The highest amount the door lets in: price 1e8 cents × quantity 1,000.
    const bigOrder = order(big, { qty: 1_000, amountCents: 100_000_000 * 1_000 });
    const others = [order(other1), order(other2), order(other1, { qty: 3, amountCents: 29_700 })];
    // The first place() is written alone; everything placed while it is in flight goes in one batch.
    const first = store.place(order(other2));
    const batch = [bigOrder, ...others].map((o) => store.place(o));
    expect(await outcomes([first, ...batch])).toEqual(Array(5).fill("fulfilled"));

    const written = await prisma.order.findMany({
      where: { id: { in: [bigOrder, ...others].map((o) => o.id) } },
    });
    expect(written).toHaveLength(4);
    const stored = written.find((o) => o.id === bigOrder.id);
    expect(stored && toOrderView(stored).amountCents).toBe(100_000_000_000);
    // JSON answers carry a number, not a string or a BigInt that JSON.stringify refuses.
    expect(JSON.parse(JSON.stringify(stored && toOrderView(stored))).amountCents).toBe(100_000_000_000);
  });
});

describe("a group commit with one bad item", () => {
  it("fails only that item's caller (the writer is retried in smaller groups)", async () => {
    const writes: number[][] = [];
    const commit = new GroupCommit<number, number>(async (items) => {
      writes.push(items);
      if (items.includes(13)) throw new Error("13 is refused");
      return items.map((i) => i * 2);
    });
    const first = commit.add(0);
    const rest = Array.from({ length: 40 }, (_, i) => commit.add(i + 1));
    const settled = await Promise.allSettled([first, ...rest]);
    settled.forEach((r, i) => {
      if (i === 13) expect(r).toMatchObject({ status: "rejected", reason: { message: "13 is refused" } });
      else expect(r).toEqual({ status: "fulfilled", value: i * 2 });
    });
    // Bisected, not replayed one by one: a handful of writes, not forty.
    expect(writes.length).toBeLessThan(20);
  });

  it("orders: a row that violates a constraint fails alone, the good ones of its batch commit", async () => {
    const store = new OrderStore(prisma);
    const [a, b] = await Promise.all([createEvent(), createEvent()]);
    const good = [order(a), order(b), order(a), order(b)];
    const bad = order(a, { qty: 0 }); // Order_quantity_check
    const first = store.place(order(b));
    const placed = [good[0], good[1], bad, good[2], good[3]].map((o) => store.place(o as OrderToPlace));
    expect(await outcomes([first, ...placed])).toEqual([
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
    expect(await prisma.order.count({ where: { id: { in: good.map((o) => o.id) } } })).toBe(4);
    expect(await prisma.order.count({ where: { id: bad.id } })).toBe(0);
  });

  it("ticket joins and outcomes: a bad row fails alone", async () => {
    const store = new TicketStore(prisma);
    const eventId = await createEvent();
    const row = (quantity: number) => ({
      id: `t-${randomUUID()}`,
      eventId,
      sku: "A",
      userId: `u-${randomUUID()}`,
      quantity,
      seq: 1,
      status: "QUEUED" as const,
    });
    const rows = [row(1), row(1), row(0), row(2), row(1)]; // quantity 0: Ticket_quantity_positive
    const first = store.recordJoin(row(1));
    const joins = rows.map((r) => store.recordJoin(r));
    expect(await outcomes([first, ...joins])).toEqual([
      "fulfilled",
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
    const good = rows.filter((r) => r.quantity > 0);
    expect(await prisma.ticket.count({ where: { id: { in: rows.map((r) => r.id) } } })).toBe(good.length);

    const told = (ticketId: string, status: string): TicketOutcome =>
      ({ ticketId, status, reason: "SOLD_OUT" }) as TicketOutcome;
    const firstOutcome = store.recordOutcome(told(`t-${randomUUID()}`, "REJECTED"));
    const written = [
      store.recordOutcome(told(good[0]?.id ?? "", "REJECTED")),
      store.recordOutcome(told(good[1]?.id ?? "", "NOT_A_STATUS")), // refused by the enum cast
      store.recordOutcome(told(good[2]?.id ?? "", "REJECTED")),
    ];
    expect(await outcomes([firstOutcome, ...written])).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    const after = await prisma.ticket.findMany({ where: { id: { in: good.map((r) => r.id) } } });
    const status = (id?: string) => after.find((t) => t.id === id)?.status;
    expect([status(good[0]?.id), status(good[1]?.id), status(good[2]?.id)]).toEqual([
      "REJECTED",
      "QUEUED",
      "REJECTED",
    ]);
  });

  it("job adds: a bad job fails alone, the others are queued", async () => {
    const redis = new Redis(inject("redisUrl"), { maxRetriesPerRequest: null });
    const queues = new PurchaseQueues(redis, { attempts: 1, backoffMs: 10 });
    try {
      const eventId = `ev-${randomUUID()}`;
      const ticket = (ticketId: string) => ({ eventId, ticketId, sku: "A", seq: 1 });
      const ids = ["t1", "t2", "", "t4"]; // an empty ticket id is refused by the payload schema
      const first = queues.add(ticket("t0"));
      const adds = ids.map((id) => queues.add(ticket(id)));
      expect(await outcomes([first, ...adds])).toEqual([
        "fulfilled",
        "fulfilled",
        "fulfilled",
        "rejected",
        "fulfilled",
      ]);
      const jobs = await queues.get(eventId).getJobs(["waiting", "prioritized"]);
      expect(jobs.map((j) => j.id).sort()).toEqual(["t0", "t1", "t2", "t4"]);
      await queues.get(eventId).obliterate({ force: true });
    } finally {
      await queues.close();
      redis.disconnect();
    }
  });
});

describe("a group commit when the database is away", () => {
  it("fails the whole batch at once: a connection fault is not split", async () => {
    // Nothing listens on port 1: every write is refused, as in an outage.
    const away = createPrisma("postgresql://postgres@127.0.0.1:1/none", { max: 2 });
    try {
      const refused = await away.$executeRaw`SELECT 1`.catch((err: unknown) => err);
      expect(isConnectionFault(refused)).toBe(true);
      const refusedRow = await prisma.$executeRaw`SELECT 1/0`.catch((err: unknown) => err);
      expect(isConnectionFault(refusedRow)).toBe(false);
      // What pg throws, passed on by Prisma as it is, for a connection lost mid-statement.
      expect(isConnectionFault(new Error("Connection terminated unexpectedly"))).toBe(true);

      let writes = 0;
      const commit = new GroupCommit<number>(
        async (items) => {
          writes++;
          await away.$executeRaw`SELECT ${items.length}::int`;
        },
        { isBatchFault: isConnectionFault },
      );
      const first = commit.add(0);
      const rest = Array.from({ length: 30 }, (_, i) => commit.add(i + 1));
      expect(new Set(await outcomes([first, ...rest]))).toEqual(new Set(["rejected"]));
      expect(writes).toBe(2);
    } finally {
      await away.$disconnect();
    }
  });
});
