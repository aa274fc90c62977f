// The maintenance job of the worker processes, run by a BullMQ job scheduler (so one
// worker runs each tick, however many there are):
//  - an event with a sale in PostgreSQL whose Redis state is gone (a flush, a failover to
//    an empty replica) is rebuilt from PostgreSQL; until then nothing of it is admitted;
//  - every live event is reconciled (at most every RECONCILE_EVERY_MS).
import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Deps } from "../deps.js";
import { rebuildEventState } from "../events/rebuild.service.js";
import { createBullConnection } from "../redis/client.js";
import { keys } from "../redis/keys.js";
import { reconcileEvent } from "./reconciler.js";

export const MAINTENANCE_QUEUE = "maintenance";
const PREFIX = "{dq}";
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
    this.#queue = new Queue(MAINTENANCE_QUEUE, { connection, prefix: PREFIX });
    this.#worker = new Worker(MAINTENANCE_QUEUE, () => runMaintenance(deps), {
      connection,
      prefix: PREFIX,
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

export async function runMaintenance(deps: Deps): Promise<void> {
  const selling = await deps.prisma.event.findMany({
    where: { status: { in: ["SCHEDULED", "LIVE", "PAUSED"] } },
    select: { id: true, status: true },
  });
  const present = await Promise.all(selling.map((e) => deps.redis.exists(keys.meta(e.id))));
  for (const [i, event] of selling.entries()) {
    if (present[i] === 0) await rebuildEventState(deps, event.id);
  }

  // One reconcile pass per RECONCILE_EVERY_MS across all worker processes.
  const due = await deps.redis.set("dq:reconcile-gate", "1", "PX", RECONCILE_EVERY_MS, "NX");
  if (due !== "OK") return;
  for (const event of selling) {
    if (event.status === "SCHEDULED") continue;
    const report = await reconcileEvent(deps, event.id, { repair: true });
    const drifted = report.products.filter((p) => p.drift !== 0 || p.settled > 0);
    if (drifted.length > 0) deps.log.warn({ eventId: event.id, products: drifted }, "reconciled");
  }
}
