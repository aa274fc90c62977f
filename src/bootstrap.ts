// Builds a process's dependencies from its config, and takes them down again. Used by
// server.ts, the worker entry point, the demo, the surge tool and the tests alike.
import pino from "pino";
import type { Config } from "./config.js";
import { createPrisma } from "./db/client.js";
import type { Deps } from "./deps.js";
import { PurchaseQueues } from "./purchase/jobs.js";
import { OrderStore } from "./purchase/order-store.js";
import { createRedis } from "./redis/client.js";
import { TakeStore } from "./stock/take-store.js";
import { TicketStore } from "./waiting-room/ticket-store.js";

export function createDeps(config: Config, opts: { name: string; dbPoolSize?: number }): Deps {
  const log = pino({ name: opts.name, level: config.logLevel });
  const redis = createRedis(config);
  redis.on("error", (err) => log.warn({ err: err.message }, "redis connection error"));
  const prisma = createPrisma(config.databaseUrl, { max: opts.dbPoolSize ?? 10 });
  const queues = new PurchaseQueues(redis, config.worker);
  return {
    config,
    redis,
    prisma,
    queues,
    tickets: new TicketStore(prisma),
    orders: new OrderStore(prisma),
    takes: new TakeStore(prisma),
    log,
  };
}

export async function closeDeps(deps: Deps): Promise<void> {
  await deps.queues.close();
  // $disconnect ends the pool, which waits for every connection lent out. createPrisma gets back
  // those of transactions cut off by a lost server (src/db/client.ts); bounded all the same, for
  // a statement the network swallowed whole (no answer, no reset) outside any transaction.
  await Promise.race([
    deps.prisma.$disconnect(),
    new Promise((resolve) => setTimeout(resolve, 5_000).unref()),
  ]);
  deps.redis.disconnect();
}

/** Runs `drain` once on SIGTERM or SIGINT, then exits 0 (1 if draining failed). */
export function onShutdown(log: Deps["log"], drain: () => Promise<void>): void {
  let draining = false;
  const handler = (signal: NodeJS.Signals) => {
    if (draining) return;
    draining = true;
    log.info({ signal }, "draining");
    drain()
      .then(() => process.exit(0))
      .catch((err) => {
        log.error({ err }, "drain failed");
        process.exit(1);
      });
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
}
