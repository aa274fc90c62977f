// The admin page's live link: the `/admin` Socket.IO namespace, authenticated with the
// admin token, which sends `event:stats` {eventId, ...Stats} once a second for every
// LIVE or PAUSED event (shared API.md, "Realtime").
//
// Socket.IO reconnects by itself after a dropped connection, but not after the server
// refused the handshake: UNAUTHORIZED is final (the token is wrong), anything else is
// retried here with a growing delay.

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15_000;

/**
 * @param {string} token
 * @param {{
 *   onStats: (stats: any) => void,
 *   onState: (state: "connecting" | "live" | "offline") => void,
 *   onUnauthorized: () => void,
 * }} handlers
 * @returns {{close: () => void} | null} null when the Socket.IO client did not load
 */
export function connectAdmin(token, handlers) {
  const io = globalThis.io;
  if (typeof io !== "function") return null;

  const socket = io("/admin", { path: "/socket.io", auth: { token }, transports: ["websocket", "polling"] });
  let closed = false;
  let retryDelay = RETRY_MIN_MS;
  let retryTimer;
  handlers.onState("connecting");

  const retryLater = () => {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => {
      if (!closed) socket.connect();
    }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
  };

  socket.on("connect", () => {
    retryDelay = RETRY_MIN_MS;
    handlers.onState("live");
  });
  socket.on("disconnect", (reason) => {
    if (closed) return;
    handlers.onState("offline");
    if (reason === "io server disconnect") retryLater();
  });
  socket.on("connect_error", (err) => {
    if (closed) return;
    if (err?.data?.code === "UNAUTHORIZED") {
      close();
      handlers.onUnauthorized();
      return;
    }
    handlers.onState("offline");
    if (!socket.active) retryLater();
  });
  socket.on("event:stats", (stats) => {
    if (stats && typeof stats.eventId === "string") handlers.onStats(stats);
  });

  function close() {
    closed = true;
    clearTimeout(retryTimer);
    socket.removeAllListeners();
    socket.disconnect();
  }
  return { close };
}
