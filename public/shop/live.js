// The live link of one ticket: a Socket.IO connection authenticated with the ticket token
// (shared API.md, "Realtime"). Turns the socket's life into a few callbacks for the page.
// An UNAUTHORIZED refusal is final (token expired or not ours).
import { live as contract } from "../lib/contract.js";
import { connectLive } from "../lib/socket.js";

/**
 * @param {{ticketId: string, token: string}} ticket
 * @param {{
 *   onPosition: (p: {position: number, etaSeconds: number}) => void,
 *   onResult: (r: {ticketId: string, status: string, reason?: string, orderId?: string}) => void,
 *   onUnauthorized: () => void,
 *   onConnectionChange: (connected: boolean) => void,
 *   onReconnect?: () => void,
 * }} handlers
 * @returns {{close: () => void} | null} null when the Socket.IO client is not available
 */
export function connectTicket({ ticketId, token }, handlers) {
  let everConnected = false;
  const live = connectLive(
    contract.shopperNamespace,
    { ticketId, token },
    {
      onUp: () => {
        handlers.onConnectionChange(true);
        // The server re-sends the position (and a decided outcome) on connect, but not a
        // status like PROCESSING: let the page re-read the ticket after a gap.
        if (everConnected) handlers.onReconnect?.();
        everConnected = true;
      },
      onDown: () => handlers.onConnectionChange(false),
      onUnauthorized: handlers.onUnauthorized,
    },
  );
  if (!live) return null;

  live.socket.on(contract.position, (p) => {
    if (p && Number.isFinite(p.position)) handlers.onPosition(p);
  });
  live.socket.on(contract.result, (r) => {
    if (!r || (r.ticketId && r.ticketId !== ticketId)) return;
    handlers.onResult(r);
  });
  return { close: live.close };
}
