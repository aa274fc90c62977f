// Socket connections per client (clientKey: an IPv4 address, an IPv6 /64): at most
// SOCKETS_PER_CLIENT open at once on one API process. A handshake takes a place when
// Engine.IO asks `allowRequest` (before any Socket.IO middleware runs) and is refused (403)
// when none is left; the place is given back when the connection closes, or after
// HANDSHAKE_MS if the handshake never became a connection.
import type { IncomingMessage } from "node:http";
import type { Server } from "socket.io";
import { clientKeyOfRequest } from "../auth/client-key.js";
import type { Config } from "../config.js";

const HANDSHAKE_MS = 10_000;

export class SocketConnectionLimit {
  readonly #open = new Map<string, number>();
  readonly #pending = new WeakMap<IncomingMessage, { key: string; timer: NodeJS.Timeout }>();

  constructor(
    private readonly perClient: number,
    private readonly trustProxy: Config["security"]["trustProxy"],
  ) {}

  /** Engine.IO's `allowRequest`: called once per new connection's handshake. */
  readonly allowRequest = (
    req: IncomingMessage,
    callback: (err: string | null | undefined, ok: boolean) => void,
  ) => {
    if (this.perClient <= 0) return callback(null, true);
    const key = clientKeyOfRequest(req, this.trustProxy);
    const open = this.#open.get(key) ?? 0;
    if (open >= this.perClient) return callback("Too many connections from this address", false);
    this.#open.set(key, open + 1);
    const timer = setTimeout(() => this.#release(req), HANDSHAKE_MS);
    timer.unref();
    this.#pending.set(req, { key, timer });
    callback(null, true);
  };

  /** Holds each connection's place until it closes. */
  watch(io: Server): void {
    if (this.perClient <= 0) return;
    io.engine.on(
      "connection",
      (raw: { request: IncomingMessage; once(event: "close", fn: () => void): void }) => {
        const pending = this.#pending.get(raw.request);
        if (!pending) return;
        clearTimeout(pending.timer);
        raw.once("close", () => this.#release(raw.request));
      },
    );
  }

  #release(req: IncomingMessage): void {
    const pending = this.#pending.get(req);
    if (!pending) return;
    this.#pending.delete(req);
    clearTimeout(pending.timer);
    const left = (this.#open.get(pending.key) ?? 1) - 1;
    if (left <= 0) this.#open.delete(pending.key);
    else this.#open.set(pending.key, left);
  }
}
