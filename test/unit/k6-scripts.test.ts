// The k6 scenarios cannot run here (no k6 on this machine), so this checks what can be:
// each script is a valid ES module that k6 could load, exporting `options` and a default
// function, with scenarios built from executors k6 has. The k6 modules are replaced by
// stubs (only what the scripts import), the script is bundled with esbuild and imported.
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { describe, expect, it } from "vitest";

const K6_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../k6");

const STUBS: Record<string, string> = {
  k6: `export const check = () => true; export const sleep = () => {}; export const group = (_n, f) => f();
       export const fail = (m) => { throw new Error(m); };`,
  "k6/http": `const http = { get() {}, post() {}, put() {}, del() {}, request() {}, batch() {},
       setResponseCallback() {}, expectedStatuses: (...s) => s };
       export default http;`,
  "k6/ws": "export default { connect() {} };",
  "k6/metrics": `class Metric { constructor(name) { this.name = name; } add() {} }
       export class Counter extends Metric {} export class Rate extends Metric {}
       export class Trend extends Metric {} export class Gauge extends Metric {}`,
};

const EXECUTORS = new Set([
  "shared-iterations",
  "per-vu-iterations",
  "constant-vus",
  "ramping-vus",
  "constant-arrival-rate",
  "ramping-arrival-rate",
  "externally-controlled",
]);

const k6Stubs: Plugin = {
  name: "k6-stubs",
  setup(b) {
    b.onResolve({ filter: /^k6(\/.*)?$/ }, (args) => ({ path: args.path, namespace: "k6" }));
    b.onLoad({ filter: /.*/, namespace: "k6" }, (args) => {
      const contents = STUBS[args.path];
      if (contents === undefined)
        return { errors: [{ text: `no stub for ${args.path}: add one to the test` }] };
      return { contents, loader: "js" };
    });
  },
};

interface K6Module {
  default: unknown;
  options: {
    scenarios?: Record<string, { executor: string }>;
    thresholds?: Record<string, string[]>;
  };
  setup?: unknown;
  teardown?: unknown;
}

let loads = 0;

async function load(file: string, env: Record<string, string> = {}): Promise<K6Module> {
  const out = await build({
    entryPoints: [path.join(K6_DIR, file)],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2020",
    logLevel: "silent",
    plugins: [k6Stubs],
  });
  // A unique tail per load: the same bundle imported again would be the cached module.
  const code = `${out.outputFiles[0]?.text ?? ""}\n// load ${++loads}`;
  // k6's globals, read at the top level of a script.
  Object.assign(globalThis, { __ENV: env, __VU: 0, __ITER: 0 });
  return (await import(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`)) as K6Module;
}

const scripts = readdirSync(K6_DIR).filter((f) => f.endsWith(".js"));

describe("k6 scripts", () => {
  it("has the three scenarios", () => {
    expect(scripts).toEqual(expect.arrayContaining(["surge.js", "join-stress.js", "admin-flow.js"]));
  });

  for (const file of scripts) {
    it(`${file} is an ES module exporting options and a default function`, async () => {
      const mod = await load(file);
      expect(typeof mod.default).toBe("function");
      expect(mod.options).toBeTypeOf("object");
      const scenarios = Object.values(mod.options.scenarios ?? {});
      expect(scenarios.length).toBeGreaterThan(0);
      for (const s of scenarios) expect(EXECUTORS.has(s.executor)).toBe(true);
      expect(Object.keys(mod.options.thresholds ?? {}).length).toBeGreaterThan(0);
    });
  }

  it("surge.js ramps the arrival rate of shoppers", async () => {
    const mod = await load("surge.js");
    expect(mod.options.scenarios?.shoppers?.executor).toBe("ramping-arrival-rate");
    expect(typeof mod.setup).toBe("function");
  });

  it("join-stress.js holds joins to a p99 threshold, constant or staged", async () => {
    const constant = await load("join-stress.js", { RATE: "800", P99_MS: "40" });
    expect(constant.options.scenarios?.joins).toMatchObject({ executor: "constant-arrival-rate", rate: 800 });
    expect(constant.options.thresholds?.["http_req_duration{name:join}"]).toEqual(["p(99)<40"]);
    const staged = await load("join-stress.js", { STAGES: "500:10s,1000:20s" });
    expect(staged.options.scenarios?.joins).toMatchObject({
      executor: "ramping-arrival-rate",
      stages: [
        { target: 500, duration: "10s" },
        { target: 1000, duration: "20s" },
      ],
    });
  });
});
