// A PostgreSQL database of a test file's own, migrated, on the test server: for stacks
// whose maintenance job would otherwise rebuild every selling event the shared test
// database holds from other tests.
import { inject } from "vitest";
import { createDatabaseIfMissing, dropDatabase } from "../../src/db/databases.js";
import { migrate } from "../../src/devstack/index.js";

export interface OwnDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function ownDatabase(name: string): Promise<OwnDatabase> {
  const url = inject("databaseUrl").replace(/\/[^/]*$/, `/dropqueue_${name}_${process.pid}`);
  await dropDatabase(url);
  await createDatabaseIfMissing(url);
  await migrate(url);
  return { url, drop: () => dropDatabase(url) };
}
