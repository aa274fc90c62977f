// The migrations are the only source of the database shape: they build it from nothing, match
// schema.prisma, and carry the rules Prisma cannot express (an insert-only ledger, CHECKs).
// Real PostgreSQL throughout; every test makes its own ids.
import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createPrisma, OrderStatus, Prisma, type PrismaClient } from "../../src/db/client.js";
import { createDatabaseIfMissing, dropDatabase } from "../../src/db/databases.js";
import { runPrisma } from "../../src/devstack/index.js";

const databaseUrl = inject("databaseUrl");

describe("migrations", () => {
  it("build the schema from an empty database", async () => {
    const url = new URL(databaseUrl);
    url.pathname = `/dq_migrations_${randomUUID().replaceAll("-", "")}`;
    const freshUrl = url.toString();
    await createDatabaseIfMissing(freshUrl);
    try {
      await runPrisma(["migrate", "deploy"], freshUrl);

      const client = new pg.Client({ connectionString: freshUrl });
      await client.connect();
      const { rows } = await client
        .query<{ table_name: string }>(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .finally(() => client.end());
      expect(rows.map((row) => row.table_name)).toEqual(
        expect.arrayContaining(["Event", "Product", "Order", "LedgerEntry"]),
      );
    } finally {
      await dropDatabase(freshUrl);
    }
  });

  it("match schema.prisma: no drift", async () => {
    // Replays the migrations in a shadow database (see prisma.config.ts) and diffs the result
    // against the schema; --exit-code makes any difference a non-zero exit, which runPrisma rejects.
    const { stdout } = await runPrisma(
      [
        "migrate",
        "diff",
        "--from-migrations",
        "prisma/migrations",
        "--to-schema-datamodel",
        "prisma/schema.prisma",
        "--exit-code",
      ],
      databaseUrl,
    );
    expect(stdout).toContain("No difference detected");
  });
});

describe("database rules", () => {
  let prisma: PrismaClient;

  beforeAll(() => {
    prisma = createPrisma(databaseUrl, { max: 2 });
  });

  afterAll(async () => {
    await prisma.$disconnect();
  });

  async function createEvent(): Promise<string> {
    const eventId = `ev-${randomUUID()}`;
    await prisma.event.create({ data: { id: eventId, name: "migrations test", admissionRate: 10 } });
    return eventId;
  }

  it("keeps LedgerEntry insert-only", async () => {
    const eventId = await createEvent();
    const entry = await prisma.ledgerEntry.create({
      data: { eventId, sku: "sku-1", reason: "INITIAL", quantity: 5, reference: "admin" },
    });

    // Plain SQL: the database itself refuses, whatever the client.
    await expect(
      prisma.$executeRaw`UPDATE "LedgerEntry" SET "quantity" = 6 WHERE "id" = ${entry.id}`,
    ).rejects.toThrow(/LedgerEntry is insert-only/);
    await expect(prisma.$executeRaw`DELETE FROM "LedgerEntry" WHERE "id" = ${entry.id}`).rejects.toThrow(
      /LedgerEntry is insert-only/,
    );
    // And through the model API, which the application uses.
    await expect(
      prisma.ledgerEntry.update({ where: { id: entry.id }, data: { quantity: 6 } }),
    ).rejects.toThrow(/LedgerEntry is insert-only/);

    const after = await prisma.ledgerEntry.findUniqueOrThrow({ where: { id: entry.id } });
    expect(after.quantity).toBe(5);
  });

  it("refuses TRUNCATE of the ledger, even to its owner (issue 12)", async () => {
    const eventId = await createEvent();
    await prisma.ledgerEntry.create({
      data: { eventId, sku: "sku-1", reason: "INITIAL", quantity: 5, reference: "admin" },
    });
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      // Inside a transaction rolled back whatever happens: on a database without the guard the
      // TRUNCATE would pass, and must not empty the shared test ledger.
      await client.query("BEGIN");
      const truncate = await client.query('TRUNCATE "LedgerEntry" CASCADE').then(
        () => "truncated",
        (err: Error) => err.message,
      );
      await client.query("ROLLBACK");
      expect(truncate).toMatch(/LedgerEntry is insert-only: TRUNCATE/);
      expect(await prisma.ledgerEntry.count({ where: { eventId } })).toBe(1);
    } finally {
      await client.end();
    }
  });

  it("gives the app role only what it needs: no UPDATE, DELETE or TRUNCATE on the ledger, owns nothing", async () => {
    const eventId = await createEvent();
    const entry = await prisma.ledgerEntry.create({
      data: { eventId, sku: "sku-1", reason: "INITIAL", quantity: 5, reference: "admin" },
    });
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const asApp = async (sql: string, params: unknown[] = []) => {
      await client.query("BEGIN");
      try {
        await client.query("SET LOCAL ROLE dropqueue_app");
        await client.query(sql, params);
        return "ok";
      } catch (err) {
        return (err as Error).message;
      } finally {
        await client.query("ROLLBACK");
      }
    };
    try {
      const role = await client.query(
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = 'dropqueue_app'",
      );
      expect(role.rows).toEqual([
        { rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolbypassrls: false, rolcanlogin: true },
      ]);
      const owned = await client.query(
        "SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = 'dropqueue_app'",
      );
      expect(owned.rows).toEqual([]);

      expect(await asApp('TRUNCATE "LedgerEntry"')).toMatch(/permission denied/);
      expect(await asApp('DELETE FROM "LedgerEntry" WHERE id = $1', [entry.id])).toMatch(/permission denied/);
      expect(await asApp('UPDATE "LedgerEntry" SET quantity = 6 WHERE id = $1', [entry.id])).toMatch(
        /permission denied/,
      );
      expect(await asApp('ALTER TABLE "LedgerEntry" DISABLE TRIGGER ALL')).toMatch(/must be owner/);
      // What the processes do is allowed.
      expect(
        await asApp(
          `INSERT INTO "LedgerEntry" ("eventId", sku, reason, quantity, reference) VALUES ($1, 'sku-1', 'ADJUST', 1, 'admin')`,
          [eventId],
        ),
      ).toBe("ok");
      expect(await asApp('UPDATE "Event" SET name = name WHERE id = $1', [eventId])).toBe("ok");
      expect(await asApp('SELECT 1 FROM "Event" WHERE id = $1 FOR UPDATE', [eventId])).toBe("ok");
    } finally {
      await client.end();
    }
  });

  it("allows one order per ticket", async () => {
    const eventId = await createEvent();
    const ticketId = `ticket-${randomUUID()}`;
    const order = () => ({
      id: `order-${randomUUID()}`,
      ticketId,
      eventId,
      sku: "sku-1",
      userId: "user-1",
      quantity: 1,
      amountCents: 1_000,
      status: OrderStatus.CONFIRMED,
    });

    await prisma.order.create({ data: order() });
    const duplicate = prisma.order.create({ data: order() });

    await expect(duplicate).rejects.toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
    await expect(duplicate).rejects.toMatchObject({ code: "P2002" });
    expect(await prisma.order.count({ where: { ticketId } })).toBe(1);
  });

  it("rejects negative stock or price, empty orders and impossible event rates", async () => {
    const eventId = await createEvent();
    const product = { eventId, name: "Sneaker", priceCents: 100, total: 1 };
    const order = {
      id: `order-${randomUUID()}`,
      ticketId: `ticket-${randomUUID()}`,
      eventId,
      sku: "sku-1",
      userId: "user-1",
      amountCents: 0,
      status: OrderStatus.CONFIRMED,
    };
    const violations = [
      prisma.product.create({ data: { ...product, sku: "a", total: -1 } }),
      prisma.product.create({ data: { ...product, sku: "b", priceCents: -1 } }),
      prisma.order.create({ data: { ...order, quantity: 0 } }),
      prisma.event.create({ data: { id: `ev-${randomUUID()}`, name: "x", admissionRate: 0 } }),
      prisma.event.create({
        data: { id: `ev-${randomUUID()}`, name: "x", admissionRate: 1, paymentFailureRate: 1.5 },
      }),
    ];
    for (const violation of violations) {
      await expect(violation).rejects.toThrow(/violates check constraint/);
    }
  });
});
