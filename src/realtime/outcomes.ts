// The one way a ticket's final outcome reaches shoppers: published on a Redis channel after
// PostgreSQL holds it (never before), delivered by every API process to its own sockets, and
// checked against the same schema where it is received. Publishing again is harmless: each
// socket shows an outcome once.
import type { Redis } from "ioredis";
import { z } from "zod";
import { keys } from "../redis/keys.js";
import { FINAL_TICKET_STATUSES, type FinalTicketStatus } from "../waiting-room/ticket.schemas.js";

export const outcomeMessage = z.object({
  eventId: z.string().min(1),
  ticketId: z.string().min(1),
  status: z.enum(FINAL_TICKET_STATUSES),
  reason: z.string().min(1).optional(),
  orderId: z.string().min(1).optional(),
});
export type OutcomeMessage = z.infer<typeof outcomeMessage>;

/** An outcome as stores hand it over (nulls for what it lacks), in the message's shape. */
export function outcomeOf(o: {
  eventId: string;
  ticketId: string;
  status: FinalTicketStatus;
  reason?: string | null;
  orderId?: string | null;
}): OutcomeMessage {
  return {
    eventId: o.eventId,
    ticketId: o.ticketId,
    status: o.status,
    ...(o.reason ? { reason: o.reason } : {}),
    ...(o.orderId ? { orderId: o.orderId } : {}),
  };
}

/** Tells every API process; call it only once the outcomes are in PostgreSQL. */
export async function publishOutcomes(redis: Redis, outcomes: OutcomeMessage[]): Promise<void> {
  if (outcomes.length === 0) return;
  // Not a pipeline: on a Redis Cluster each PUBLISH may go to another node.
  await Promise.all(outcomes.map((o) => redis.publish(keys.outcomesChannel(), JSON.stringify(o))));
}

/** A received message, or null when it is not an outcome. */
export function parseOutcome(message: string): OutcomeMessage | null {
  try {
    const parsed = outcomeMessage.safeParse(JSON.parse(message));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
