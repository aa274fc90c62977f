// `npm run demo`: the whole product on one machine, for a newcomer. It finds (or starts) Redis and
// PostgreSQL, applies the migrations, runs one API and one worker process, creates a live demo sale
// and prints where to look. Ctrl-C stops everything it started, in order, and leaves no process behind.
// The servers, processes and migrations come from the local-stack toolkit (src/devstack/).
//
// Everything the demo starts runs in its own process group (`detached`): a terminal Ctrl-C then
// reaches only this script, which stops the API and worker first (they drain their purchases) and the
// databases last. A database in our own group would get the same Ctrl-C and die while the worker still
// needs it.

import { randomBytes } from "node:crypto";
import path from "node:path";
import { type Config, ConfigError, loadConfig } from "../src/config.js";
import { createDatabaseIfMissing, databaseName } from "../src/db/databases.js";
import {
  assertPortFree,
  findRedisServer,
  indent,
  killAllNow,
  type LocalProcess,
  migrate,
  poll,
  probePostgres,
  ROOT,
  redisAnswers,
  StackError,
  startLocalPostgres,
  startLocalRedis,
  startProcess,
} from "../src/devstack/index.js";

const DATA_DIR = path.join(ROOT, ".data");
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
class DemoError extends StackError {}

/** The URL without its password, for printing. */
function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

// ------------------------------------------------------------------------------------------------
// What the demo started, and stopping it
// ------------------------------------------------------------------------------------------------

/** The API and worker: stopped first, so they drain while the databases still answer. */
const apps = new Set<LocalProcess>();
/** Redis and PostgreSQL, when the demo started them: stopped last. */
const services = new Set<LocalProcess>();
let shuttingDown = false;

/** Anything the demo started ending by itself is a failure: stop the rest and say why. */
function watch(proc: LocalProcess, set: Set<LocalProcess>, echoed: boolean): LocalProcess {
  set.add(proc);
  void proc.exited.then((code) => {
    set.delete(proc);
    if (shuttingDown) return;
    // Echoed output is already on screen; a quiet service's last words are not.
    const why = !echoed && proc.tail.length > 0 ? `:\n${indent(proc.tail)}` : "";
    void shutdown(
      1,
      `${proc.name} stopped unexpectedly (${code === null ? "killed" : `exit code ${code}`})${why}`,
    );
  });
  return proc;
}

/** Stops the API and worker first (they drain), then the databases the demo started; then exits. */
async function shutdown(code: number, reason?: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  if (reason) (code === 0 ? note : warn)(reason);
  const started = apps.size + services.size > 0;
  if (started) note("stopping…");
  const stop = async (p: LocalProcess) => {
    const timedOut = await Promise.race([
      p.stop().then(() => false),
      new Promise((r) => setTimeout(() => r(true), APP_GRACE_MS - 100)),
    ]);
    if (timedOut) warn(`${p.name} did not stop within ${APP_GRACE_MS / 1000} s; killing it`);
    await p.exited;
  };
  await Promise.all([...apps].map(stop));
  await Promise.all([...services].map(stop));
  if (started) ok("everything the demo started has stopped");
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
    killAllNow();
    process.exit(1);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // Last resort (an uncaught error, a plain process.exit): the toolkit SIGKILLs whatever still runs.
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
// Redis and PostgreSQL
// ------------------------------------------------------------------------------------------------

async function ensureRedis(url: string): Promise<string> {
  const answers = await redisAnswers(url).catch((err: Error) => {
    throw new DemoError(`Redis at ${redact(url)} answered but refused us: ${err.message}`, "Fix REDIS_URL.");
  });
  if (answers) {
    ok(`Redis at ${redact(url)}`);
    return url;
  }
  if ((await findRedisServer()) === undefined) {
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
  // Nothing persisted: a demo sale is throwaway, and no dump file can surprise the next run.
  const redis = await startLocalRedis({ dir: path.join(DATA_DIR, "redis"), detached: true });
  if (redis.process) watch(redis.process, services, false);
  ok(`Redis at ${redis.url()} (started by the demo; nothing kept on disk)`);
  return redis.url();
}

async function createDatabase(url: string): Promise<void> {
  try {
    await createDatabaseIfMissing(url);
  } catch (err) {
    throw new DemoError(`could not create database "${databaseName(url)}": ${(err as Error).message}`);
  }
}

async function ensurePostgres(url: string): Promise<string> {
  const probe = await probePostgres(url).catch((err: Error) => {
    // The server is there but will not have us (password, role, pg_hba): starting another one would hide that.
    throw new DemoError(
      `PostgreSQL at ${redact(url)} answered but refused us: ${err.message}`,
      "Fix DATABASE_URL.",
    );
  });
  if (probe !== "unreachable") {
    const created = probe === "no-database";
    if (created) await createDatabase(url);
    ok(`PostgreSQL at ${redact(url)}${created ? " (database created)" : ""}`);
    return url;
  }
  note(`no PostgreSQL answers at ${redact(url)}; starting an embedded one`);
  // The data directory is kept between runs (the next start is quicker and keeps past sales).
  const dataDir = path.join(DATA_DIR, "postgres");
  const postgres = await startLocalPostgres({ dataDir, detached: true });
  if (postgres.process) watch(postgres.process, services, false);
  const embedded = postgres.url("dropqueue");
  await createDatabase(embedded);
  ok(`PostgreSQL ${postgres.version} at ${embedded} (embedded, data in ${path.relative(ROOT, dataDir)})`);
  return embedded;
}

// ------------------------------------------------------------------------------------------------
// Migrations, API and worker
// ------------------------------------------------------------------------------------------------

async function applyMigrations(databaseUrl: string): Promise<void> {
  const summary = await migrate(databaseUrl).catch((err: Error) => {
    throw new DemoError(err.message);
  });
  ok(`migrations applied${summary ? ` (${summary})` : ""}`);
}

function startApps(env: NodeJS.ProcessEnv): void {
  // Node with tsx's loader, not `npm run` nor the tsx CLI: each sits between us and the process
  // and may not pass a signal on (the tsx CLI kills a child that is slow to acknowledge one).
  for (const [name, entry, prefix] of [
    ["API", "src/server.ts", "api    │"],
    ["worker", "workers/purchase.worker.ts", "worker │"],
  ] as const) {
    if (shuttingDown) throw new DemoError(`not starting ${name}: the demo is stopping`);
    const proc = startProcess({
      name,
      command: process.execPath,
      args: ["--import", "tsx", entry],
      cwd: ROOT,
      env,
      detached: true, // own process group: see the top of this file
      graceMs: APP_GRACE_MS,
      onLine: (line) => console.log(`${paint("2", prefix)} ${line}`),
    });
    watch(proc, apps, true);
  }
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
    250,
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

/** A live voucher stock and a service key for it: the stock API of a shop's own checkout. */
async function createDemoStock(baseUrl: string, token: string): Promise<{ stockId: string; key: string }> {
  const stock = await adminCall(baseUrl, token, "POST", "/api/admin/stocks", {
    name: "Gift voucher 50",
    total: 100,
    perUserLimit: 2,
    holdSeconds: 600,
  });
  await adminCall(baseUrl, token, "POST", `/api/admin/stocks/${stock.id}/confirm`);
  const key = await adminCall(baseUrl, token, "POST", "/api/admin/service-keys", {
    name: "demo checkout",
    scopes: ["stocks", "coupons", "orders"],
  });
  ok(`demo stock "Gift voucher 50" (100, 2 per customer) live, and a service key for it`);
  return { stockId: String(stock.id), key: String(key.key) };
}

function printBanner(opts: {
  baseUrl: string;
  eventId: string;
  stock: { stockId: string; key: string };
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
    ["Stock id", opts.stock.stockId],
    ["Service key", `${opts.stock.key}  (shown once; scopes stocks, coupons, orders)`],
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
      `     -H 'content-type: application/json' -d '{"userId":"alice","sku":"${sku}"}'\n` +
      `\n Take a voucher as a shop's checkout would (README: "Using dropqueue's stock"):\n` +
      `   curl -s -X POST ${baseUrl}/api/stocks/${opts.stock.stockId}/takes -H 'authorization: Bearer ${opts.stock.key}' \\\n` +
      `     -H 'content-type: application/json' -d '{"reference":"PO-1","userId":"alice"}'\n`,
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
  // Fails early when PORT is taken: a foreign server there would otherwise answer our /readyz.
  await assertPortFree(port).catch((err: NodeJS.ErrnoException) => {
    throw new DemoError(
      `port ${port} is not available (${err.code ?? String(err)})`,
      "Stop what uses it, or pick another: PORT=3001 npm run demo",
    );
  });

  const redisUrl = await ensureRedis(settings.config.redisUrl);
  const databaseUrl = await ensurePostgres(settings.config.databaseUrl);
  const env = { ...settings.env, REDIS_URL: redisUrl, DATABASE_URL: databaseUrl };

  await applyMigrations(databaseUrl);
  startApps(env);
  await waitForApi(baseUrl);
  const event = await createDemoEvent(baseUrl, settings.env.ADMIN_TOKEN ?? "");
  const stock = await createDemoStock(baseUrl, settings.env.ADMIN_TOKEN ?? "");
  printBanner({ baseUrl, eventId: event.id, stock, settings, redisUrl, databaseUrl });
  // From here the children run until a signal or until one of them dies (both end in shutdown()).
}

main().catch((err: unknown) => {
  if (shuttingDown) return; // a step cut short by Ctrl-C: shutdown() is already on its way
  if (err instanceof StackError) {
    console.error(`\n${paint("31", "✗")} ${err.message}`);
    if (err.hint) console.error(`\n${err.hint}`);
  } else {
    console.error(`\n${paint("31", "✗")} the demo failed:`, err);
  }
  void shutdown(1);
});
