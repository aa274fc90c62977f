// Shapes of the shopper side: joining, and the ticket a shopper reads.
import { z } from "zod";
import { EVENT_ID, SKU } from "../events/event.schemas.js";

export const USER_ID = z
  .string()
  .regex(/^[A-Za-z0-9._:@-]{1,64}$/, "1–64 characters of A-Z a-z 0-9 . _ : @ -")
  .describe("The shopper, as the shop's login knows them");

export const joinInput = z.strictObject({
  userId: USER_ID,
  sku: SKU,
  quantity: z.number().int().min(1).max(1000).default(1),
});
export type JoinInput = z.infer<typeof joinInput>;

export const TICKET_STATUSES = [
  "PREQUEUE",
  "QUEUED",
  "PROCESSING",
  "CONFIRMED",
  "REJECTED",
  "FAILED",
  "CANCELLED",
] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

/** The statuses a ticket ends in; every ticket gets exactly one of them. */
export const FINAL_TICKET_STATUSES = ["CONFIRMED", "REJECTED", "FAILED", "CANCELLED"] as const;
export type FinalTicketStatus = (typeof FINAL_TICKET_STATUSES)[number];

export const isFinalStatus = (status: string | null | undefined): status is FinalTicketStatus =>
  (FINAL_TICKET_STATUSES as readonly string[]).includes(status ?? "");

/** Why a ticket ended other than CONFIRMED or CANCELLED. */
export const TICKET_REASONS = [
  "SOLD_OUT",
  "LIMIT_REACHED",
  "SALE_ENDED",
  "PAYMENT_DECLINED",
  "PROCESSING_FAILED",
] as const;
export type TicketReason = (typeof TICKET_REASONS)[number];

/** A ticket as its shopper reads it (the response schema; TicketView is inferred from it). */
export const ticketView = z
  .object({
    ticketId: z.string(),
    eventId: EVENT_ID,
    sku: SKU,
    quantity: z.number().int(),
    status: z.enum(TICKET_STATUSES),
    position: z.number().int().optional().describe("While QUEUED: tickets ahead, plus one"),
    etaSeconds: z
      .number()
      .nonnegative()
      .optional()
      .describe("Estimated seconds until the outcome (one decimal)"),
    reason: z.enum(TICKET_REASONS).optional(),
    orderId: z.string().optional(),
  })
  .meta({ id: "Ticket" });
export type TicketView = z.infer<typeof ticketView>;

/** What a shopper is told when the outcome is decided (socket `ticket:result`). */
export interface TicketResult {
  ticketId: string;
  status: TicketStatus;
  reason?: string;
  orderId?: string;
}
