// The maintenance job of the worker processes, run by a BullMQ job scheduler (so one worker
// runs each tick, however many there are): one pass of the convergence loop (converge.ts)
// over every event not archived, then the refunds whose job was lost are asked again. The schedulers themselves live in Redis: each worker
// upserts them again every few ticks, so a Redis loss cannot stop the loop.
import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Deps } from "../deps.js";
import { reaskLostRefunds } from "../purchase/refunds.js";
import { createBullConnection } from "../redis/client.js";
import { keys } from "../redis/keys.js";
import { convergeEvent, eventsToConverge } from "./converge.js";
import { convergeStocks } from "./stocks.js";

export const MAINTENANCE_QUEUE = "maintenance";
const RECONCILE_EVERY_MS = 10_000;

export interface MaintenanceOptions {
  tickMs?: number;
}

export class MaintenanceWorker {
  readonly #queue: Queue;
  readonly #worker: Worker;
  readonly #connection: Redis;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: Deps,
    private readonly opts: MaintenanceOptions = {},
  ) {
    // BullMQ's workers need a connection that retries forever rather than failing commands.
    const connection = createBullConnection(deps.config);
    this.#connection = connection;
    const prefix = keys.maintenancePrefix();
    this.#queue = new Queue(MAINTENANCE_QUEUE, { connection, prefix });
    this.#worker = new Worker(MAINTENANCE_QUEUE, () => runMaintenance(deps), {
      connection,
      prefix,
      concurrency: 1,
      autorun: false,
    });
    this.#worker.on("error", (err) => deps.log.error({ err }, "maintenance worker error"));
  }

  async start(): Promise<void> {
    await this.#schedule();
    // Upserting is idempotent; doing it again brings the schedule back after a Redis loss.
    this.#timer = setInterval(
      () => {
        this.#schedule().catch((err) => this.deps.log.warn({ err }, "could not schedule maintenance"));
      },
      Math.max(1000, (this.opts.tickMs ?? 2000) * 4),
    );
    this.#timer.unref();
    void this.#worker.run();
  }

  #schedule() {
    return this.#queue.upsertJobScheduler(
      "maintenance",
      { every: this.opts.tickMs ?? 2000 },
      { name: "maintenance", opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#worker.close();
    await this.#queue.close();
    this.#connection.disconnect();
  }
}

/**
 * One pass over every event not archived (one event's failure does not stop the others), then
 * over the stock core's stocks and takes, and over the refunds (they span events, and outlive
 * an archived one).
 */
export async function runMaintenance(deps: Deps): Promise<void> {
  const events = await eventsToConverge(deps);
  // The costly reconcile runs once per RECONCILE_EVERY_MS across all worker processes.
  const reconcile =
    (await deps.redis.set(keys.reconcileGate(), "1", "PX", RECONCILE_EVERY_MS, "NX")) === "OK";
  for (const event of events) {
    try {
      await convergeEvent(deps, event, { reconcile });
    } catch (err) {
      deps.log.warn({ err, eventId: event.id }, "could not converge the event this pass");
    }
  }
  try {
    await convergeStocks(deps, { reconcile });
  } catch (err) {
    deps.log.warn({ err }, "could not converge the stocks this pass");
  }
  try {
    await reaskLostRefunds(deps);
  } catch (err) {
    deps.log.warn({ err }, "could not look for lost refunds this pass");
  }
}
