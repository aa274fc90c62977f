// The benchmarks' side of a dropqueue stack: booting one on the bench databases, the
// admin calls they need, and joining many tickets fast (closed loop) to set a scene.
import { Pool } from "undici";
import { type Stack, type StackOptions, startStack } from "../../src/devstack/index.js";
import { BENCH_DATABASE_URL, BENCH_REDIS_URL } from "./env.js";

const stacks = new Set<Stack>();

export interface BenchStack extends Stack {
  /** Throws when a process of the stack exited while the bench did not stop it. */
  assertRunning(when: string): void;
}

export async function bootStack(opts: StackOptions): Promise<BenchStack> {
  // Errors only: warnings (e.g. the reconciler's) would flood the progress lines under load.
  const stack = await startStack({
    redisUrl: BENCH_REDIS_URL,
    databaseUrl: BENCH_DATABASE_URL,
    logLevel: "error",
    ...opts,
  });
  stacks.add(stack);
  let stopping = false;
  const exits: string[] = [];
  for (const { role, child } of stack.processes) {
    child.once("exit", (code, signal) => {
      if (!stopping)
        exits.push(`the ${role} process (pid ${child.pid}) exited (${signal ?? `code ${code}`})`);
    });
  }
  const stop = stack.stop;
  return Object.assign(stack, {
    async stop() {
      stopping = true;
      stacks.delete(stack);
      await stop();
    },
    assertRunning(when: string) {
      if (exits.length > 0) throw new Error(`${exits.join("; ")} ${when}, not stopped by the bench`);
    },
  });
}

/** Kills every stack process still running (the last resort of a run that overstays). */
export function killStacks(): void {
  for (const stack of stacks) for (const { child } of stack.processes) child.kill("SIGKILL");
}

export interface ProductSpec {
  sku: string;
  stock: number;
  priceCents?: number;
}

/** One JSON call of the API with a bearer token (admin or service key); a non-2xx throws. */
export async function apiCall(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

export class Admin {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  #call(method: string, path: string, body?: unknown): Promise<unknown> {
    return apiCall(this.url, this.token, method, path, body);
  }

  async createEvent(input: {
    name: string;
    admissionRate: number;
    products: ProductSpec[];
    perUserLimit?: number;
    waitingCapacity?: number;
  }): Promise<string> {
    const event = (await this.#call("POST", "/api/admin/events", {
      name: input.name,
      admissionRate: input.admissionRate,
      perUserLimit: input.perUserLimit ?? 1,
      waitingCapacity: input.waitingCapacity ?? 10_000_000,
      products: input.products.map((p) => ({
        sku: p.sku,
        name: `Product ${p.sku}`,
        priceCents: p.priceCents ?? 9900,
        stock: p.stock,
      })),
    })) as { id: string };
    return event.id;
  }

  async action(eventId: string, action: "start" | "pause" | "resume" | "stop"): Promise<void> {
    await this.#call("POST", `/api/admin/events/${eventId}/${action}`);
  }

  /** Ends the event if it is not ended yet (cleanup: errors are ignored). */
  async stopQuietly(eventId: string): Promise<void> {
    await this.action(eventId, "stop").catch(() => undefined);
  }
}

export interface JoinedTicket {
  ticketId: string;
  token: string;
  position: number;
}

/**
 * Joins `count` distinct users to one product, `concurrency` requests in flight, and
 * returns their tickets. Stops at the deadline; refusals and errors are counted.
 */
export async function joinMany(opts: {
  url: string;
  eventId: string;
  sku: string;
  count: number;
  userPrefix: string;
  concurrency?: number;
  deadlineMs?: number;
  onProgress?: (done: number) => void;
}): Promise<{ tickets: JoinedTicket[]; failures: Record<string, number>; seconds: number }> {
  const concurrency = opts.concurrency ?? 128;
  const pool = new Pool(opts.url, { connections: concurrency, headersTimeout: 30_000 });
  const tickets: JoinedTicket[] = [];
  const failures: Record<string, number> = {};
  const start = performance.now();
  const deadline = start + (opts.deadlineMs ?? 120_000);
  let next = 0;
  let done = 0;
  const lanes = Array.from({ length: concurrency }, async () => {
    while (next < opts.count && performance.now() < deadline) {
      const i = next++;
      try {
        const res = await pool.request({
          path: `/api/events/${opts.eventId}/tickets`,
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ userId: `${opts.userPrefix}-${i}`, sku: opts.sku }),
        });
        const body = (await res.body.json()) as Partial<JoinedTicket> & { error?: { code: string } };
        if (res.statusCode === 202 && body.ticketId && body.token) {
          tickets.push({ ticketId: body.ticketId, token: body.token, position: body.position ?? 0 });
        } else {
          const code = body.error?.code ?? `HTTP_${res.statusCode}`;
          failures[code] = (failures[code] ?? 0) + 1;
        }
      } catch (err) {
        const code = (err as { code?: string }).code ?? "TRANSPORT";
        failures[code] = (failures[code] ?? 0) + 1;
      }
      done++;
      opts.onProgress?.(done);
    }
  });
  await Promise.all(lanes);
  await pool.close();
  return { tickets, failures, seconds: (performance.now() - start) / 1000 };
}
