// The one way the application builds its Prisma client: the query compiler (`engineType = "client"`)
// over the `pg` driver adapter, so no native engine runs. The caller passes the URL (src/config.ts
// reads the environment) and calls `$disconnect()`, which also closes the pool.
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "@prisma/client";
import type pg from "pg";
import { dbErrors } from "../metrics.js";

export type { Event, Order, Product, Stock, StockMovement } from "@prisma/client";
export { EventStatus, OrderStatus, Prisma, PrismaClient, StockMovementReason } from "@prisma/client";

export interface CreatePrismaOptions {
  /** Most open connections in the pool; pg's default is 10. */
  max?: number;
  /**
   * How long a transaction's ROLLBACK may take before its connection is given up on (closed and
   * dropped from the pool). A ROLLBACK waits behind the transaction's statement still running,
   * so this also bounds a statement the server (or the network) never answers.
   */
  rollbackDeadlineMs?: number;
}

export function createPrisma(databaseUrl: string, opts: CreatePrismaOptions = {}): PrismaClient {
  // Given a config (not a pg.Pool), the adapter owns its pool and ends it on `$disconnect()`.
  const adapter = new ReclaimingPrismaPg(
    { connectionString: databaseUrl, max: opts.max },
    opts.rollbackDeadlineMs ?? 5_000,
  );
  // Failed queries are counted (dropqueue_db_errors_total) as they happen, in every process;
  // the caller still gets the error. The "event" log level prints nothing by itself.
  const prisma = new PrismaClient({ adapter, log: [{ emit: "event", level: "error" }] });
  prisma.$on("error", (event) => dbErrors.inc({ op: event.target }));
  return prisma;
}

// -------------------------------------------------------------------------------------------------
// Workaround for Prisma 6.19's interactive transactions over @prisma/adapter-pg, to delete once
// upstream closes a transaction whatever its last statement does.
//
// Prisma's transaction manager ends `$transaction(async (tx) => …)` by running COMMIT or ROLLBACK
// and only then calling the adapter's commit()/rollback(), which is what releases the pg client
// to the pool (client-engine-runtime, TransactionManager#closeTransaction). When that statement
// throws — the server went away mid-transaction — the client is never released: each transaction
// cut off by an outage takes one connection out of the pool for good; with as many cut off as the
// pool is large, no query runs again after PostgreSQL is back, and `$disconnect()` (the SIGTERM
// drain) waits forever. The same pattern, fixed elsewhere: "release the client with the error when
// ROLLBACK fails, so pg-pool destroys it" (node-postgres' `release(err)` semantics).
//
// So every transaction the adapter starts is wrapped: a COMMIT or ROLLBACK that fails releases its
// client with the error (pg-pool closes it, which ends the transaction on the server, and opens a
// new one when needed); a ROLLBACK that gets no answer within the deadline does the same; and the
// client is released at most once, so a late commit()/rollback() cannot hand back a client that is
// by then someone else's (prisma/orm#29952).
// Every caller of `prisma.$transaction` gets this; none has to change.
// -------------------------------------------------------------------------------------------------

type PgAdapter = Awaited<ReturnType<PrismaPg["connect"]>>;
type PgTransaction = Awaited<ReturnType<PgAdapter["startTransaction"]>>;
type SqlQuery = Parameters<PgTransaction["executeRaw"]>[0];
// PgTransaction's fields, which its typings (the generic Transaction) do not show.
type PgTransactionInternals = { client: pg.PoolClient; cleanup?: () => void };

const CLOSING = /^\s*(COMMIT|ROLLBACK)\s*;?\s*$/i;

class ReclaimingPrismaPg extends PrismaPg {
  constructor(
    config: pg.PoolConfig,
    private readonly rollbackDeadlineMs: number,
  ) {
    super(config);
  }

  override async connect(): Promise<PgAdapter> {
    const adapter = await super.connect();
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) =>
      releasedWhateverHappens(await startTransaction(isolationLevel), this.rollbackDeadlineMs);
    return adapter;
  }
}

function releasedWhateverHappens(tx: PgTransaction, rollbackDeadlineMs: number): PgTransaction {
  const internals = tx as unknown as PgTransactionInternals;
  const client = internals.client;
  let released = false;
  /** Gives the client back once; with an error, pg-pool closes it instead of reusing it. */
  const release = (err?: Error) => {
    if (released) return;
    released = true;
    internals.cleanup?.();
    client.release(err);
  };

  const executeRaw = tx.executeRaw.bind(tx);
  tx.executeRaw = async (query: SqlQuery) => {
    const closing = CLOSING.exec(query.sql)?.[1]?.toUpperCase();
    if (!closing) return executeRaw(query);
    if (released) throw new Error(`${closing} on a transaction whose connection is already given back`);
    const statement = executeRaw(query);
    try {
      return closing === "ROLLBACK" ? await withDeadline(statement, rollbackDeadlineMs) : await statement;
    } catch (err) {
      release(err instanceof Error ? err : new Error(String(err)));
      // A COMMIT that failed did not commit (or nobody knows): the caller must hear it. A ROLLBACK
      // is done all the same: closing the connection ends its transaction on the server. And
      // Prisma runs the ROLLBACK of a timed-out transaction from a timer, where a rejection
      // would be unhandled (and end the process).
      if (closing === "COMMIT") throw err;
      return 0;
    }
  };
  tx.commit = async () => release();
  tx.rollback = async () => release();
  return tx;
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`ROLLBACK got no answer within ${ms} ms: the connection is dropped`)),
      ms,
    );
  });
  work.catch(() => {}); // once the deadline has answered, the statement's own end is nobody's
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
