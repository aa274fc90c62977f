// The operator's side (deploy/): every metric the Grafana dashboard and the Prometheus alert
// rules name is exported by the processes, as scraped from a real API (GET /metrics) and a
// real worker process (its METRICS_PORT listener); the rule file has Prometheus's structure
// (promtool is not available here); the compose file wires Prometheus and Grafana to them.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  freePort,
  type LocalProcess,
  type LocalRedis,
  poll,
  ROOT,
  startLocalRedis,
  startProcess,
} from "../../src/devstack/index.js";
import { reconcileEvent } from "../../src/recovery/reconcile.js";
import { keys } from "../../src/redis/keys.js";
import { ADMIN_TOKEN, liveEvent, startTestStack, type TestStack } from "../support/app.js";
import { type OwnDatabase, ownDatabase } from "../support/own-database.js";

const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");
const alerts = parse(read("deploy/prometheus/alerts.yml")) as {
  groups: { name: string; rules: Record<string, unknown>[] }[];
};
const prometheus = parse(read("deploy/prometheus/prometheus.yml")) as {
  rule_files: string[];
  scrape_configs: {
    job_name: string;
    static_configs?: { targets: string[] }[];
    dns_sd_configs?: { names: string[]; port: number }[];
  }[];
};
const dashboard = JSON.parse(read("deploy/grafana/dashboards/dropqueue.json")) as {
  uid: string;
  panels: {
    id: number;
    type: string;
    datasource?: { uid: string };
    targets?: { expr: string; datasource?: { uid: string } }[];
  }[];
  templating: { list: { query: { query: string } | string }[] };
};
const compose = parse(read("docker-compose.yml")) as {
  services: Record<string, { environment?: Record<string, string>; volumes?: string[]; expose?: string[] }>;
};

/** The dropqueue_* series an expression names. */
const metricNames = (expr: string) => [...expr.matchAll(/\bdropqueue_[a-z0-9_]+/g)].map((m) => m[0]);

/** An API's /metrics, as Prometheus scrapes it: with the metrics token (the admin token here). */
const scrapeApi = async (url: string) =>
  (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).text();

/** Metric families of a /metrics page (a histogram also answers to its _bucket, _sum and _count). */
function families(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (!name) continue;
    names.add(name);
    if (type === "histogram" || type === "summary")
      for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${name}${suffix}`);
  }
  return names;
}

const ruleExprs = alerts.groups.flatMap((g) => g.rules.map((r) => String(r.expr)));
const dashboardExprs = [
  ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
  ...dashboard.templating.list.map((v) => (typeof v.query === "string" ? v.query : v.query.query)),
];

describe("the alert rules and the dashboard (no I/O)", () => {
  it("the rule file has Prometheus's structure, and covers what an operator must hear about", () => {
    expect(alerts.groups.length).toBeGreaterThan(0);
    const names = new Set<string>();
    for (const group of alerts.groups) {
      expect(group.name).toMatch(/\S/);
      expect(Array.isArray(group.rules)).toBe(true);
      for (const rule of group.rules) {
        // A rule is an alerting rule (alert, expr, for?, labels?, annotations?) and nothing else.
        expect(
          Object.keys(rule).every((k) => ["alert", "expr", "for", "labels", "annotations"].includes(k)),
        ).toBe(true);
        expect(rule.alert).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
        expect(names.has(rule.alert as string), `duplicate ${rule.alert}`).toBe(false);
        names.add(rule.alert as string);
        expect(typeof rule.expr).toBe("string");
        if (rule.for !== undefined) expect(rule.for).toMatch(/^(\d+(ms|s|m|h|d|w|y))+$/);
        expect(["critical", "warning"]).toContain((rule.labels as Record<string, string>).severity);
        expect((rule.annotations as Record<string, string>).summary).toMatch(/\S/);
        // Balanced brackets: the most common way to break an expression by hand.
        const expr = rule.expr as string;
        for (const [open, close] of ["()", "{}", "[]"]) {
          expect(expr.split(open ?? "").length, `${rule.alert}: ${open}${close}`).toBe(
            expr.split(close ?? "").length,
          );
        }
      }
    }
    for (const needed of [
      "DropqueuePurchasesStuckInFlight",
      "DropqueueStockDriftRepaired",
      "DropqueueDeadLetters",
      "DropqueueRedisUnreachable",
      "DropqueuePostgresUnreachable",
    ])
      expect(names).toContain(needed);
  });

  it("the dashboard's panels have unique ids and query the provisioned Prometheus", () => {
    const datasource = parse(read("deploy/grafana/provisioning/datasources/prometheus.yml")) as {
      datasources: { uid: string; url: string }[];
    };
    const uid = datasource.datasources[0]?.uid;
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels.filter((p) => p.type !== "row")) {
      expect(panel.datasource?.uid).toBe(uid);
      expect(panel.targets?.length).toBeGreaterThan(0);
    }
    expect(datasource.datasources[0]?.url).toBe("http://prometheus:9090");
  });

  it("the compose file runs Prometheus and Grafana on these files, scraping every API and worker", () => {
    const { prometheus: prom, grafana, worker } = compose.services;
    expect(prom && grafana && worker).toBeTruthy();
    for (const volume of [...(prom?.volumes ?? []), ...(grafana?.volumes ?? [])]) {
      const [source = "", target = ""] = volume.split(":");
      if (source.startsWith(".")) expect(existsSync(path.join(ROOT, source)), source).toBe(true);
      if (source.endsWith("alerts.yml")) expect(prometheus.rule_files).toContain(target);
    }
    const apis = Object.keys(compose.services).filter((name) => /^api-\d+$/.test(name));
    const apiJob = prometheus.scrape_configs.find((c) => c.job_name === "dropqueue-api");
    expect(apiJob?.static_configs?.[0]?.targets.sort()).toEqual(apis.map((a) => `${a}:3000`).sort());
    const workerJob = prometheus.scrape_configs.find((c) => c.job_name === "dropqueue-worker");
    expect(workerJob?.dns_sd_configs?.[0]?.names).toEqual(["worker"]);
    expect(String(workerJob?.dns_sd_configs?.[0]?.port)).toBe(worker?.environment?.METRICS_PORT);
    expect(worker?.expose).toContain(worker?.environment?.METRICS_PORT);
  });
});

describe("what the processes export", () => {
  let stack: TestStack;
  let redis: LocalRedis;
  let db: OwnDatabase;
  let worker: LocalProcess;
  let workerMetrics: string;

  beforeAll(async () => {
    stack = await startTestStack();
    // A real worker process, on a Redis and a database of its own: its maintenance job and
    // purchase workers must not reach the other tests' events.
    [redis, db] = await Promise.all([startLocalRedis(), ownDatabase("operator")]);
    const port = await freePort();
    worker = startProcess({
      name: "worker",
      command: process.execPath,
      args: ["--import", "tsx", "workers/purchase.worker.ts"],
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: "test",
        REDIS_URL: redis.url(),
        DATABASE_URL: db.url,
        ADMIN_TOKEN,
        TOKEN_SECRET: "test-token-secret-0123456789abcdef0123456789",
        LOG_LEVEL: "warn",
        METRICS_PORT: String(port),
        HOST: "127.0.0.1",
      },
    });
    workerMetrics = await poll(
      60_000,
      async () => {
        if (!worker.running) throw new Error(`the worker exited:\n${worker.tail.join("\n")}`);
        const res = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
        return res?.ok ? res.text() : undefined;
      },
      () => new Error(`the worker's metrics listener did not answer:\n${worker.tail.join("\n")}`),
      200,
    );
  }, 90_000);

  afterAll(async () => {
    await worker?.stop();
    await Promise.all([stack?.close(), redis?.destroy()]);
    await db?.drop();
  });

  it("every metric the rules and the dashboard name is exported by the API or the worker", async () => {
    const { deps, url } = stack;
    // A live sale, so the per-event series are there too.
    await liveEvent(deps, { products: [{ sku: "A", name: "Seat", priceCents: 1000, stock: 5 }] });
    const apiMetrics = await scrapeApi(url);
    const exported = new Set([...families(apiMetrics), ...families(workerMetrics)]);
    const named = new Set([...ruleExprs, ...dashboardExprs].flatMap(metricNames));
    expect(named.size).toBeGreaterThan(10);
    const missing = [...named].filter((name) => !exported.has(name));
    expect(missing, "named by deploy/ but exported by no process").toEqual([]);
  });

  it("both kinds of process report whether they reach Redis and PostgreSQL", async () => {
    const apiMetrics = await scrapeApi(stack.url);
    for (const text of [apiMetrics, workerMetrics]) {
      expect(text).toMatch(/^dropqueue_dependency_up\{dependency="redis"\} 1$/m);
      expect(text).toMatch(/^dropqueue_dependency_up\{dependency="postgres"\} 1$/m);
    }
  });

  it("a drift the reconciler repairs is counted", async () => {
    const { deps, url } = stack;
    const event = await liveEvent(deps, {
      products: [{ sku: "A", name: "Seat", priceCents: 1000, stock: 5 }],
    });
    const counted = async () => {
      const text = await scrapeApi(url);
      return Number(/^dropqueue_reconciler_drift_units_total (\S+)$/m.exec(text)?.[1] ?? 0);
    };
    const before = await counted();
    // Two units appear from nothing in Redis: the drift a lost write would leave.
    await deps.redis.hincrby(keys.stock(event.id, "A"), "remaining", 2);
    const report = await reconcileEvent(deps, event.id, { repair: true });
    expect(report.products[0]?.repaired).toBe(true);
    expect((await counted()) - before).toBe(2);
  });
});
