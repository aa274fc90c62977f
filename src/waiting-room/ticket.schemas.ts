// Shapes of the shopper side: joining, and the ticket a shopper reads.
import { z } from "zod";
import { SKU } from "../events/event.schemas.js";

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

export interface TicketView {
  ticketId: string;
  eventId: string;
  sku: string;
  quantity: number;
  status: TicketStatus;
  position?: number;
  etaSeconds?: number;
  reason?: string;
  orderId?: string;
}

/** What a shopper is told when the outcome is decided (socket `ticket:result`). */
export interface TicketResult {
  ticketId: string;
  status: TicketStatus;
  reason?: string;
  orderId?: string;
}
