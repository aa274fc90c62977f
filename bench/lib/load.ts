// The HTTP load generator of the benchmarks, on undici. Two shapes:
//  - closedLoop: N connections, each sending its next request when the last one answered
//    (what autocannon does); measures the most a server answers.
//  - openLoop: requests fired on a fixed schedule whatever the answers (coordinated-omission
//    free: latency counts from the moment a request was due, not from when it left), with a
//    cap on requests in flight; a request due while the cap is reached is dropped and counted.
// Both stop by themselves (duration, count and a drain deadline).
import { Pool } from "undici";
import { type Percentiles, percentiles } from "./percentiles.js";

export interface RequestSpec {
  path: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  /** Requests scheduled (open loop) or sent (closed loop). */
  offered: number;
  sent: number;
  ok: number;
  /** Answers that were not 2xx, by status code. */
  statusErrors: Record<string, number>;
  /** Connection errors and timeouts. */
  transportErrors: number;
  /** Due while the in-flight cap was reached: never sent (open loop only). */
  dropped: number;
  /** Still unanswered when the drain deadline passed. */
  unanswered: number;
  seconds: number;
  /** 2xx answers per second, over the time from the first request to the last answer. */
  okPerSecond: number;
  latencyMs: Percentiles;
}

const emptyResult = (): Omit<LoadResult, "seconds" | "okPerSecond" | "latencyMs"> => ({
  offered: 0,
  sent: 0,
  ok: 0,
  statusErrors: {},
  transportErrors: 0,
  dropped: 0,
  unanswered: 0,
});

export function createPool(url: string, connections: number, pipelining = 1): Pool {
  return new Pool(url, {
    connections,
    pipelining,
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
    keepAliveTimeout: 30_000,
  });
}

async function send(
  pool: Pool,
  spec: RequestSpec,
  onBody?: (status: number, body: string) => void,
): Promise<number> {
  const res = await pool.request({
    path: spec.path,
    method: spec.method ?? "GET",
    headers: spec.headers,
    body: spec.body,
  });
  if (onBody) onBody(res.statusCode, await res.body.text());
  else await res.body.dump();
  return res.statusCode;
}

export interface ClosedLoopOptions {
  url: string;
  connections: number;
  durationMs: number;
  request: (i: number) => RequestSpec;
  pipelining?: number;
  onBody?: (status: number, body: string) => void;
}

export async function closedLoop(opts: ClosedLoopOptions): Promise<LoadResult> {
  const pool = createPool(opts.url, opts.connections, opts.pipelining ?? 1);
  const r = emptyResult();
  const latencies: number[] = [];
  const start = performance.now();
  const deadline = start + opts.durationMs;
  let last = start;
  const lanes = Array.from({ length: opts.connections * (opts.pipelining ?? 1) }, async () => {
    while (performance.now() < deadline) {
      const i = r.sent++;
      r.offered++;
      const t0 = performance.now();
      try {
        const status = await send(pool, opts.request(i), opts.onBody);
        last = performance.now();
        latencies.push(last - t0);
        if (status >= 200 && status < 300) r.ok++;
        else r.statusErrors[status] = (r.statusErrors[status] ?? 0) + 1;
      } catch {
        r.transportErrors++;
      }
    }
  });
  await Promise.all(lanes);
  await pool.close();
  const seconds = (last - start) / 1000;
  return { ...r, seconds, okPerSecond: Math.round(r.ok / seconds), latencyMs: percentiles(latencies) };
}

export interface OpenLoopOptions {
  pool: Pool;
  /** Requests per second offered. */
  rate: number;
  durationMs: number;
  maxInFlight: number;
  /** How long to wait for the last answers after the schedule ended. */
  drainMs?: number;
  request: (i: number) => RequestSpec;
  onBody?: (status: number, body: string) => void;
  onTick?: (r: { offered: number; ok: number; inFlight: number }) => void;
}

export async function openLoop(opts: OpenLoopOptions): Promise<LoadResult> {
  const r = emptyResult();
  const total = Math.round((opts.rate * opts.durationMs) / 1000);
  const interval = 1000 / opts.rate;
  const latencies: number[] = [];
  let inFlight = 0;
  let last = 0;
  let settle: (() => void) | undefined;
  const start = performance.now();

  const fire = (i: number) => {
    const due = start + i * interval;
    inFlight++;
    r.sent++;
    send(opts.pool, opts.request(i), opts.onBody)
      .then((status) => {
        last = performance.now();
        latencies.push(last - due);
        if (status >= 200 && status < 300) r.ok++;
        else r.statusErrors[status] = (r.statusErrors[status] ?? 0) + 1;
      })
      .catch(() => {
        r.transportErrors++;
      })
      .finally(() => {
        inFlight--;
        if (inFlight === 0 && r.offered === total) settle?.();
      });
  };

  // Every millisecond or so, send whatever has come due: the schedule does not wait for answers.
  await new Promise<void>((done) => {
    const tick = () => {
      const dueNow = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
      while (r.offered < dueNow) {
        const i = r.offered++;
        if (inFlight >= opts.maxInFlight) r.dropped++;
        else fire(i);
      }
      opts.onTick?.({ offered: r.offered, ok: r.ok, inFlight });
      if (r.offered >= total) done();
      else setTimeout(tick, 1);
    };
    tick();
  });
  if (inFlight > 0) {
    await new Promise<void>((resolve) => {
      settle = resolve;
      setTimeout(resolve, opts.drainMs ?? 15_000).unref();
    });
  }
  r.unanswered = inFlight;
  const seconds = (Math.max(last, start + opts.durationMs) - start) / 1000;
  return { ...r, seconds, okPerSecond: Math.round(r.ok / seconds), latencyMs: percentiles(latencies) };
}
