// A Socket.IO connection that keeps itself up, for the pages' live links.
//
// Reconnection is Socket.IO's job, except in the two cases where it stops trying by
// itself: the server rejected the handshake (middleware error) or closed the socket.
// A rejection with data.code UNAUTHORIZED is final (the token is wrong, expired or not
// ours); any other rejection is retried here with a growing delay.

const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15_000;

/**
 * @param {string} namespace "/" or "/admin"
 * @param {Record<string, string>} auth the handshake's auth
 * @param {{
 *   onUp: () => void,
 *   onDown: () => void,
 *   onUnauthorized: () => void,
 * }} handlers
 * @returns {{socket: any, close: () => void} | null} null when the Socket.IO client did not load
 */
export function connectLive(namespace, auth, handlers) {
  const io = globalThis.io;
  if (typeof io !== "function") return null;

  const socket = io(namespace, { path: "/socket.io", auth, transports: ["websocket", "polling"] });
  let closed = false;
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
    handlers.onUp();
  });
  socket.on("disconnect", (reason) => {
    if (closed) return;
    handlers.onDown();
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
    handlers.onDown();
    // socket.active is false after a middleware rejection: Socket.IO won't retry it.
    if (!socket.active) retryLater();
  });

  function close() {
    closed = true;
    clearTimeout(retryTimer);
    socket.removeAllListeners();
    socket.disconnect();
  }
  return { socket, close };
}
