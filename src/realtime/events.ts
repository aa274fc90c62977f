// The Socket.IO event maps (`entity:verb`), typed once and shared by the server, the
// surge tool and the tests.
import type { Stats } from "../events/stats.service.js";
import type { TicketResult } from "../waiting-room/ticket.schemas.js";

export interface QueuePosition {
  position: number;
  etaSeconds: number;
}

export interface ServerToClientEvents {
  "queue:position": (position: QueuePosition) => void;
  "ticket:result": (result: TicketResult) => void;
  "event:stats": (stats: Stats & { eventId: string }) => void;
}

// Shoppers and admins only listen.
export type ClientToServerEvents = Record<string, never>;

export interface SocketData {
  ticketId: string;
  eventId: string;
  userId: string;
  /** Join sequence (0 while in the pre-queue). */
  seq: number;
  lastPosition?: number;
  /** The event state's epoch when this socket last read its ticket (null: state missing). */
  epoch?: string | null;
  resultSent: boolean;
}
