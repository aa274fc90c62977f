// The admin page's live link: the `/admin` Socket.IO namespace, authenticated with the
// admin token, which sends `event:stats` {eventId, ...Stats} once a second for every
// LIVE or PAUSED event (shared API.md, "Realtime"). An UNAUTHORIZED refusal is final.
import { live as contract } from "../lib/contract.js";
import { connectLive } from "../lib/socket.js";

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
  const live = connectLive(
    contract.adminNamespace,
    { token },
    {
      onUp: () => handlers.onState("live"),
      onDown: () => handlers.onState("offline"),
      onUnauthorized: handlers.onUnauthorized,
    },
  );
  if (!live) return null;
  handlers.onState("connecting");
  live.socket.on(contract.stats, (stats) => {
    if (stats && typeof stats.eventId === "string") handlers.onStats(stats);
  });
  return { close: live.close };
}
