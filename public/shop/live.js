// The live link of one ticket: a Socket.IO connection authenticated with the ticket token
// (shared API.md, "Realtime"). Turns the socket's life into a few callbacks for the page.
//
// Reconnection is Socket.IO's job, except in the two cases where it stops trying by
// itself: the server rejected the handshake (middleware error) or closed the socket.
// A rejection with data.code UNAUTHORIZED is final (token expired or not ours); any
// other rejection is retried here with a growing delay.

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15_000;

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
  const io = globalThis.io;
  if (typeof io !== "function") return null;

  const socket = io({ path: "/socket.io", auth: { ticketId, token }, transports: ["websocket", "polling"] });
  let closed = false;
  let everConnected = false;
  let retryDelay = RETRY_MIN_MS;
  let retryTimer;

  const retryLater = () => {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      if (!closed) socket.connect();
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
  };

  socket.on("connect", () => {
    retryDelay = RETRY_MIN_MS;
    handlers.onConnectionChange(true);
    // The server re-sends the position (and a decided outcome) on connect, but not a
    // status like PROCESSING: let the page re-read the ticket after a gap.
    if (everConnected) handlers.onReconnect?.();
    everConnected = true;
  });

  socket.on("disconnect", (reason) => {
    if (closed) return;
    handlers.onConnectionChange(false);
    // The only disconnect Socket.IO does not recover from by itself.
    if (reason === "io server disconnect") retryLater();
  });

  socket.on("connect_error", (err) => {
    if (closed) return;
    if (err?.data?.code === "UNAUTHORIZED") {
      close();
      handlers.onUnauthorized();
      return;
    }
    handlers.onConnectionChange(false);
    // socket.active is false after a middleware rejection: Socket.IO won't retry it.
    if (!socket.active) retryLater();
  });

  socket.on("queue:position", (p) => {
    if (p && Number.isFinite(p.position)) handlers.onPosition(p);
  });

  socket.on("ticket:result", (r) => {
    if (!r || (r.ticketId && r.ticketId !== ticketId)) return;
    handlers.onResult(r);
  });

  function close() {
    closed = true;
    clearTimeout(retryTimer);
    socket.removeAllListeners();
    socket.disconnect();
  }

  return { close };
}
