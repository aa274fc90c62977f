// The admin side of a sale event: create it with its products and stock, read it with
// live counters, and move it through its lifecycle. PostgreSQL holds the intent and is
// written first, in one statement; Redis is then brought in line by idempotent steps
// (projection.ts, src/recovery/rebuild.ts), which the background loop repeats until they hold.
import { randomBytes } from "node:crypto";
import type { Prisma } from "@prisma/client";
import type { Deps } from "../deps.js";
import { AppError, notFound } from "../errors.js";
import { rebuildEventState } from "../recovery/rebuild.js";
import { eventStock } from "../redis/keys.js";
import { EVENT_KIND } from "../stock/stock-groups.js";
import type { CreateEventInput, EventStatus, EventView, ProductView } from "./event.schemas.js";
import { eventProduct, productStock } from "./event-products.js";
import { readStock } from "./event-state.js";
import { scheduleLifecycle } from "./lifecycle-jobs.js";
import { projectStatus } from "./projection.js";

export type LifecycleAction = "start" | "pause" | "resume" | "stop";

/** Which states each admin action may leave from, and where it goes. */
export const TRANSITIONS: Record<LifecycleAction, { from: EventStatus[]; to: EventStatus }> = {
  start: { from: ["DRAFT", "SCHEDULED"], to: "LIVE" },
  pause: { from: ["LIVE"], to: "PAUSED" },
  resume: { from: ["PAUSED"], to: "LIVE" },
  stop: { from: ["DRAFT", "SCHEDULED", "LIVE", "PAUSED"], to: "ENDED" },
};

const eventWithProducts = { products: { orderBy: { sku: "asc" }, include: productStock } } as const;
type EventRow = Prisma.EventGetPayload<{ include: typeof eventWithProducts }>;

export const newEventId = () => `ev_${randomBytes(9).toString("base64url")}`;

export async function createEvent(deps: Deps, input: CreateEventInput): Promise<EventView> {
  const id = newEventId();
  const startsAt = input.startsAt ? new Date(input.startsAt) : null;
  const status: EventStatus = startsAt && startsAt.getTime() > Date.now() ? "SCHEDULED" : "DRAFT";
  // One transaction: each product's core stock (DRAFT until the event first goes LIVE) with its
  // INITIAL ledger row, the event and its products.
  const stocks = input.products.map((p) => ({ p, at: eventStock(id, p.sku) }));
  const [, row] = await deps.prisma.$transaction([
    deps.prisma.stock.createMany({
      data: stocks.map(({ p, at }) => ({
        id: at.stockId,
        group: at.group,
        kind: EVENT_KIND,
        name: p.name,
        total: p.stock,
        perUserLimit: p.perUserLimit ?? null,
      })),
    }),
    deps.prisma.event.create({
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
          create: stocks.map(({ p, at }) => ({
            sku: p.sku,
            name: p.name,
            priceCents: p.priceCents,
            stockId: at.stockId,
          })),
        },
      },
      include: eventWithProducts,
    }),
    deps.prisma.stockMovement.createMany({
      data: stocks.map(({ p, at }) => ({
        stockId: at.stockId,
        reason: "INITIAL" as const,
        quantity: p.stock,
        reference: "create",
      })),
    }),
  ]);
  // Its Redis state is built the way a lost one is rebuilt: from PostgreSQL, only where none
  // exists, so a rebuild racing this one (a join that found no state) cannot be overwritten.
  await rebuildEventState(deps, id).catch((err) =>
    deps.log.warn({ err, eventId: id }, "could not build the event's Redis state yet; the loop will"),
  );
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

/**
 * Moves an event along its lifecycle, or answers INVALID_STATE. Repeating an action that
 * already took effect answers the event as it is, and completes the Redis side if it had not.
 */
export async function transition(deps: Deps, eventId: string, action: LifecycleAction): Promise<EventView> {
  return (await applyTransition(deps, eventId, action)).event;
}

/** transition(), also telling whether this call moved the event (false: it had moved already). */
export async function applyTransition(
  deps: Deps,
  eventId: string,
  action: LifecycleAction,
): Promise<{ event: EventView; changed: boolean }> {
  const { from, to } = TRANSITIONS[action];
  const changed = await recordTransition(deps, eventId, from, to);
  const row = await loadEventRow(deps, eventId);
  if (!changed && row.status !== to) {
    throw new AppError({
      code: "INVALID_STATE",
      message: `Cannot ${action} an event that is ${row.status}`,
      details: { status: row.status, action, allowedFrom: from },
    });
  }
  if (changed) deps.log.info({ eventId, action, status: to }, "event transition");
  try {
    // What PostgreSQL holds now (another action may have followed this one).
    await projectStatus(deps, eventId, row);
  } catch (err) {
    throw new AppError({
      code: "SERVICE_UNAVAILABLE",
      message: `The event is ${row.status}; the waiting room follows within seconds (or send the action again)`,
      retryAfterSeconds: 1,
      cause: err,
    });
  }
  return { event: await toView(deps, row), changed };
}

/**
 * The status, and on the first LIVE its products' stocks LIVE with their ceiling, in one
 * statement; false if not allowed.
 */
async function recordTransition(deps: Deps, eventId: string, from: EventStatus[], to: EventStatus) {
  const changed = await deps.prisma.$queryRaw<{ id: string }[]>`
    WITH e AS (
      UPDATE "Event"
      SET status = ${to}::"EventStatus", "statusVersion" = "statusVersion" + 1, "updatedAt" = now(),
          "firstLiveAt" = CASE WHEN ${to} = 'LIVE' THEN COALESCE("firstLiveAt", now()) ELSE "firstLiveAt" END
      WHERE id = ${eventId} AND status = ANY(${from}::"EventStatus"[])
      RETURNING id
    ), ceiling AS (
      -- The first time it goes LIVE fixes the stock ceiling (src/stock/stock-rules.ts).
      UPDATE "Stock" AS s
      SET status = 'LIVE', "liveTotal" = COALESCE(s."liveTotal", s.total), "updatedAt" = now()
      FROM "Product" AS p
      WHERE ${to} = 'LIVE' AND s.status = 'DRAFT' AND s.id = p."stockId" AND p."eventId" IN (SELECT id FROM e)
    )
    SELECT id FROM e`;
  return changed.length > 0;
}

function effectiveCapacity(deps: Deps, row: EventRow): number {
  return row.waitingCapacity ?? deps.config.defaults.waitingCapacity;
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
  const skus = row.products.map((p) => p.sku);
  // Redis away answers the durable figures rather than nothing: reads stay up.
  const counters = await readStock(deps.redis, row.id, skus).catch(() => skus.map(() => null));
  // Without Redis state (lost, or not rebuilt yet) the durable figures: sold from the orders.
  const soldInPostgres = counters.some((c) => c === null) ? await confirmedUnits(deps, row.id) : new Map();
  const products: ProductView[] = row.products.map(eventProduct).map((p, i) => {
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
