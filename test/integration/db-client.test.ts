// createPrisma's pool gets every connection back, whatever ends a transaction: a COMMIT the
// server refuses, a ROLLBACK that gets no answer. (An outage cutting transactions off is in
// postgres-outage.test.ts.) Real PostgreSQL; a pool of one connection, so one lost is all of them.
import { randomInt } from "node:crypto";
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { createPrisma } from "../../src/db/client.js";

const databaseUrl = inject("databaseUrl");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Whether `promise` settles within `ms` (a hang is the failure being looked for). */
const within = (promise: Promise<unknown>, ms: number) =>
  Promise.race([promise.then(() => true), sleep(ms).then(() => false)]);

describe("createPrisma's pool", () => {
  it("a COMMIT the server refuses gives the connection back", async () => {
    const prisma = createPrisma(databaseUrl, { max: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        // A deferred unique constraint is checked at COMMIT, which then fails.
        const refused = prisma.$transaction(async (tx) => {
          await tx.$executeRawUnsafe(
            "CREATE TEMP TABLE deferred_check (x int UNIQUE DEFERRABLE INITIALLY DEFERRED) ON COMMIT DROP",
          );
          await tx.$executeRawUnsafe("INSERT INTO deferred_check VALUES (1), (1)");
        });
        await expect(refused).rejects.toThrow(/UniqueConstraintViolation|duplicate key/);
      }
      expect(await within(prisma.$queryRaw`SELECT 1`, 3000), "a query after the refused commits").toBe(true);
    } finally {
      expect(await within(prisma.$disconnect(), 3000), "prisma.$disconnect()").toBe(true);
    }
  });

  it("a transaction whose ROLLBACK gets no answer gives its connection up after the deadline", async () => {
    const prisma = createPrisma(databaseUrl, { max: 1, rollbackDeadlineMs: 500 });
    const holder = new pg.Client({ connectionString: databaseUrl });
    await holder.connect();
    const key = randomInt(1, 2 ** 31);
    try {
      await holder.query("SELECT pg_advisory_lock($1)", [key]);
      // The statement waits for the lock; Prisma's timeout ends the transaction with a ROLLBACK,
      // which pg queues behind that statement: no answer while the lock is held.
      const stuck = prisma.$transaction(
        async (tx) => {
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(${key}::int)`;
        },
        { timeout: 300 },
      );
      await expect(stuck).rejects.toThrow();
      // The lock is still held: only a new connection can answer.
      expect(await within(prisma.$queryRaw`SELECT 1`, 3000), "a query while the lock is still held").toBe(
        true,
      );
    } finally {
      await holder.end();
      expect(await within(prisma.$disconnect(), 3000), "prisma.$disconnect()").toBe(true);
    }
  });
});
