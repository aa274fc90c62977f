// A worker process dies without warning (SIGKILL) in the middle of a sale while another one
// keeps running: the purchases it held are stalled jobs, which the survivor takes over once
// their lock (WORKER_LOCK_MS) runs out, and every promise still holds — no oversell, no lost
// or doubled order, no leaked reservation, one final outcome per ticket.
//
// Real processes (`npm run api` / `npm run worker`, via src/devstack/) against the
// suite's Redis and PostgreSQL; the invariants are read with the tests' own Deps.
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { closeDeps, createDeps } from "../../src/bootstrap.js";
import type { Deps } from "../../src/deps.js";
import { type Stack, startStack } from "../../src/devstack/index.js";
import { keys } from "../../src/redis/keys.js";
import { eventually, testConfig } from "../support/app.js";
import { expectInvariants, fireJoins, waitForAllFinal } from "../support/invariants.js";

const STOCK = 100;
const JOINS = 1500;
const CONCURRENCY = 8;

let stack: Stack | undefined;
let deps: Deps | undefined;

beforeAll(async () => {
  deps = createDeps(testConfig(), { name: "worker-crash-test" });
  stack = await startStack({
    apis: 1,
    workers: 2,
    redisUrl: inject("redisUrl"),
    databaseUrl: inject("databaseUrl"),
    // A payment that takes a while keeps each worker's 8 slots full, so the victim
    // certainly holds purchases when it dies.
    // The failed sign-in budget is counted per address in the shared test Redis: files that
    // fail sign-ins on purpose (abuse, service keys) must not lock this one's admin out.
    env: {
      WORKER_LOCK_MS: "2000",
      WORKER_CONCURRENCY: String(CONCURRENCY),
      PAYMENT_LATENCY_MS: "100",
      ADMIN_FAILURES_PER_MINUTE: "100000",
    },
  });
});

afterAll(async () => {
  await stack?.stop();
  if (deps) await closeDeps(deps);
});

/** Process ids under `pid`, deepest first. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const below = (p: number): number[] => (children.get(p) ?? []).flatMap((c) => [...below(c), c]);
  return below(pid);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ");
  } catch {
    return false;
  }
};

async function admin(method: string, path: string, body?: unknown) {
  const s = stack as Stack;
  const res = await fetch(`${s.apiUrls[0]}${path}`, {
    method,
    headers: { authorization: `Bearer ${s.adminToken}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  expect(res.status, `${method} ${path}: ${text}`).toBeLessThan(300);
  return JSON.parse(text) as { id: string; status: string };
}

it("A worker SIGKILLed mid-run while a second worker runs: checks hold", async () => {
  const s = stack as Stack;
  const d = deps as Deps;
  const event = await admin("POST", "/api/admin/events", {
    name: "Worker crash drop",
    admissionRate: 200,
    products: [{ sku: "A", name: "Sneaker", priceCents: 9900, stock: STOCK }],
  });
  expect((await admin("POST", `/api/admin/events/${event.id}/start`)).status).toBe("LIVE");

  const [victim, survivor] = s.processes.filter((p) => p.role === "worker").map((p) => p.child);
  if (!victim?.pid || !survivor?.pid) throw new Error("the stack has no two worker processes");
  // The child is the tsx launcher; the worker itself is a node process under it, which
  // would outlive a SIGKILL of the launcher alone. Kill the whole tree.
  expect(descendants(victim.pid).length).toBeGreaterThan(0);

  const joins = fireJoins(s.apiUrls[0] ?? "", event.id, JOINS, (i) => `crash-${i}`);
  // Once both workers hold purchases: more are in hand than one worker's slots.
  const confirmed = async () => Number(await d.redis.hget(keys.stats(event.id), "confirmed"));
  const queue = d.queues.get(event.id);
  await eventually(async () => (await queue.getActiveCount()) > CONCURRENCY, 10_000);
  const confirmedAtKill = await confirmed();
  // The tree is read at the moment of the kill, not before the sale: a process of the tree
  // that ended meanwhile (tsx's esbuild helper) may have left its pid to another process by
  // now — a test runner's fork was killed that way once.
  const victimTree = [...descendants(victim.pid), victim.pid];
  for (const pid of victimTree) process.kill(pid, "SIGKILL");
  await eventually(async () => victimTree.every((pid) => !alive(pid)) && victim.signalCode !== null, 5000);
  const { tickets } = await joins;

  // The crash came in the middle of the sale: units were left to sell, and were sold.
  expect(confirmedAtKill).toBeLessThan(STOCK);
  expect(tickets.length).toBeGreaterThan(STOCK);
  await waitForAllFinal(d, event.id, 45_000);
  expect(survivor.exitCode).toBeNull();

  const orders = await d.prisma.order.findMany({ where: { eventId: event.id } });
  const sold = orders.filter((o) => o.status === "CONFIRMED").reduce((n, o) => n + o.quantity, 0);
  expect(sold).toBe(STOCK);
  // The victim's jobs were stalled and taken over (not lost, not waiting for a new worker).
  const jobs = await queue.getJobs(["completed", "failed"]);
  const takenOver = jobs.filter((j) => j.stalledCounter > 0);
  expect(takenOver.length, "jobs of the killed worker taken over by the survivor").toBeGreaterThan(0);
  await expectInvariants(d, event.id);
});
