// The one way the application builds its Prisma client: the query compiler (`engineType = "client"`)
// over the `pg` driver adapter, so no native engine runs. The caller passes the URL (src/config.ts
// reads the environment) and calls `$disconnect()`, which also closes the pool.
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import { dbErrors } from "../metrics.js";

export type { Event, LedgerEntry, Order, Product } from "@prisma/client";
export { EventStatus, LedgerReason, OrderStatus, Prisma, PrismaClient } from "@prisma/client";

export interface CreatePrismaOptions {
  /** Most open connections in the pool; pg's default is 10. */
  max?: number;
}

export function createPrisma(databaseUrl: string, opts: CreatePrismaOptions = {}): PrismaClient {
  // Given a config (not a pg.Pool), the adapter owns its pool and ends it on `$disconnect()`.
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: opts.max });
  // Failed queries are counted (dropqueue_db_errors_total) as they happen, in every process;
  // the caller still gets the error. The "event" log level prints nothing by itself.
  const prisma = new PrismaClient({ adapter, log: [{ emit: "event", level: "error" }] });
  prisma.$on("error", (event) => dbErrors.inc({ op: event.target }));
  return prisma;
}
