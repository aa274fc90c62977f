// Prisma CLI configuration (tooling only: the application builds its client in src/db/client.ts).
// The CLI runs the JavaScript schema engine over the `pg` driver adapter, so `generate` and every
// `migrate` command work offline: no engine binary is ever downloaded.
import { randomUUID } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { defineConfig } from "prisma/config";

const databaseUrl = process.env.DATABASE_URL || undefined;

// DATABASE_URL is needed only by commands that connect, and the adapter factory below demands it.
// But Prisma 6.19 first resolves the schema's `url = env("DATABASE_URL")` in every command, to pick
// the query engine; when that fails it tries to download the native engine and dies offline with a
// network error. So, when unset, a placeholder the adapter never sees lets `generate` (postinstall on
// a clean clone, no env), `validate` and `format` run, and connecting commands reach the clear error.
if (databaseUrl === undefined) {
  process.env.DATABASE_URL = "postgresql://placeholder@localhost/never-connected";
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter: async () => new OfflinePrismaPg(connectionFields(requireDatabaseUrl())),
});

function requireDatabaseUrl(): string {
  if (databaseUrl === undefined) {
    throw new Error(
      "DATABASE_URL is not set. Prisma's migrate commands connect to it, e.g.\n" +
        "  DATABASE_URL=postgresql://postgres@127.0.0.1:5432/dropqueue npx prisma migrate deploy",
    );
  }
  return databaseUrl;
}

// -------------------------------------------------------------------------------------------------
// Workarounds for the JS schema engine over @prisma/adapter-pg 6.19, kept together so they can be
// deleted once upstream fixes them: https://github.com/prisma/orm/issues/27403
//
// 1. The schema engine reads PostgreSQL catalogs, whose columns have the types `name` (oid 19),
//    `"char"` (18) and their arrays (1003, 1002). The adapter maps each column to a Prisma type by
//    its type id and rejects `name`, `"char"` and `name[]` ("Column type 'name' could not be
//    deserialized"); pg has no parser for either array, so their values arrive as "{a,b}" strings.
//    `pg.types.setTypeParser` alone does not help (tried): the adapter looks at the id, not the
//    parser. So each query's result is relabelled before the adapter reads it: `name` as `text`
//    (25), `name[]` as `text[]` (1009), arrays parsed as `text[]`. `"char"` is relabelled as text
//    too, but then reported to the engine as a single character, as the classic engine does: it
//    reads `pg_constraint.contype` as a char and panics ("RuntimeError: unreachable") on text, which
//    any CHECK constraint triggers.
// 2. `migrate dev` and `migrate diff --from-migrations` use a shadow database. The adapter creates
//    it as `{...config, database}`, which a `connectionString` silently overrides (the "shadow"
//    would be the main database), and drops it before closing its own pool ("is being accessed by
//    other users"). So the connection is given as separate fields, and OfflinePrismaPg closes the
//    shadow pool first, then runs `DROP DATABASE … WITH (FORCE)`.
// 3. (Found here, same adapter.) `executeScript`, which applies each migration, splits the script on
//    every `;`, so a migration with a PL/pgSQL body (our LedgerEntry trigger) is cut into invalid
//    fragments ("unterminated dollar-quoted string"). The script is sent as one simple query
//    instead, as the classic engine does; PostgreSQL runs it in one implicit transaction.
// -------------------------------------------------------------------------------------------------

// Query parameters (sslmode, schema, …) are not carried over: add them here when needed.
function connectionFields(url: string): pg.PoolConfig {
  const parsed = new URL(url);
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: parsed.port ? Number(parsed.port) : 5432,
    user: decodeURIComponent(parsed.username) || undefined,
    password: decodeURIComponent(parsed.password) || undefined,
    database: decodeURIComponent(parsed.pathname.slice(1)) || undefined,
    // The CLI leaves the pool open when it is done; without this, idle connections keep each command
    // alive for pg's 10 s idle timeout.
    allowExitOnIdle: true,
  };
}

class OfflinePrismaPg extends PrismaPg {
  constructor(private readonly connection: pg.PoolConfig) {
    super(connection);
  }

  override async connect() {
    return patchAdapter(await super.connect());
  }

  override async connectToShadowDb() {
    const database = `prisma_migrate_shadow_db_${randomUUID()}`;
    await this.runOnMainDatabase(`CREATE DATABASE "${database}"`);
    const shadow = patchAdapter(await new PrismaPg({ ...this.connection, database }).connect());
    const closeShadowPool = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      try {
        await closeShadowPool();
      } finally {
        await this.runOnMainDatabase(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      }
    };
    return shadow;
  }

  private async runOnMainDatabase(sql: string): Promise<void> {
    const client = new pg.Client(this.connection);
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
}

type PrismaPgAdapter = Awaited<ReturnType<PrismaPg["connect"]>>;
type PgQueryable = Pick<PrismaPgAdapter, "queryRaw" | "executeRaw">;
type SqlQuery = Parameters<PgQueryable["queryRaw"]>[0];
// `performIO` is private in the adapter's typings: it runs a query and returns pg's raw result.
type WithPerformIO = { performIO(query: SqlQuery): Promise<pg.QueryArrayResult> };

function patchAdapter(adapter: PrismaPgAdapter): PrismaPgAdapter {
  readCatalogTypes(adapter);
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel) =>
    readCatalogTypes(await startTransaction(isolationLevel));
  // No parameters, so pg uses the simple query protocol, which takes many statements at once;
  // executeRaw maps PostgreSQL errors the way the schema engine expects.
  adapter.executeScript = async (script) => {
    await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
  };
  return adapter;
}

const CHARACTER_COLUMN = 6; // ColumnTypeEnum.Character of @prisma/driver-adapter-utils
const parseTextArray = (text: string): unknown[] => pg.types.arrayParser(text, (entry) => entry);
const charColumnsOfResult = new WeakMap<unknown[], number[]>();

function readCatalogTypes<Q extends PgQueryable>(queryable: Q): Q {
  const io = queryable as unknown as WithPerformIO;
  const performIO = io.performIO.bind(queryable);
  io.performIO = async (query) => {
    const result = await performIO(query);
    if (Array.isArray(result)) return result; // a multi-statement script: no rows to read
    const charColumns: number[] = [];
    result.fields.forEach((field, column) => {
      if (field.dataTypeID === 18) charColumns.push(column);
      if (field.dataTypeID === 18 || field.dataTypeID === 19) field.dataTypeID = 25;
      if (field.dataTypeID === 1002 || field.dataTypeID === 1003) {
        field.dataTypeID = 1009;
        for (const row of result.rows) {
          row[column] = row[column] === null ? null : parseTextArray(row[column]);
        }
      }
    });
    if (charColumns.length > 0) charColumnsOfResult.set(result.rows, charColumns);
    return result;
  };
  const queryRaw = queryable.queryRaw.bind(queryable);
  queryable.queryRaw = async (query) => {
    const result = await queryRaw(query);
    for (const column of charColumnsOfResult.get(result.rows) ?? []) {
      result.columnTypes[column] = CHARACTER_COLUMN;
    }
    return result;
  };
  return queryable;
}
