-- The ledger cannot be emptied, and the application connects as a role that could not if it tried.

-- TRUNCATE fires no row trigger: "LedgerEntry_insert_only" never sees it. A statement-level
-- trigger refuses it (only the table's owner can disable it, and the app does not own it).
CREATE FUNCTION "LedgerEntry_no_truncate"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'LedgerEntry is insert-only: TRUNCATE is not allowed'
    USING ERRCODE = 'restrict_violation',
          HINT = 'Record a correction as a new LedgerEntry (reason ADJUST, RESTORE or CANCEL).';
END;
$$;

CREATE TRIGGER "LedgerEntry_no_truncate"
  BEFORE TRUNCATE ON "LedgerEntry"
  FOR EACH STATEMENT EXECUTE FUNCTION "LedgerEntry_no_truncate"();

-- dropqueue_app: the role the API and worker processes log in as (README, docker-compose.yml).
-- It owns nothing, is no superuser, cannot create roles or databases, and has only the rights
-- the processes use: read, insert and update the sale's tables, and only read and insert the
-- ledger (no UPDATE, DELETE or TRUNCATE). Migrations run as the owner (the superuser that made
-- the database). Roles are cluster-wide and several databases may share a cluster, each
-- running this migration: create the role only when missing, and tolerate a concurrent create.
-- No password here: set one out of band (`ALTER ROLE dropqueue_app PASSWORD ...`) where
-- connections need one.
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'dropqueue_app') THEN
    BEGIN
      CREATE ROLE dropqueue_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL; -- another database's migration created it at the same moment
    END;
  END IF;
  EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO dropqueue_app', current_database());
END;
$$;

GRANT USAGE ON SCHEMA public TO dropqueue_app;
GRANT SELECT, INSERT, UPDATE ON "Event", "Product", "Order", "Ticket" TO dropqueue_app;
GRANT SELECT, INSERT ON "LedgerEntry" TO dropqueue_app;
GRANT USAGE ON SEQUENCE "LedgerEntry_id_seq" TO dropqueue_app;
