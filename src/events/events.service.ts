// The admin side of a sale event: create it with its products and stock, read it with
// live counters, and move it through its lifecycle. PostgreSQL is written first (the
// durable truth), then Redis (what the Lua steps read).
import { randomBytes, randomInt } from "node:crypto";
import type { Prisma } from "@prisma/client";
import type { Deps } from "../deps.js";
import { AppError, luaError, notFound } from "../errors.js";
import { keys } from "../redis/keys.js";
import { endSale as endSaleStep, startSale } from "../redis/steps.js";
import type { CreateEventInput, EventStatus, EventView, ProductView } from "./event.schemas.js";
import { readStock, setEventStatus, writeNewEventState } from "./event-state.js";
import { scheduleLifecycle } from "./lifecycle-jobs.js";

export type LifecycleAction = "start" | "pause" | "resume" | "stop";

/** Which states each admin action may leave from, and where it goes. */
export const TRANSITIONS: Record<LifecycleAction, { from: EventStatus[]; to: EventStatus }> = {
  start: { from: ["DRAFT", "SCHEDULED"], to: "LIVE" },
  pause: { from: ["LIVE"], to: "PAUSED" },
  resume: { from: ["PAUSED"], to: "LIVE" },
  stop: { from: ["DRAFT", "SCHEDULED", "LIVE", "PAUSED"], to: "ENDED" },
};

const eventWithProducts = { products: { orderBy: { sku: "asc" } } } as const;
type EventRow = Prisma.EventGetPayload<{ include: typeof eventWithProducts }>;

export const newEventId = () => `ev_${randomBytes(9).toString("base64url")}`;

export async function createEvent(deps: Deps, input: CreateEventInput): Promise<EventView> {
  const id = newEventId();
  const startsAt = input.startsAt ? new Date(input.startsAt) : null;
  const status: EventStatus = startsAt && startsAt.getTime() > Date.now() ? "SCHEDULED" : "DRAFT";
  const row = await deps.prisma.$transaction(async (tx) => {
    const event = await tx.event.create({
      data: {
        id,
        name: input.name,
        status,
        startsAt,
        endsAt: input.endsAt ? new Date(input.endsAt) : null,
        admissionRate: input.admissionRate ?? deps.config.defaults.admissionRate,
        perUserLimit: input.perUserLimit ?? 1,
        paymentFailureRate: input.paymentFailureRate ?? 0,
        waitingCapacity: input.waitingCapacity ?? null,
        requireIdentity: input.requireIdentity ?? false,
        powDifficulty: input.powDifficulty ?? 0,
        products: {
          create: input.products.map((p) => ({
            sku: p.sku,
            name: p.name,
            priceCents: p.priceCents,
            total: p.stock,
            perUserLimit: p.perUserLimit ?? null,
          })),
        },
      },
      include: eventWithProducts,
    });
    await tx.ledgerEntry.createMany({
      data: input.products.map((p) => ({
        eventId: id,
        sku: p.sku,
        reason: "INITIAL" as const,
        quantity: p.stock,
        reference: "create",
      })),
    });
    return event;
  });
  await writeNewEventState(deps.redis, stateOf(deps, row));
  await scheduleLifecycle(deps, row);
  deps.log.info({ eventId: id, status, products: input.products.length }, "event created");
  return toView(deps, row);
}

export async function listEvents(deps: Deps): Promise<EventView[]> {
  const rows = await deps.prisma.event.findMany({
    include: eventWithProducts,
    orderBy: { createdAt: "desc" },
  });
  return Promise.all(rows.map((row) => toView(deps, row)));
}

export async function getEvent(deps: Deps, eventId: string): Promise<EventView> {
  return toView(deps, await loadEventRow(deps, eventId));
}

export async function loadEventRow(deps: Deps, eventId: string): Promise<EventRow> {
  const row = await deps.prisma.event.findUnique({ where: { id: eventId }, include: eventWithProducts });
  if (!row) throw notFound("event", { eventId });
  return row;
}

/** Moves an event along its lifecycle, or answers INVALID_STATE. */
export async function transition(deps: Deps, eventId: string, action: LifecycleAction): Promise<EventView> {
  const { from, to } = TRANSITIONS[action];
  const now = new Date();
  const changed = await deps.prisma.$transaction(async (tx) => {
    const { count } = await tx.event.updateMany({
      where: { id: eventId, status: { in: from } },
      data: { status: to },
    });
    if (count === 0) return false;
    if (to === "LIVE") {
      // The first time it goes LIVE fixes the stock ceiling (see the stock rules).
      await tx.event.updateMany({ where: { id: eventId, firstLiveAt: null }, data: { firstLiveAt: now } });
      await tx.$executeRaw`UPDATE "Product" SET "liveTotal" = "total" WHERE "eventId" = ${eventId} AND "liveTotal" IS NULL`;
    }
    return true;
  });
  if (!changed) {
    const row = await loadEventRow(deps, eventId);
    throw new AppError({
      code: "INVALID_STATE",
      message: `Cannot ${action} an event that is ${row.status}`,
      details: { status: row.status, action, allowedFrom: from },
    });
  }

  const queue = deps.queues.get(eventId);
  switch (action) {
    case "start":
      await openSale(deps, eventId);
      await queue.resume();
      break;
    case "pause":
      await setEventStatus(deps.redis, eventId, "PAUSED");
      await queue.pause();
      break;
    case "resume":
      await setEventStatus(deps.redis, eventId, "LIVE");
      await queue.resume();
      break;
    case "stop":
      await endSale(deps, eventId);
      break;
  }
  deps.log.info({ eventId, action, status: to }, "event transition");
  return getEvent(deps, eventId);
}

/** LIVE in Redis, with the pre-queue shuffled into place and its tickets queued in that order. */
async function openSale(deps: Deps, eventId: string): Promise<void> {
  for (;;) {
    const waiting = await deps.redis.llen(keys.prequeue(eventId));
    // 48-bit integers from the OS's CSPRNG; a few spare for tickets joining meanwhile.
    const randoms = Array.from({ length: waiting + 64 }, () => randomInt(0, 2 ** 48 - 1));
    const reply = await startSale(deps.redis, eventId, randoms);
    if (reply === -8) continue;
    if (typeof reply === "number") throw luaError(reply, { eventId });
    const placed = [];
    for (let i = 0; i + 2 < reply.length; i += 3) {
      placed.push({
        eventId,
        ticketId: String(reply[i]),
        sku: String(reply[i + 1]),
        seq: Number(reply[i + 2]),
      });
    }
    await deps.tickets.recordPlaces(placed);
    await deps.queues.addBulk(placed);
    return;
  }
}

async function endSale(deps: Deps, eventId: string): Promise<void> {
  const skus = (await deps.redis.hget(keys.meta(eventId), "skus"))?.split(",") ?? [];
  const reply = await endSaleStep(deps.redis, eventId, skus);
  // Without Redis state (a rebuild will write ENDED from PostgreSQL) nothing is waiting here.
  const ended = [];
  for (let i = 0; typeof reply !== "number" && i + 4 < reply.length; i += 5) {
    ended.push({
      id: String(reply[i]),
      eventId,
      userId: String(reply[i + 1]),
      sku: String(reply[i + 2]),
      quantity: Number(reply[i + 3]),
      seq: Number(reply[i + 4]),
    });
  }
  await deps.tickets.recordSaleEnded(ended);
  // Their tickets are decided; the jobs left in the queue would only find that out.
  await deps.queues.get(eventId).drain(true);
  deps.log.info({ eventId, ended: ended.length }, "sale ended");
}

function effectiveCapacity(deps: Deps, row: EventRow): number {
  return row.waitingCapacity ?? deps.config.defaults.waitingCapacity;
}

function stateOf(deps: Deps, row: EventRow) {
  return {
    id: row.id,
    status: row.status,
    admissionRate: row.admissionRate,
    perUserLimit: row.perUserLimit,
    paymentFailureRate: row.paymentFailureRate,
    waitingCapacity: effectiveCapacity(deps, row),
    stateEpoch: row.stateEpoch,
    products: row.products,
  };
}

async function confirmedUnits(deps: Deps, eventId: string): Promise<Map<string, number>> {
  const rows = await deps.prisma.order.groupBy({
    by: ["sku"],
    where: { eventId, status: "CONFIRMED" },
    _sum: { quantity: true },
  });
  return new Map(rows.map((r) => [r.sku, r._sum.quantity ?? 0]));
}

async function toView(deps: Deps, row: EventRow): Promise<EventView> {
  const counters = await readStock(
    deps.redis,
    row.id,
    row.products.map((p) => p.sku),
  );
  // Without Redis state (lost, or not rebuilt yet) the durable figures: sold from the orders.
  const soldInPostgres = counters.some((c) => c === null) ? await confirmedUnits(deps, row.id) : new Map();
  const products: ProductView[] = row.products.map((p, i) => {
    const live = counters[i];
    const sold = live?.sold ?? soldInPostgres.get(p.sku) ?? 0;
    return {
      sku: p.sku,
      name: p.name,
      priceCents: p.priceCents,
      perUserLimit: p.perUserLimit ?? row.perUserLimit,
      total: live?.total ?? p.total,
      remaining: live?.remaining ?? Math.max(0, p.total - sold),
      reserved: live?.reserved ?? 0,
      sold,
    };
  });
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    startsAt: row.startsAt?.toISOString() ?? null,
    endsAt: row.endsAt?.toISOString() ?? null,
    admissionRate: row.admissionRate,
    perUserLimit: row.perUserLimit,
    paymentFailureRate: row.paymentFailureRate,
    waitingCapacity: effectiveCapacity(deps, row),
    firstLiveAt: row.firstLiveAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    products,
  };
}
