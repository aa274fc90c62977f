// The realtime side of the API process. Shoppers connect with their ticket token and get
// `queue:position` while they wait and `ticket:result` exactly once; admins get
// `event:stats` each second. Workers are not Socket.IO servers: they publish outcomes on
// a Redis channel once PostgreSQL holds them (outcomes.ts), and every API process delivers
// them to its own sockets, so it works with any number of API and worker processes.
import type { Server as HttpServer } from "node:http";
import type { Redis } from "ioredis";
import { Server, type ServerOptions, type Socket } from "socket.io";
import { adminGuard } from "../auth/admin-guard.js";
import { clientKeyOfRequest } from "../auth/client-key.js";
import type { Deps } from "../deps.js";
import type { AppError } from "../errors.js";
import { getStats } from "../events/stats.service.js";
import { keys } from "../redis/keys.js";
import { positionOf, readQueueState } from "../waiting-room/queue-state.js";
import { isFinalStatus, type TicketResult, type TicketStatus } from "../waiting-room/ticket.schemas.js";
import type { TicketTokens } from "../waiting-room/tokens.js";
import type { ClientToServerEvents, ServerToClientEvents, SocketData } from "./events.js";
import { parseOutcome } from "./outcomes.js";
import { SocketConnectionLimit } from "./socket-limits.js";

type ShopperSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

export interface RealtimeOptions {
  /** How often waiting sockets are told their position (when it changed). */
  positionEveryMs?: number;
  statsEveryMs?: number;
  /** Engine and transport limits (CORS origins, message size): the HTTP edge decides them. */
  server?: Partial<ServerOptions>;
}

export class Realtime {
  readonly io: Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
  readonly #byTicket = new Map<string, Set<ShopperSocket>>();
  readonly #waitingByEvent = new Map<string, Set<ShopperSocket>>();
  readonly #subscriber: Redis;
  readonly #timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly deps: Deps,
    private readonly tokens: TicketTokens,
    httpServer: HttpServer,
    private readonly opts: RealtimeOptions = {},
  ) {
    const { socketsPerClient, trustProxy } = deps.config.security;
    const perClient = new SocketConnectionLimit(socketsPerClient, trustProxy);
    this.io = new Server(httpServer, {
      path: "/socket.io",
      serveClient: true,
      transports: ["websocket", "polling"],
      ...opts.server,
      allowRequest: perClient.allowRequest,
    });
    perClient.watch(this.io);
    this.io.use((socket, next) => {
      const { ticketId, token } = (socket.handshake.auth ?? {}) as { ticketId?: unknown; token?: unknown };
      this.tokens
        .verify(typeof token === "string" ? token : undefined, typeof ticketId === "string" ? ticketId : "")
        .then((claims) => {
          socket.data = { ...claims, seq: 0, resultSent: false };
          next();
        })
        .catch((err: Error) =>
          next(Object.assign(new Error(err.message), { data: { code: "UNAUTHORIZED" } })),
        );
    });
    this.io.on("connection", (socket) => {
      this.#onShopper(socket).catch((err) => deps.log.error({ err }, "socket setup failed"));
    });

    const guard = adminGuard(deps);
    this.io.of("/admin").use((socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      guard
        .authenticate(
          clientKeyOfRequest(socket.request, trustProxy),
          typeof token === "string" && guard.isAdmin(token),
        )
        .then(
          () => next(),
          (err: AppError) => next(Object.assign(new Error(err.message), { data: { code: err.code } })),
        );
    });

    this.#subscriber = deps.redis.duplicate();
    this.#subscriber.on("message", (_channel, message) => this.#onOutcome(message));
  }

  async start(): Promise<void> {
    await this.#subscriber.subscribe(keys.outcomesChannel());
    const every = (ms: number, task: () => Promise<void>) => {
      let running = false;
      const timer = setInterval(() => {
        if (running) return;
        running = true;
        task()
          .catch((err) => this.deps.log.warn({ err }, "realtime tick failed"))
          .finally(() => {
            running = false;
          });
      }, ms);
      timer.unref();
      this.#timers.push(timer);
    };
    every(this.opts.positionEveryMs ?? 500, () => this.#pushPositions());
    every(this.opts.statsEveryMs ?? 1000, () => this.#pushStats());
  }

  async #onShopper(socket: ShopperSocket): Promise<void> {
    const { ticketId, eventId } = socket.data;
    addTo(this.#byTicket, ticketId, socket);
    socket.on("disconnect", () => {
      removeFrom(this.#byTicket, ticketId, socket);
      removeFrom(this.#waitingByEvent, eventId, socket);
    });
    // Registered first, read second: an outcome published in between still arrives.
    const [[, ticket], [, epoch]] = (await this.deps.redis
      .multi()
      .hmget(keys.ticket(eventId, ticketId), "status", "seq", "reason", "orderId")
      .hget(keys.meta(eventId), "epoch")
      .exec()) as [[unknown, (string | null)[]], [unknown, string | null]];
    const [status, seq, reason, orderId] = ticket;
    // Which state of the event this read saw: after a rebuild the socket reads again.
    socket.data.epoch = epoch;
    if (isFinalStatus(status)) {
      this.#deliver(socket, { ticketId, status, reason, orderId });
      return;
    }
    if (status === null && epoch === null) {
      // No Redis state: an archived sale (PostgreSQL answers), or one being rebuilt.
      const row = await this.deps.prisma.ticket.findUnique({ where: { id: ticketId } });
      if (row && isFinalStatus(row.status)) {
        this.#deliver(socket, { ticketId, status: row.status, reason: row.reason, orderId: row.orderId });
        return;
      }
    }
    if (socket.data.resultSent || socket.disconnected) return;
    socket.data.seq = Number(seq ?? 0);
    addTo(this.#waitingByEvent, eventId, socket);
    if (status === "QUEUED") {
      const position = positionOf(socket.data.seq, await readQueueState(this.deps.redis, eventId));
      socket.data.lastPosition = position.position;
      socket.emit("queue:position", position);
    }
  }

  #onOutcome(message: string): void {
    const result = parseOutcome(message);
    if (!result) {
      this.deps.log.warn({ message: message.slice(0, 200) }, "not an outcome: ignored");
      return;
    }
    const sockets = this.#byTicket.get(result.ticketId);
    if (!sockets) return;
    for (const socket of sockets) this.#deliver(socket, result);
  }

  /** The one place `ticket:result` is sent: once per socket. */
  #deliver(
    socket: ShopperSocket,
    result: { ticketId: string; status: TicketStatus; reason?: string | null; orderId?: string | null },
  ) {
    if (socket.data.resultSent) return;
    socket.data.resultSent = true;
    removeFrom(this.#waitingByEvent, socket.data.eventId, socket);
    const payload: TicketResult = { ticketId: result.ticketId, status: result.status };
    if (result.reason) payload.reason = result.reason;
    if (result.orderId) payload.orderId = result.orderId;
    socket.emit("ticket:result", payload);
  }

  /**
   * One Redis round trip per event, never per socket; plus one for sockets still without
   * a place, and one for all of them after the event's state was rebuilt.
   */
  async #pushPositions(): Promise<void> {
    for (const [eventId, sockets] of this.#waitingByEvent) {
      const state = await readQueueState(this.deps.redis, eventId);
      const stale = state.epoch === null ? [] : [...sockets].filter((s) => s.data.epoch !== state.epoch);
      if (stale.length > 0) await this.#recheck(eventId, stale, state.epoch);
      if (state.status !== "LIVE" && state.status !== "PAUSED") continue;
      const unplaced = [...sockets].filter((s) => s.data.seq === 0);
      if (unplaced.length > 0) {
        const pipeline = this.deps.redis.pipeline();
        for (const s of unplaced) pipeline.hget(keys.ticket(eventId, s.data.ticketId), "seq");
        const seqs = (await pipeline.exec()) ?? [];
        unplaced.forEach((s, i) => {
          s.data.seq = Number(seqs[i]?.[1] ?? 0);
        });
      }
      for (const socket of sockets) {
        if (socket.data.seq === 0) continue;
        const position = positionOf(socket.data.seq, state);
        if (position.position === socket.data.lastPosition) continue;
        socket.data.lastPosition = position.position;
        socket.emit("queue:position", position);
      }
    }
  }

  /** After a rebuild: deliver outcomes decided meanwhile, and take the new places. */
  async #recheck(eventId: string, sockets: ShopperSocket[], epoch: string | null): Promise<void> {
    const pipeline = this.deps.redis.pipeline();
    for (const s of sockets)
      pipeline.hmget(keys.ticket(eventId, s.data.ticketId), "status", "seq", "reason", "orderId");
    const replies = (await pipeline.exec()) ?? [];
    sockets.forEach((socket, i) => {
      socket.data.epoch = epoch;
      const [status, seq, reason, orderId] = (replies[i]?.[1] ?? []) as (string | null)[];
      if (isFinalStatus(status)) {
        this.#deliver(socket, { ticketId: socket.data.ticketId, status, reason, orderId });
      } else if (seq) {
        socket.data.seq = Number(seq);
      }
    });
  }

  async #pushStats(): Promise<void> {
    const admin = this.io.of("/admin");
    if (admin.sockets.size === 0) return;
    const eventIds = await this.deps.redis.smembers(keys.activeEvents());
    for (const eventId of eventIds) {
      const status = await this.deps.redis.hget(keys.meta(eventId), "status");
      if (status !== "LIVE" && status !== "PAUSED") continue;
      admin.emit("event:stats", { eventId, ...(await getStats(this.deps, eventId)) });
    }
  }

  /**
   * Moves every socket (shoppers and admins) to another API process: closes each one's
   * underlying connection, after flushing what was already sent to it. socket.io-client
   * then reconnects by itself (a server-side `socket.disconnect()` would stop it from
   * doing so), and a shopper who reconnects elsewhere gets the ticket's state on connect.
   * Returns how many connections it closed.
   */
  drain(): number {
    let closed = 0;
    for (const namespace of [this.io.of("/"), this.io.of("/admin")]) {
      for (const socket of namespace.sockets.values()) {
        socket.conn.close();
        closed++;
      }
    }
    return closed;
  }

  /** Stops the tickers and the subscription, and closes every socket. */
  async close(): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    this.#subscriber.disconnect();
    await this.io.close();
  }
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V) {
  const set = map.get(key) ?? new Set<V>();
  map.set(key, set);
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V) {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
