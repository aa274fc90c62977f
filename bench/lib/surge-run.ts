// The first-come surge scenario: an event with N products, R join requests from U users
// fired as fast as the stack takes them, every outcome awaited over Socket.IO, then the
// invariants checked in PostgreSQL and Redis. Used by `npm run surge`, the `seed`
// benchmark and the tests.
import { randomInt } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { io, type Socket } from "socket.io-client";
import { Pool } from "undici";
import type { ServerToClientEvents } from "../../src/realtime/events.js";
import { keys } from "../../src/redis/keys.js";
import { type Percentiles, percentiles } from "./percentiles.js";

export interface SurgeOptions {
  apiUrls: string[];
  adminToken: string;
  redisUrl: string;
  databaseUrl: string;
  users: number;
  requests: number;
  products: number;
  stock: number;
  perUserLimit?: number;
  paymentFailureRate?: number;
  admissionRate?: number;
  /** Join requests in flight at once. */
  concurrency?: number;
  /** How long to wait for every outcome after the last join. */
  outcomeTimeoutMs?: number;
  /**
   * Give each shopper a client address of its own (X-Forwarded-For: 10.x.y.z), as shoppers
   * behind a proxy have. Only a target that trusts the header (TRUST_PROXY) counts by it;
   * without it, every request comes from this one address and meets the per-client limit.
   */
  clientAddresses?: boolean;
  /** Shopper i sends join i (users = requests): no shopper joins twice. */
  distinctUsers?: boolean;
  /** Joins spread evenly over this many ms (open loop) instead of as fast as answered. */
  spreadMs?: number;
  onProgress?: (p: SurgeProgress) => void;
}

export interface SurgeProgress {
  phase: "joining" | "waiting";
  sent: number;
  requests: number;
  tickets: number;
  outcomes: number;
}

export interface SurgeReport {
  eventId: string;
  requests: number;
  tickets: number;
  handedBack: number;
  doorRejections: Record<string, number>;
  httpErrors: number;
  confirmed: number;
  perProduct: { sku: string; stock: number; confirmed: number; remaining: number; reserved: number }[];
  oversold: number;
  overLimitUsers: number;
  outcomes: Record<string, number>;
  reasons: Record<string, number>;
  missingOutcomes: number;
  duplicateOutcomes: number;
  ticketsNotFinal: number;
  fairnessInversions: number;
  redisPostgresAgree: boolean;
  ledgerAgrees: boolean;
  /** From the first join sent until every join is answered and every ticket has its result. */
  wallSeconds: number;
  joinsPerSecond: number;
  joinLatencyMs: Percentiles;
  resultLatencyMs: Percentiles;
  /** Joins the target's per-client rate limit refused, and their share of all requests. */
  rateLimited: number;
  rateLimitedShare: number;
  /** The limiter, not the sale, answered most joins: the run says nothing about the sale. */
  limiterAnsweredMost: boolean;
  /** The etaSeconds each ticket was told at join against the time until its ticket:result. */
  eta: EtaError;
}

/** Relative error |told − waited| / waited of the ETAs told at join. */
export interface EtaError {
  samples: number;
  p50: number;
  p90: number;
  /** Share of tickets told a wait off by more than half of what they waited. */
  offByHalf: number;
  /** Median of (told − waited) / waited: above 0, waits were over-estimated. */
  medianSigned: number;
}

export function etaError(told: { etaSeconds: number; waitedSeconds: number }[]): EtaError {
  const errors = told
    .filter((t) => t.waitedSeconds > 0)
    .map((t) => (t.etaSeconds - t.waitedSeconds) / t.waitedSeconds);
  if (errors.length === 0) return { samples: 0, p50: 0, p90: 0, offByHalf: 0, medianSigned: 0 };
  const abs = errors.map(Math.abs).sort((a, b) => a - b);
  const signed = [...errors].sort((a, b) => a - b);
  const at = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)] ?? 0;
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    samples: errors.length,
    p50: round(at(abs, 0.5)),
    p90: round(at(abs, 0.9)),
    offByHalf: round(abs.filter((e) => e > 0.5).length / abs.length),
    medianSigned: round(at(signed, 0.5)),
  };
}

/** A stable client address per shopper: 10.<hash>.<hash>.<hash>. */
export function clientAddressOf(userId: string): string {
  let h = 2166136261;
  for (let i = 0; i < userId.length; i++) h = Math.imul(h ^ userId.charCodeAt(i), 16777619);
  h >>>= 0;
  return `10.${(h >>> 16) & 255}.${(h >>> 8) & 255}.${Math.max(1, h & 255) % 255 || 1}`;
}

/** Why a run's verdict failed on the limiter, and the way round it (printed by the tools). */
export function rateLimitNote(r: SurgeReport, clientAddresses: boolean): string | undefined {
  if (r.rateLimited === 0) return undefined;
  const share = `${(100 * r.rateLimitedShare).toFixed(1)} %`;
  const why = clientAddresses
    ? "every shopper had an address of its own (X-Forwarded-For), so the target does not trust the header (TRUST_PROXY) or its limit is below a shopper's joins"
    : "every request came from this one address, which the target's per-client limit (RATE_LIMIT_PER_SECOND) takes for one client";
  const way = clientAddresses
    ? "set TRUST_PROXY on the target (e.g. loopback) or raise RATE_LIMIT_PER_SECOND"
    : "run with --client-addresses when the target trusts X-Forwarded-For (TRUST_PROXY), or without --url to boot a stack without limits";
  return `${r.rateLimited} of ${r.requests} joins (${share}) were refused RATE_LIMITED: ${why}. ${r.limiterAnsweredMost ? "The limiter, not the sale, answered most joins: this run says little about the sale. " : ""}Way round: ${way}.`;
}

interface TicketRecord {
  ticketId: string;
  sku: string;
  userId: string;
  joinedAt: number;
  /** The wait the join answer told, in seconds. */
  etaSeconds?: number;
  resultAt?: number;
  status?: string;
  reason?: string;
  results: number;
  socket?: Socket<ServerToClientEvents>;
}

const FINAL = new Set(["CONFIRMED", "REJECTED", "FAILED", "CANCELLED"]);

/** The surge's promises held: nothing oversold or over a limit, one final outcome per ticket, the stores agree. */
export function surgeHeld(r: SurgeReport): boolean {
  return (
    r.oversold === 0 &&
    r.overLimitUsers === 0 &&
    r.missingOutcomes === 0 &&
    r.duplicateOutcomes === 0 &&
    r.ticketsNotFinal === 0 &&
    r.redisPostgresAgree &&
    r.ledgerAgrees &&
    !r.limiterAnsweredMost
  );
}

export async function runSurge(opts: SurgeOptions): Promise<SurgeReport> {
  const limit = opts.perUserLimit ?? 1;
  const skus = Array.from({ length: opts.products }, (_, i) => `P${i + 1}`);
  const admin = { authorization: `Bearer ${opts.adminToken}`, "content-type": "application/json" };
  const apiUrl = opts.apiUrls[0] ?? "";

  const created = await fetch(`${apiUrl}/api/admin/events`, {
    method: "POST",
    headers: admin,
    body: JSON.stringify({
      name: `Surge ${new Date().toISOString()}`,
      admissionRate: opts.admissionRate ?? 20_000,
      perUserLimit: limit,
      paymentFailureRate: opts.paymentFailureRate ?? 0,
      products: skus.map((sku) => ({ sku, name: `Product ${sku}`, priceCents: 9900, stock: opts.stock })),
    }),
  });
  if (created.status !== 201)
    throw new Error(`creating the event: ${created.status} ${await created.text()}`);
  const eventId = ((await created.json()) as { id: string }).id;
  const started = await fetch(`${apiUrl}/api/admin/events/${eventId}/start`, {
    method: "POST",
    headers: admin,
  });
  if (!started.ok) throw new Error(`starting the event: ${started.status} ${await started.text()}`);

  const pools = opts.apiUrls.map((url) => new Pool(url, { connections: 64, pipelining: 1 }));
  const tickets = new Map<string, TicketRecord>();
  const doorRejections: Record<string, number> = {};
  const joinLatencies: number[] = [];
  let handedBack = 0;
  let httpErrors = 0;
  let sent = 0;
  let outcomes = 0;
  let duplicateOutcomes = 0;
  const progress = (phase: SurgeProgress["phase"]) =>
    opts.onProgress?.({ phase, sent, requests: opts.requests, tickets: tickets.size, outcomes });
  const progressTimer = setInterval(() => progress(sent < opts.requests ? "joining" : "waiting"), 500);

  let outcomeWaiter: (() => void) | undefined;
  const onResult = (record: TicketRecord, status: string, reason?: string) => {
    record.results += 1;
    if (record.results > 1) {
      duplicateOutcomes += 1;
      return;
    }
    record.resultAt = performance.now();
    record.status = status;
    record.reason = reason;
    outcomes += 1;
    record.socket?.disconnect();
    if (outcomes === tickets.size && sent === opts.requests) outcomeWaiter?.();
  };

  const wallStart = performance.now();
  const fireOne = async (i: number) => {
    const userId = `user-${opts.distinctUsers ? i : randomInt(opts.users)}`;
    const sku = skus[randomInt(skus.length)] ?? "P1";
    const apiIndex = i % pools.length;
    const t0 = performance.now();
    try {
      const res = await pools[apiIndex]?.request({
        path: `/api/events/${eventId}/tickets`,
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(opts.clientAddresses ? { "x-forwarded-for": clientAddressOf(userId) } : {}),
        },
        body: JSON.stringify({ userId, sku }),
      });
      if (!res) return;
      const body = (await res.body.json()) as {
        ticketId?: string;
        token?: string;
        etaSeconds?: number;
        error?: { code: string };
      };
      joinLatencies.push(performance.now() - t0);
      if (res.statusCode === 202 && body.ticketId && body.token) {
        const record: TicketRecord = {
          ticketId: body.ticketId,
          sku,
          userId,
          joinedAt: performance.now(),
          etaSeconds: body.etaSeconds,
          results: 0,
        };
        tickets.set(body.ticketId, record);
        record.socket = listen(opts.apiUrls[apiIndex] ?? apiUrl, body.ticketId, body.token, (r) =>
          onResult(record, r.status, r.reason),
        );
      } else if (res.statusCode === 200) {
        handedBack += 1;
      } else if (res.statusCode < 500 && body.error) {
        doorRejections[body.error.code] = (doorRejections[body.error.code] ?? 0) + 1;
      } else {
        httpErrors += 1;
      }
    } catch {
      httpErrors += 1;
    } finally {
      sent += 1;
    }
  };

  if (opts.spreadMs) {
    // Open loop: request i leaves at i × spreadMs / requests, whatever the answers.
    const gap = opts.spreadMs / opts.requests;
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < opts.requests; i++) {
      const due = wallStart + i * gap;
      const now = performance.now();
      if (due > now + 1) await new Promise((r) => setTimeout(r, due - now));
      inFlight.push(fireOne(i));
    }
    await Promise.all(inFlight);
  } else {
    // A fixed number of lanes, each firing its next request as soon as the last one answered.
    let next = 0;
    const lanes = Array.from({ length: Math.min(opts.concurrency ?? 256, opts.requests) }, async () => {
      while (next < opts.requests) await fireOne(next++);
    });
    await Promise.all(lanes);
  }
  const joinsEnd = performance.now();
  const joinWall = (joinsEnd - wallStart) / 1000;

  if (outcomes < tickets.size) {
    await new Promise<void>((resolve) => {
      outcomeWaiter = resolve;
      setTimeout(resolve, opts.outcomeTimeoutMs ?? 60_000).unref();
    });
  }
  // Every outcome: the answers at the door (the last join answered) and every ticket's result.
  const resultTimes = [...tickets.values()].map((t) => t.resultAt ?? 0);
  const wallEnd = resultTimes.includes(0)
    ? performance.now()
    : resultTimes.reduce((a, b) => Math.max(a, b), joinsEnd);
  clearInterval(progressTimer);
  progress("waiting");
  for (const t of tickets.values()) t.socket?.disconnect();
  await Promise.all(pools.map((p) => p.close()));

  const checks = await verify(opts, eventId, skus, limit, [...tickets.values()]);
  // The event the surge made is over: stop it, so no worker or ticker keeps watching it.
  await fetch(`${apiUrl}/api/admin/events/${eventId}/stop`, { method: "POST", headers: admin }).catch(
    () => undefined,
  );
  const resultLatencies = [...tickets.values()]
    .filter((t) => t.resultAt)
    .map((t) => (t.resultAt ?? 0) - t.joinedAt);
  const outcomeCounts: Record<string, number> = {};
  const reasons: Record<string, number> = {};
  for (const t of tickets.values()) {
    if (!t.status) continue;
    outcomeCounts[t.status] = (outcomeCounts[t.status] ?? 0) + 1;
    if (t.reason) reasons[t.reason] = (reasons[t.reason] ?? 0) + 1;
  }
  return {
    eventId,
    requests: opts.requests,
    tickets: tickets.size,
    handedBack,
    doorRejections,
    httpErrors,
    ...checks,
    outcomes: outcomeCounts,
    reasons,
    missingOutcomes: [...tickets.values()].filter((t) => t.results === 0).length,
    duplicateOutcomes,
    wallSeconds: Math.round((wallEnd - wallStart) / 10) / 100,
    joinsPerSecond: Math.round(opts.requests / joinWall),
    joinLatencyMs: percentiles(joinLatencies),
    resultLatencyMs: percentiles(resultLatencies),
    rateLimited: doorRejections.RATE_LIMITED ?? 0,
    rateLimitedShare: (doorRejections.RATE_LIMITED ?? 0) / opts.requests,
    limiterAnsweredMost: (doorRejections.RATE_LIMITED ?? 0) > opts.requests / 2,
    eta: etaError(
      [...tickets.values()]
        .filter((t) => t.resultAt !== undefined && t.etaSeconds !== undefined)
        .map((t) => ({
          etaSeconds: t.etaSeconds ?? 0,
          waitedSeconds: ((t.resultAt ?? 0) - t.joinedAt) / 1000,
        })),
    ),
  };
}

function listen(
  url: string,
  ticketId: string,
  token: string,
  onResult: (r: { status: string; reason?: string }) => void,
): Socket<ServerToClientEvents> {
  const socket: Socket<ServerToClientEvents> = io(url, {
    path: "/socket.io",
    auth: { ticketId, token },
    transports: ["websocket"],
    reconnectionDelay: 200,
  });
  socket.on("ticket:result", (r) => onResult(r));
  return socket;
}

/** The invariants, checked in PostgreSQL and Redis once every outcome is in. */
async function verify(
  opts: SurgeOptions,
  eventId: string,
  skus: string[],
  limit: number,
  tickets: TicketRecord[],
) {
  const db = new pg.Client({ connectionString: opts.databaseUrl });
  const redis = new Redis(opts.redisUrl);
  await db.connect();
  try {
    const orders = await db.query<{ sku: string; qty: string }>(
      `SELECT sku, COALESCE(SUM(quantity), 0) AS qty FROM "Order"
        WHERE "eventId" = $1 AND status = 'CONFIRMED' GROUP BY sku`,
      [eventId],
    );
    const confirmedBySku = new Map(orders.rows.map((r) => [r.sku, Number(r.qty)]));
    const overLimit = await db.query(
      `SELECT "userId", sku FROM "Order" WHERE "eventId" = $1 AND status = 'CONFIRMED'
        GROUP BY "userId", sku HAVING SUM(quantity) > $2`,
      [eventId, limit],
    );
    const ledger = await db.query<{ sku: string; reason: string; qty: string }>(
      `SELECT p.sku, m.reason::text AS reason, SUM(m.quantity) AS qty
         FROM "StockMovement" m JOIN "Product" p ON p."stockId" = m."stockId"
        WHERE p."eventId" = $1 GROUP BY p.sku, m.reason`,
      [eventId],
    );
    const ledgerSum = (sku: string, reason: string) =>
      Number(ledger.rows.find((r) => r.sku === sku && r.reason === reason)?.qty ?? 0);

    let agree = true;
    let ledgerAgrees = true;
    const perProduct = [];
    for (const sku of skus) {
      const s = await redis.hgetall(keys.stock(eventId, sku));
      const [total, remaining, reserved, sold] = [s.total, s.remaining, s.reserved, s.sold].map(Number) as [
        number,
        number,
        number,
        number,
      ];
      const confirmed = confirmedBySku.get(sku) ?? 0;
      if (sold !== confirmed || remaining + reserved + sold !== total || reserved !== 0) agree = false;
      const ledgerTotal = ledgerSum(sku, "INITIAL") + ledgerSum(sku, "ADJUST");
      // The product's core ledger: TAKE (v1 RESERVE), CONFIRM (SALE), RELEASE (RESTORE), RETURN (CANCEL).
      const ledgerSold = ledgerSum(sku, "CONFIRM") - ledgerSum(sku, "RETURN");
      const ledgerReserved = ledgerSum(sku, "TAKE") - ledgerSum(sku, "CONFIRM") - ledgerSum(sku, "RELEASE");
      if (ledgerTotal !== total || ledgerSold !== confirmed || ledgerReserved !== 0) ledgerAgrees = false;
      perProduct.push({ sku, stock: opts.stock, confirmed, remaining, reserved });
    }

    // Final state of every ticket, and fairness: no SOLD_OUT before a later ticket got stock.
    const pipeline = redis.pipeline();
    for (const t of tickets) pipeline.hmget(keys.ticket(eventId, t.ticketId), "status", "reason", "seq");
    const states = ((await pipeline.exec()) ?? []).map(([, v]) => v as (string | null)[]);
    let ticketsNotFinal = 0;
    const lastConfirmedSeq = new Map<string, number>();
    states.forEach((state, i) => {
      const t = tickets[i];
      if (!t || !state[0] || !FINAL.has(state[0])) ticketsNotFinal += 1;
      if (t && state[0] === "CONFIRMED") {
        lastConfirmedSeq.set(t.sku, Math.max(lastConfirmedSeq.get(t.sku) ?? 0, Number(state[2])));
      }
    });
    let fairnessInversions = 0;
    states.forEach((state, i) => {
      const t = tickets[i];
      if (t && state[1] === "SOLD_OUT" && Number(state[2]) < (lastConfirmedSeq.get(t.sku) ?? 0))
        fairnessInversions += 1;
    });

    return {
      confirmed: [...confirmedBySku.values()].reduce((a, b) => a + b, 0),
      perProduct,
      oversold: perProduct.reduce((sum, p) => sum + Math.max(0, p.confirmed - p.stock), 0),
      overLimitUsers: overLimit.rowCount ?? 0,
      ticketsNotFinal,
      fairnessInversions,
      redisPostgresAgree: agree,
      ledgerAgrees,
    };
  } finally {
    await db.end();
    redis.disconnect();
  }
}
