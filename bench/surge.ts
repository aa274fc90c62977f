// `npm run surge`: the first-come sale as a command. Boots its own API and worker
// processes unless --url names a running stack, fires the joins, waits for every outcome
// over Socket.IO, checks PostgreSQL and Redis, and prints a summary (or, with --json,
// one JSON object as its last line). It says when the target's per-client rate limit,
// not the sale, answered the joins (and fails then), and stops the event it created.

import { parseArgs } from "node:util";
import { z } from "zod";
import { createDatabaseIfMissing } from "../src/db/databases.js";
import { migrate, type Stack, startStack } from "../src/devstack/index.js";
import { rateLimitNote, runSurge, type SurgeProgress, type SurgeReport, surgeHeld } from "./lib/surge-run.js";

const { values } = parseArgs({
  options: {
    users: { type: "string", default: "1000" },
    requests: { type: "string", default: "10000" },
    products: { type: "string", default: "4" },
    stock: { type: "string", default: "100" },
    "per-user-limit": { type: "string", default: "1" },
    "payment-failure-rate": { type: "string", default: "0" },
    "admission-rate": { type: "string", default: "20000" },
    concurrency: { type: "string", default: "256" },
    apis: { type: "string", default: "1" },
    workers: { type: "string", default: "1" },
    "worker-concurrency": { type: "string", default: "16" },
    url: { type: "string", multiple: true },
    "client-addresses": { type: "boolean", default: false },
    "spread-ms": { type: "string", default: "0" },
    distinct: { type: "boolean", default: false },
    "admin-token": { type: "string" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  process.stdout.write(`npm run surge -- [options]
  --users N                 distinct shoppers (1000)
  --requests N              join requests fired (10000)
  --products N --stock N    products of the event and units of each (4, 100)
  --per-user-limit N        units per user per product (1)
  --payment-failure-rate X  share of payments declined, 0..1 (0)
  --admission-rate N        tickets admitted per second (20000)
  --concurrency N           join requests in flight (256)
  --apis N --workers N      processes to boot when no --url is given (1, 1)
  --worker-concurrency N    purchases per worker process (16)
  --distinct                each request from a shopper of its own (--users is ignored)
  --spread-ms N             send the joins evenly over N ms (open loop) instead of as fast as answered
  --url URL [--url URL]     target a running stack (with --admin-token or ADMIN_TOKEN)
  --client-addresses        each shopper its own client address (X-Forwarded-For: 10.x.y.z); for a
                            target behind a trusted proxy (TRUST_PROXY), whose per-client limit would
                            otherwise take every request of this tool for one client
  --json                    print the report as one JSON line
Uses REDIS_URL and DATABASE_URL (defaults: local Redis, postgresql://postgres@127.0.0.1:5432/dropqueue).
`);
  process.exit(0);
}

const count = (name: string, min = 1) =>
  z.coerce
    .number()
    .int()
    .min(min)
    .parse(values[name as keyof typeof values]);
const rate = z.coerce.number().min(0).max(1).parse(values["payment-failure-rate"]);
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const databaseUrl = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/dropqueue";
const say = (line: string) => {
  if (!values.json || process.stderr.isTTY) process.stderr.write(`${line}\n`);
};

let stack: Stack | undefined;
let apiUrls = values.url ?? [];
let adminToken = values["admin-token"] ?? process.env.ADMIN_TOKEN ?? "";
if (apiUrls.length === 0) {
  say(`Booting ${values.apis} API and ${values.workers} worker process(es)…`);
  await createDatabaseIfMissing(databaseUrl);
  await migrate(databaseUrl);
  stack = await startStack({
    apis: count("apis"),
    workers: count("workers"),
    workerConcurrency: count("worker-concurrency"),
    redisUrl,
    databaseUrl,
  });
  apiUrls = stack.apiUrls;
  adminToken = stack.adminToken;
} else if (!adminToken) {
  process.stderr.write("--url needs --admin-token (or ADMIN_TOKEN)\n");
  process.exit(2);
}

const showProgress = (p: SurgeProgress) => {
  if (values.json && !process.stderr.isTTY) return;
  const line = `  ${p.phase.padEnd(8)} ${String(p.sent).padStart(6)}/${p.requests} requests · ${p.tickets} tickets · ${p.outcomes} outcomes`;
  process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
};

let report: SurgeReport;
try {
  report = await runSurge({
    apiUrls,
    adminToken,
    redisUrl,
    databaseUrl,
    users: count("users"),
    requests: count("requests"),
    products: count("products"),
    stock: count("stock", 0),
    perUserLimit: count("per-user-limit"),
    paymentFailureRate: rate,
    admissionRate: count("admission-rate"),
    concurrency: count("concurrency"),
    clientAddresses: values["client-addresses"],
    spreadMs: count("spread-ms", 0),
    distinctUsers: values.distinct,
    onProgress: showProgress,
  });
} finally {
  if (process.stderr.isTTY) process.stderr.write("\n");
  await stack?.stop();
}

const clean = surgeHeld(report);

if (values.json) {
  process.stdout.write(`${JSON.stringify(report)}\n`);
} else {
  const ok = (good: boolean) => (good ? "ok " : "BAD");
  const note = rateLimitNote(report, values["client-addresses"]);
  const pc = (x: number) => `${Math.round(100 * x)} %`;
  const lines = [
    `Surge on event ${report.eventId} (stopped)`,
    ...(note ? [`  ${ok(!report.limiterAnsweredMost)} RATE LIMITED: ${note}`] : []),
    `  ${report.requests} join requests → ${report.tickets} tickets, ${report.handedBack} handed back, door: ${JSON.stringify(report.doorRejections)}, HTTP errors ${report.httpErrors}`,
    `  outcomes ${JSON.stringify(report.outcomes)} reasons ${JSON.stringify(report.reasons)}`,
    ...report.perProduct.map(
      (p) => `  ${p.sku.padEnd(4)} stock ${p.stock} · confirmed ${p.confirmed} · remaining ${p.remaining}`,
    ),
    `  ${ok(report.oversold === 0)} oversold ${report.oversold}`,
    `  ${ok(report.overLimitUsers === 0)} users over their limit ${report.overLimitUsers}`,
    `  ${ok(report.missingOutcomes === 0 && report.duplicateOutcomes === 0)} missing outcomes ${report.missingOutcomes}, duplicated ${report.duplicateOutcomes}`,
    `  ${ok(report.redisPostgresAgree && report.ledgerAgrees)} Redis and PostgreSQL agree: ${report.redisPostgresAgree}, ledger: ${report.ledgerAgrees}`,
    `  ${ok(report.fairnessInversions === 0)} fairness inversions ${report.fairnessInversions}`,
    `  wall ${report.wallSeconds} s · ${report.joinsPerSecond} joins/s`,
    `  join latency ms p50 ${report.joinLatencyMs.p50} p95 ${report.joinLatencyMs.p95} p99 ${report.joinLatencyMs.p99}`,
    `  result latency ms p50 ${report.resultLatencyMs.p50} p95 ${report.resultLatencyMs.p95} p99 ${report.resultLatencyMs.p99}`,
    `  ETA told at join vs wait until ticket:result (${report.eta.samples} tickets): relative error p50 ${pc(report.eta.p50)}, p90 ${pc(report.eta.p90)}, off by more than half ${pc(report.eta.offByHalf)} (median signed ${pc(report.eta.medianSigned)})`,
    `  verdict: ${clean ? "ok" : "BAD"}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}
process.exit(clean ? 0 : 1);
