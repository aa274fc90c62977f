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
}

interface TicketRecord {
  ticketId: string;
  sku: string;
  userId: string;
  joinedAt: number;
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
    r.ledgerAgrees
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
    const userId = `user-${randomInt(opts.users)}`;
    const sku = skus[randomInt(skus.length)] ?? "P1";
    const apiIndex = i % pools.length;
    const t0 = performance.now();
    try {
      const res = await pools[apiIndex]?.request({
        path: `/api/events/${eventId}/tickets`,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ userId, sku }),
      });
      if (!res) return;
      const body = (await res.body.json()) as { ticketId?: string; token?: string; error?: { code: string } };
      joinLatencies.push(performance.now() - t0);
      if (res.statusCode === 202 && body.ticketId && body.token) {
        const record: TicketRecord = {
          ticketId: body.ticketId,
          sku,
          userId,
          joinedAt: performance.now(),
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

  // A fixed number of lanes, each firing its next request as soon as the last one answered.
  let next = 0;
  const lanes = Array.from({ length: Math.min(opts.concurrency ?? 256, opts.requests) }, async () => {
    while (next < opts.requests) await fireOne(next++);
  });
  await Promise.all(lanes);
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
      `SELECT sku, reason, SUM(quantity) AS qty FROM "LedgerEntry" WHERE "eventId" = $1 GROUP BY sku, reason`,
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
      const ledgerSold = ledgerSum(sku, "SALE") - ledgerSum(sku, "CANCEL");
      const ledgerReserved = ledgerSum(sku, "RESERVE") - ledgerSum(sku, "SALE") - ledgerSum(sku, "RESTORE");
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
