// Joining an event's waiting room and reading a ticket. One Lua step decides the join
// (open? duplicate? limit? sold out at the door? room full?) and creates the ticket;
// a QUEUED ticket then gets its purchase job.
import { randomBytes } from "node:crypto";
import type { Deps } from "../deps.js";
import { AppError, LUA_CODES, luaError, notFound, rateLimited } from "../errors.js";
import { rebuildEventState } from "../recovery/rebuild.js";
import { keys } from "../redis/keys.js";
import { type JoinedTicket, joinQueue as joinQueueStep } from "../redis/steps/join-queue.js";
import { outflowOf, positionOf, readQueueState } from "./queue-state.js";
import type { JoinInput, TicketReason, TicketStatus, TicketView } from "./ticket.schemas.js";
import type { TicketTokens } from "./tokens.js";

export interface JoinResult {
  /** False when the user's open ticket for this product was handed back. */
  created: boolean;
  ticket: TicketView & { token: string };
}

/** 128 random bits: ticket ids cannot be guessed. */
export const newTicketId = () => randomBytes(16).toString("base64url");

/**
 * Joins one shopper. `client` (the request's clientKey) is counted against the per-client
 * join limit (RATE_LIMIT_PER_SECOND per event) inside the join step itself: a limited
 * join costs the same one round trip as any other, and no separate limiter is asked.
 */
export async function joinQueue(
  deps: Deps,
  tokens: TicketTokens,
  eventId: string,
  input: JoinInput,
  client = "",
): Promise<JoinResult> {
  const ticketId = newTicketId();
  const perSecond = client ? deps.config.defaults.rateLimitPerSecond : 0;
  const joined = await joinQueueStep(
    deps.redis,
    { eventId, ticketId, userId: input.userId, sku: input.sku, quantity: input.quantity },
    { client, perSecond },
  );
  if (joined.kind === "refused") {
    if (joined.code === "RATE_LIMITED") throw rateLimited(perSecond);
    if (joined.code === "NO_EVENT") throw await missingState(deps, eventId);
    throw luaError(LUA_CODES[joined.code], { eventId, sku: input.sku });
  }
  if (joined.kind === "openTicketGone") throw notFound("ticket", { ticketId: joined.ticketId });
  const created = joined.kind === "created";
  const ticket = ticketView(eventId, input.sku, joined.ticket);
  // The row first, then the job: the purchase updates the row, so it must exist by then.
  // The job is added even when the row could not be written: the ticket is served either
  // way, and only a Redis loss before the shopper joins again could forget it. A handed-back
  // ticket is written and queued again (both harmless: the row and the job are keyed by
  // the ticket id), in case its first join was answered 503.
  const seq = joined.ticket.seq;
  const unrecorded = await recordDurably(deps, ticket, input.userId, seq);
  if (ticket.status === "QUEUED")
    await deps.queues.add({ eventId, ticketId: ticket.ticketId, sku: input.sku, seq });
  if (unrecorded) throw unrecorded;
  const token = tokens.sign({ ticketId: ticket.ticketId, eventId, userId: input.userId });
  return { created, ticket: { ...ticket, token } };
}

/** The ticket's view, from the join step's answer: its place and wait while QUEUED. */
function ticketView(eventId: string, sku: string, joined: JoinedTicket): TicketView {
  const view: TicketView = {
    ticketId: joined.ticketId,
    eventId,
    sku,
    quantity: joined.quantity,
    status: joined.status as TicketStatus,
  };
  if (joined.status !== "QUEUED") return view;
  const { served, admitted, rate, busySeconds, window, serviceMs } = joined.figures;
  return {
    ...view,
    ...positionOf(joined.seq, { served, ...outflowOf(admitted, rate, busySeconds), window, serviceMs }),
  };
}

/**
 * A join is answered only once its ticket is in PostgreSQL, so a Redis loss cannot lose
 * it. A handed-back ticket is written again (harmless) in case its first write failed.
 */
async function recordDurably(
  deps: Deps,
  ticket: TicketView,
  userId: string,
  seq: number,
): Promise<AppError | undefined> {
  try {
    await deps.tickets.recordJoin({
      id: ticket.ticketId,
      eventId: ticket.eventId,
      sku: ticket.sku,
      userId,
      quantity: ticket.quantity,
      seq,
      status: ticket.status === "PREQUEUE" ? "PREQUEUE" : "QUEUED",
    });
  } catch (err) {
    deps.log.error({ eventId: ticket.eventId, ticketId: ticket.ticketId, err }, "could not record a ticket");
    return new AppError({
      code: "SERVICE_UNAVAILABLE",
      message: "Your place is kept but could not be confirmed yet; join again in a moment to get it back",
      retryAfterSeconds: 1,
      cause: err,
    });
  }
}

/** The event's Redis state is missing: unknown event, or one being rebuilt from PostgreSQL. */
async function missingState(deps: Deps, eventId: string): Promise<AppError> {
  const event = await deps.prisma.event.findUnique({
    where: { id: eventId },
    select: { status: true, archivedAt: true },
  });
  if (!event) return notFound("event", { eventId });
  if (!event.archivedAt)
    void rebuildEventState(deps, eventId).catch((err) => deps.log.error({ eventId, err }, "rebuild failed"));
  if (event.status === "ENDED" || event.status === "DRAFT")
    return new AppError({ code: "SALE_NOT_OPEN", message: "The sale is not open", details: { eventId } });
  return new AppError({
    code: "SERVICE_UNAVAILABLE",
    message: "The waiting room is being restored, try again in a moment",
    retryAfterSeconds: 1,
  });
}

/** A ticket as the shopper sees it, with its position and wait while it waits. */
export async function readTicket(deps: Deps, eventId: string, ticketId: string): Promise<TicketView | null> {
  const t = await deps.redis.hgetall(keys.ticket(eventId, ticketId));
  if (!t.id) return readDurableTicket(deps, eventId, ticketId);
  const view: TicketView = {
    ticketId,
    eventId,
    sku: t.sku ?? "",
    quantity: Number(t.qty),
    status: t.status as TicketStatus,
  };
  if (t.status === "QUEUED")
    Object.assign(view, positionOf(Number(t.seq), await readQueueState(deps.redis, eventId)));
  if (t.reason) view.reason = t.reason as TicketReason;
  if (t.orderId) view.orderId = t.orderId;
  return view;
}

/** Without Redis state (an archived sale, or one being rebuilt): the ticket as PostgreSQL has it. */
async function readDurableTicket(deps: Deps, eventId: string, ticketId: string): Promise<TicketView | null> {
  const row = await deps.prisma.ticket.findUnique({ where: { id: ticketId } });
  if (!row || row.eventId !== eventId) return null;
  return {
    ticketId,
    eventId,
    sku: row.sku,
    quantity: row.quantity,
    status: row.status,
    ...(row.reason ? { reason: row.reason as TicketReason } : {}),
    ...(row.orderId ? { orderId: row.orderId } : {}),
  };
}
