// An API process's moving parts: the Express app, the HTTP server and Socket.IO, started
// on a port and stopped in order. A drain (SIGTERM) first refuses joins and readiness with
// 503 so shoppers and the load balancer go elsewhere, then stops listening, moves every
// socket to another API process, lets the requests in hand finish, and closes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import { registerDependencyMetrics } from "../ops/dependency-metrics.js";
import { Realtime, type RealtimeOptions } from "../realtime/socket-server.js";
import { TicketTokens } from "../waiting-room/tokens.js";
import { createApp } from "./app.js";
import { createMetrics } from "./metrics.js";
import { socketServerOptions } from "./security.js";

export interface DrainOptions {
  /** How long joins and /readyz answer 503 before sockets move and the listener closes. */
  delayMs?: number;
  /** How long the requests in hand may take to finish before their connections are cut. */
  timeoutMs?: number;
}

export interface ApiServer {
  url: string;
  port: number;
  http: Server;
  realtime: Realtime;
  /** True from the start of a drain: joins and /readyz answer 503. */
  readonly draining: boolean;
  /** The graceful stop of SIGTERM (see the top of this file). Safe to call more than once. */
  drain(opts?: DrainOptions): Promise<void>;
  /** Stops at once: closes every socket and connection. */
  close(): Promise<void>;
}

const READYZ_PATH = /^\/readyz\/?$/i;
const JOIN_PATH = /^\/api\/events\/[^/]+\/tickets\/?$/i;
/** Seconds a refused shopper should wait before joining again (through another process). */
const RETRY_AFTER_SECONDS = 1;

export async function startApiServer(
  deps: Deps,
  opts: { port?: number; host?: string; realtime?: RealtimeOptions } = {},
): Promise<ApiServer> {
  const tokens = new TicketTokens(deps.config.tokenSecret, deps.config.ticketTokenTtlSeconds);
  const metrics = createMetrics();
  registerDependencyMetrics(metrics.registry, deps);
  const app = createApp({ deps, tokens, metrics });
  let draining = false;
  const http = createServer((req, res) => {
    if (draining) {
      // Keep-alive clients open their next connection elsewhere.
      res.setHeader("Connection", "close");
      if (refuseWhileDraining(req, res)) return;
    }
    app(req, res);
  });
  http.keepAliveTimeout = 65_000;
  // Requests Node's parser refuses before Express sees them (a head over 16 kB, broken
  // framing) still get the contract's error shape.
  http.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const tooLarge = err.code === "HPE_HEADER_OVERFLOW";
    const body = JSON.stringify({
      error: {
        code: "VALIDATION_FAILED",
        message: tooLarge ? "The request head is too large" : "Malformed request",
      },
    });
    socket.end(
      `HTTP/1.1 ${tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request"}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  });
  // Every TCP connection, upgraded ones (WebSockets) included, to cut what outlives a drain.
  const connections = new Set<Socket>();
  http.on("connection", (socket: Socket) => {
    connections.add(socket);
    socket.once("close", () => connections.delete(socket));
  });
  const realtime = new Realtime(deps, tokens, http, {
    ...opts.realtime,
    server: socketServerOptions(deps.config.security),
  });
  await realtime.start();
  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(opts.port ?? deps.config.http.port, opts.host ?? deps.config.http.host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;

  let drained: Promise<void> | undefined;
  const drain = async ({ delayMs = 0, timeoutMs = 10_000 }: DrainOptions = {}) => {
    draining = true;
    deps.log.info({ delayMs }, "draining: joins and readiness answer 503");
    if (delayMs > 0) await sleep(delayMs);
    // No new connections from here on; the open ones finish what they carry.
    const closed = new Promise<void>((resolve) => http.close(() => resolve()));
    const moved = realtime.drain();
    deps.log.info({ sockets: moved }, "draining: sockets told to reconnect elsewhere");
    // Idle keep-alive connections go now, busy ones after their response (Connection: close).
    const sweep = setInterval(() => http.closeIdleConnections(), 100);
    http.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      closed.then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    clearInterval(sweep);
    if (!inTime) {
      deps.log.warn(
        { connections: connections.size, timeoutMs },
        "draining: connections cut after the timeout",
      );
      for (const socket of connections) socket.destroy();
    }
    await realtime.close();
    deps.log.info("drained");
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    http,
    realtime,
    get draining() {
      return draining;
    },
    drain(drainOpts) {
      drained ??= drain(drainOpts);
      return drained;
    },
    async close() {
      // io.close() also closes the HTTP server it is attached to.
      await realtime.close();
      http.closeAllConnections();
    },
  };
}

/**
 * While draining: answers what this process no longer takes (joins, readiness) with 503,
 * in the contract's shape. Everything else (a ticket read, an admin call) is still served.
 */
function refuseWhileDraining(req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? "/").split("?", 1)[0] ?? "/";
  if ((req.method === "GET" || req.method === "HEAD") && READYZ_PATH.test(path)) {
    sendJson(res, 503, { status: "draining" });
    return true;
  }
  if (req.method === "POST" && JOIN_PATH.test(path)) {
    const error = new AppError({
      code: "SERVICE_UNAVAILABLE",
      message: "This server is shutting down; join again and another one will take you",
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
    res.setHeader("Retry-After", String(RETRY_AFTER_SECONDS));
    sendJson(res, error.status, error.toJSON());
    return true;
  }
  return false;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
  });
  res.end(text);
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    setTimeout(resolve, ms);
  });
