// Sets the password of dropqueue_app, the least-privilege role the migrations create and the API
// and worker processes log in as. Run as the database owner (DATABASE_URL) right after the
// migrations, with the password in APP_DB_PASSWORD (docker-compose.yml's `migrate` does).
import pg from "pg";

const password = process.env.APP_DB_PASSWORD ?? "";
if (password.length < 12) {
  process.stderr.write("APP_DB_PASSWORD must be at least 12 characters\n");
  process.exit(1);
}
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
await client.connect();
try {
  // ALTER ROLE takes no bind parameters: quote the literal in the database itself.
  const { rows } = await client.query<{ sql: string }>(
    "SELECT format('ALTER ROLE dropqueue_app PASSWORD %L', $1::text) AS sql",
    [password],
  );
  await client.query(rows[0]?.sql ?? "");
} finally {
  await client.end();
}
