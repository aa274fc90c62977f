// The migrations are the only source of the database shape: they build it from nothing, match
// schema.prisma, and carry the rules Prisma cannot express (an insert-only ledger, CHECKs).
// Real PostgreSQL throughout; every test makes its own ids.
import { randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createPrisma, OrderStatus, Prisma, type PrismaClient } from "../../src/db/client.js";
import { createDatabaseIfMissing, dropDatabase } from "../../src/db/databases.js";
import { runPrisma } from "../../src/devstack/index.js";
import { eventStock } from "../../src/redis/keys.js";

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
        expect.arrayContaining(["Event", "Product", "Order", "Stock", "StockMovement"]),
      );
      expect(rows.map((row) => row.table_name)).not.toContain("LedgerEntry");
    } finally {
      await dropDatabase(freshUrl);
    }
  });

  it("carry the event products' totals and the sale's ledger into the stock core (issue 13)", async () => {
    const url = new URL(databaseUrl);
    url.pathname = `/dq_migrations_${randomUUID().replaceAll("-", "")}`;
    const freshUrl = url.toString();
    await createDatabaseIfMissing(freshUrl);
    const client = new pg.Client({ connectionString: freshUrl });
    await client.connect();
    try {
      // The database as it stood before the migration, applied file by file (each one script).
      const dir = new URL("../../prisma/migrations/", import.meta.url);
      const CORE = "20261205030000_event_stocks";
      const folders = (await readdir(dir)).filter((name) => /^\d{14}_/.test(name)).sort();
      expect(folders).toContain(CORE);
      const sql = (name: string) => readFile(new URL(`${name}/migration.sql`, dir), "utf8");
      for (const name of folders.filter((n) => n < CORE)) await client.query(await sql(name));

      await client.query(`
        INSERT INTO "Event" (id, name, status, "admissionRate", "perUserLimit", "firstLiveAt", "archivedAt", "updatedAt")
        VALUES ('ev_draft', 'Draft', 'DRAFT', 10, 1, NULL, NULL, now()),
               ('ev_live', 'Live', 'LIVE', 10, 1, now(), NULL, now()),
               ('ev_gone', 'Archived', 'ENDED', 10, 1, now(), now(), now());
        INSERT INTO "Product" ("eventId", sku, name, "priceCents", total, "liveTotal", "perUserLimit")
        VALUES ('ev_draft', 'A', 'Draft sneaker', 100, 5, NULL, 2),
               ('ev_live', 'A', 'Live sneaker', 100, 8, 10, NULL),
               ('ev_live', 'B', 'Live boot', 100, 4, 4, NULL),
               ('ev_gone', 'A', 'Old sneaker', 100, 3, 3, NULL);
        INSERT INTO "LedgerEntry" ("eventId", sku, reason, quantity, reference, "createdAt")
        VALUES ('ev_live', 'A', 'INITIAL', 10, 'create', '2026-12-01T10:00:00Z'),
               ('ev_live', 'B', 'INITIAL', 4, 'create', '2026-12-01T10:00:00Z'),
               ('ev_live', 'A', 'ADJUST', -2, 'admin', '2026-12-01T10:01:00Z'),
               ('ev_live', 'A', 'RESERVE', 1, 't1', '2026-12-01T10:02:00Z'),
               ('ev_live', 'A', 'SALE', 1, 'o1', '2026-12-01T10:02:00Z'),
               ('ev_live', 'A', 'RESERVE', 2, 't2', '2026-12-01T10:03:00Z'),
               ('ev_live', 'A', 'RESTORE', 2, 'o2', '2026-12-01T10:03:00Z'),
               ('ev_live', 'A', 'CANCEL', 1, 'o1', '2026-12-01T10:04:00Z');
      `);
      await client.query(await sql(CORE));

      const stocks = await client.query(
        `SELECT p."eventId", p.sku, s.id, s.kind, s."group", s.name, s.status::text, s.total, s."liveTotal",
                s."perUserLimit", s."archivedAt" IS NOT NULL AS archived
         FROM "Product" p JOIN "Stock" s ON s.id = p."stockId" ORDER BY s.id`,
      );
      const stock = (eventId: string, sku: string, total: number, rest: object) => ({
        eventId,
        sku,
        id: eventStock(eventId, sku).stockId,
        kind: "EVENT",
        group: eventStock(eventId, sku).group,
        total,
        ...rest,
      });
      expect(stocks.rows).toEqual([
        stock("ev_draft", "A", 5, {
          name: "Draft sneaker",
          status: "DRAFT",
          liveTotal: null,
          perUserLimit: 2,
          archived: false,
        }),
        stock("ev_gone", "A", 3, {
          name: "Old sneaker",
          status: "CLOSED",
          liveTotal: 3,
          perUserLimit: null,
          archived: true,
        }),
        stock("ev_live", "A", 8, {
          name: "Live sneaker",
          status: "LIVE",
          liveTotal: 10,
          perUserLimit: null,
          archived: false,
        }),
        stock("ev_live", "B", 4, {
          name: "Live boot",
          status: "LIVE",
          liveTotal: 4,
          perUserLimit: null,
          archived: false,
        }),
      ]);
      const ledger = await client.query(
        `SELECT "stockId", reason::text, quantity, reference, "createdAt" FROM "StockMovement" ORDER BY id`,
      );
      const at = (minute: number) => new Date(`2026-12-01T10:0${minute}:00Z`);
      const [A, B] = [eventStock("ev_live", "A").stockId, eventStock("ev_live", "B").stockId];
      expect(ledger.rows).toEqual([
        { stockId: A, reason: "INITIAL", quantity: 10, reference: "create", createdAt: at(0) },
        { stockId: B, reason: "INITIAL", quantity: 4, reference: "create", createdAt: at(0) },
        { stockId: A, reason: "ADJUST", quantity: -2, reference: "admin", createdAt: at(1) },
        { stockId: A, reason: "TAKE", quantity: 1, reference: "t1", createdAt: at(2) },
        { stockId: A, reason: "CONFIRM", quantity: 1, reference: "o1", createdAt: at(2) },
        { stockId: A, reason: "TAKE", quantity: 2, reference: "t2", createdAt: at(3) },
        { stockId: A, reason: "RELEASE", quantity: 2, reference: "o2", createdAt: at(3) },
        { stockId: A, reason: "RETURN", quantity: 1, reference: "o1", createdAt: at(4) },
      ]);
      const gone = await client.query(
        `SELECT to_regclass('"LedgerEntry"') AS tab, to_regtype('"LedgerReason"') AS typ,
                (SELECT count(*)::int FROM information_schema.columns
                 WHERE table_name = 'Product' AND column_name IN ('total', 'liveTotal', 'perUserLimit')) AS columns`,
      );
      expect(gone.rows).toEqual([{ tab: null, typ: null, columns: 0 }]);
    } finally {
      await client.end();
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

  // The one ledger (issue 13): the core's StockMovement, which an event's sale writes too.
  async function movement(stockId = `stk-${randomUUID()}`) {
    return prisma.stockMovement.create({
      data: { stockId, reason: "INITIAL", quantity: 5, reference: "admin" },
    });
  }

  it("keeps StockMovement insert-only", async () => {
    const entry = await movement();

    // Plain SQL: the database itself refuses, whatever the client.
    await expect(
      prisma.$executeRaw`UPDATE "StockMovement" SET "quantity" = 6 WHERE "id" = ${entry.id}`,
    ).rejects.toThrow(/StockMovement is insert-only/);
    await expect(prisma.$executeRaw`DELETE FROM "StockMovement" WHERE "id" = ${entry.id}`).rejects.toThrow(
      /StockMovement is insert-only/,
    );
    // And through the model API, which the application uses.
    await expect(
      prisma.stockMovement.update({ where: { id: entry.id }, data: { quantity: 6 } }),
    ).rejects.toThrow(/StockMovement is insert-only/);

    const after = await prisma.stockMovement.findUniqueOrThrow({ where: { id: entry.id } });
    expect(after.quantity).toBe(5);
  });

  it("refuses TRUNCATE of the ledger, even to its owner (issue 12)", async () => {
    const entry = await movement();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      // Inside a transaction rolled back whatever happens: on a database without the guard the
      // TRUNCATE would pass, and must not empty the shared test ledger.
      await client.query("BEGIN");
      const truncate = await client.query('TRUNCATE "StockMovement" CASCADE').then(
        () => "truncated",
        (err: Error) => err.message,
      );
      await client.query("ROLLBACK");
      expect(truncate).toMatch(/StockMovement is insert-only: TRUNCATE/);
      expect(await prisma.stockMovement.count({ where: { stockId: entry.stockId } })).toBe(1);
    } finally {
      await client.end();
    }
  });

  it("gives the app role only what it needs: no UPDATE, DELETE or TRUNCATE on the ledger, owns nothing", async () => {
    const eventId = await createEvent();
    const entry = await movement();
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

      expect(await asApp('TRUNCATE "StockMovement"')).toMatch(/permission denied/);
      expect(await asApp('DELETE FROM "StockMovement" WHERE id = $1', [entry.id])).toMatch(
        /permission denied/,
      );
      expect(await asApp('UPDATE "StockMovement" SET quantity = 6 WHERE id = $1', [entry.id])).toMatch(
        /permission denied/,
      );
      expect(await asApp('ALTER TABLE "StockMovement" DISABLE TRIGGER ALL')).toMatch(/must be owner/);
      // What the processes do is allowed.
      expect(
        await asApp(
          `INSERT INTO "StockMovement" ("stockId", reason, quantity, reference) VALUES ($1, 'ADJUST', 1, 'admin')`,
          [entry.stockId],
        ),
      ).toBe("ok");
      expect(await asApp('UPDATE "Event" SET name = name WHERE id = $1', [eventId])).toBe("ok");
      expect(await asApp('SELECT 1 FROM "Event" WHERE id = $1 FOR UPDATE', [eventId])).toBe("ok");
      expect(await asApp(`UPDATE "Stock" SET total = total WHERE id = $1`, [entry.stockId])).toBe("ok");
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
    const stock = (id: string, total: number) =>
      prisma.stock.create({ data: { id, name: "Sneaker", kind: "EVENT", group: `ev:${eventId}`, total } });
    await stock(`${eventId}.b`, 1);
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
      stock(`${eventId}.a`, -1),
      prisma.product.create({
        data: { eventId, sku: "b", name: "Sneaker", priceCents: -1, stockId: `${eventId}.b` },
      }),
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
