// `npm run bench [-- <scenario>…]`: runs the benchmarks (all of them, or those named),
// prints a table per scenario on stdout, progress on stderr, and writes every figure to
// bench/results/bench-<time>.json. Figures are also shown as shares of the walls measured
// in the same run (or, when `walls` is not run, in the latest results file that has them).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT } from "../src/devstack/index.js";
import { killStacks } from "./lib/dropqueue.js";
import { killChildren, machine, resetBenchState } from "./lib/env.js";
import { progress, progressDone } from "./lib/report.js";
import { archive } from "./scenarios/archive.js";
import { dbLock } from "./scenarios/db-lock.js";
import { eta } from "./scenarios/eta.js";
import { join, joinLimits } from "./scenarios/join.js";
import { keepPace } from "./scenarios/keep-pace.js";
import { orders } from "./scenarios/orders.js";
import { pow } from "./scenarios/pow.js";
import { purchase } from "./scenarios/purchase.js";
import { seed } from "./scenarios/seed.js";
import { stock } from "./scenarios/stock.js";
import { summary } from "./scenarios/summary.js";
import type { Context, Scenario, Walls } from "./scenarios/types.js";
import { waitingRoom } from "./scenarios/waiting-room.js";
import { walls } from "./scenarios/walls.js";

// biome-ignore lint/suspicious/noExplicitAny: scenarios differ in their result types
const SCENARIOS: Scenario<any>[] = [
  walls,
  join,
  joinLimits,
  purchase,
  dbLock,
  keepPace,
  seed,
  eta,
  waitingRoom,
  archive,
  pow,
  stock,
  orders,
];
const RESULTS = path.join(ROOT, "bench/results");
const RUN_LIMIT_MS = 20 * 60_000;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "cpu-prof-dir": { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  process.stdout.write(
    `npm run bench [-- <scenario>…] [--cpu-prof-dir DIR]\n\n${SCENARIOS.map((s) => `  ${s.name.padEnd(13)} ${s.describe}`).join("\n")}\n\n  --cpu-prof-dir DIR  CPU-profile the API and worker processes (DIR/api, DIR/worker); summarise with\n                      npx tsx bench/profile-summary.ts DIR/api\nEnvironment: BENCH_REDIS_URL (redis://127.0.0.1:6379/6), BENCH_DATABASE_URL (…/dropqueue_bench); both are wiped each run.\n`,
  );
  process.exit(0);
}

const unknown = positionals.filter((p) => !SCENARIOS.some((s) => s.name === p));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown scenario(s): ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.name).join(", ")}\n`,
  );
  process.exit(2);
}
const selected = positionals.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => positionals.includes(s.name));

/** The figures of the latest results file that has `name`, for shares when it is not run now. */
function latest(name: string): { file: string; result: unknown } | undefined {
  let files: string[] = [];
  try {
    files = readdirSync(RESULTS).filter((f) => f.endsWith(".json"));
  } catch {
    return undefined;
  }
  for (const file of files.sort().reverse()) {
    try {
      const json = JSON.parse(readFileSync(path.join(RESULTS, file), "utf8")) as {
        scenarios?: Record<string, unknown>;
      };
      if (json.scenarios?.[name]) return { file, result: json.scenarios[name] };
    } catch {
      // a broken file: skip it
    }
  }
  return undefined;
}

const startedAt = new Date();
const host = machine();
const ctx: Context = { results: {}, priorFiles: {}, cpuProfDir: values["cpu-prof-dir"] };
for (const s of SCENARIOS) {
  if (selected.includes(s) || s.name === "walls") continue;
  const prior = latest(s.name);
  if (prior) {
    ctx.results[s.name] = prior.result;
    ctx.priorFiles[s.name] = prior.file;
  }
}
if (!selected.includes(walls)) {
  const prior = latest("walls");
  if (prior) {
    ctx.walls = prior.result as Walls;
    ctx.wallsSource = prior.file;
  }
}

const out: {
  startedAt: string;
  machine: typeof host;
  scenarios: Record<string, unknown>;
  errors: Record<string, string>;
  tables: string[];
  seconds?: number;
} = { startedAt: startedAt.toISOString(), machine: host, scenarios: {}, errors: {}, tables: [] };
mkdirSync(RESULTS, { recursive: true });
const file = path.join(RESULTS, `bench-${startedAt.toISOString().replaceAll(":", "-").slice(0, 19)}.json`);
const save = () => {
  out.seconds = Math.round((Date.now() - startedAt.getTime()) / 1000);
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
};

// A run that overstays is stopped, with what it measured so far written down.
const watchdog = setTimeout(() => {
  progressDone();
  process.stderr.write(`bench: over ${RUN_LIMIT_MS / 60_000} minutes, stopping\n`);
  out.errors.run = "stopped by the time limit";
  save();
  killStacks();
  killChildren();
  process.exit(1);
}, RUN_LIMIT_MS);
watchdog.unref();

const header = `dropqueue bench · ${startedAt.toISOString()} · ${host.nproc} × ${host.cpu}, ${host.memoryGiB} GiB, Node ${host.node} · load average ${host.loadAverage.join(" ")}`;
process.stdout.write(`${header}\n\n`);
out.tables.push(header);

progress("bench", "resetting the bench databases", true);
await resetBenchState();
for (const scenario of selected) {
  const t0 = Date.now();
  progress(scenario.name, "starting", true);
  try {
    const result = await scenario.run(ctx);
    if (scenario.name === "walls") {
      ctx.walls = result as Walls;
      ctx.wallsSource = "this run";
    }
    ctx.results[scenario.name] = result;
    out.scenarios[scenario.name] = result;
    progressDone();
    const text = scenario.tables(result, ctx).join("\n\n");
    process.stdout.write(`${text}\n(${Math.round((Date.now() - t0) / 1000)} s)\n\n`);
    out.tables.push(text);
  } catch (err) {
    progressDone();
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`[${scenario.name}] failed: ${message}\n`);
    out.errors[scenario.name] = message;
    killStacks();
    killChildren();
  }
  save();
}
if (selected.length > 1) {
  const text = summary(ctx, Object.keys(out.scenarios));
  if (text) {
    process.stdout.write(`${text}\n\n`);
    out.tables.push(text);
  }
}
if (ctx.wallsSource && ctx.wallsSource !== "this run")
  process.stdout.write(`Shares are of the walls in bench/results/${ctx.wallsSource}.\n`);
save();
process.stdout.write(`Total ${out.seconds} s · results in ${path.relative(ROOT, file)}\n`);
process.exit(Object.keys(out.errors).length === 0 ? 0 : 1);
