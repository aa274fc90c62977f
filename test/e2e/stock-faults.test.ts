// The stock core as it runs in production, under the faults the sale is tested with: two API
// processes and a worker (its maintenance loop) on a private Redis and a database of their
// own. A checkout takes units by its purchase numbers over both APIs and releases some; one
// API is killed (SIGKILL) mid-traffic, and Redis loses the stock's state mid-traffic. Callers
// whose call failed repeat it, by the same reference, on the API that lives. Once settled: no
// unit taken twice or lost, every take told taken is recorded once, Redis and PostgreSQL agree.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDeps, createDeps } from "../../src/bootstrap.js";
import type { Deps } from "../../src/deps.js";
import { type LocalRedis, type Stack, startLocalRedis, startStack } from "../../src/devstack/index.js";
import { keys } from "../../src/redis/keys.js";
import { eventually, testConfig } from "../support/app.js";
import { type OwnDatabase, ownDatabase } from "../support/own-database.js";
import { expectStockInvariants } from "../support/stock-invariants.js";

let redis: LocalRedis;
let database: OwnDatabase;
let stack: Stack;
let deps: Deps;

beforeAll(async () => {
  database = await ownDatabase("stock_faults");
  redis = await startLocalRedis();
  stack = await startStack({ apis: 2, workers: 1, redisUrl: redis.url(), databaseUrl: database.url });
  deps = createDeps(testConfig({ REDIS_URL: redis.url(), DATABASE_URL: database.url }), {
    name: "stock-faults-test",
  });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  if (deps) await closeDeps(deps);
  await redis?.destroy();
  await database?.drop();
});

async function call(url: string, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {} };
}

describe("takes through killed processes and a Redis loss", () => {
  it("no unit taken twice or lost once settled", async () => {
    const [apiA = "", apiB = ""] = stack.apiUrls;
    const admin = (method: string, path: string, body?: unknown) =>
      call(apiB, method, path, stack.adminToken, body);
    const stockId = String(
      (await admin("POST", "/api/admin/stocks", { name: "Faults", total: 300, perUserLimit: 2 })).body.id,
    );
    await admin("POST", `/api/admin/stocks/${stockId}/confirm`);
    const key = String(
      (await admin("POST", "/api/admin/service-keys", { name: "checkout", scopes: ["stocks"] })).body.key,
    );
    const group = (await deps.prisma.stock.findUniqueOrThrow({ where: { id: stockId } })).group;

    // The checkout: 1,200 purchases of 1 unit by 400 users, half on each API; a failed call
    // (the API died under it) is repeated, by the same reference, on the API that lives.
    const told = new Map<string, string>();
    let apiAlive = true;
    const purchase = async (i: number) => {
      const body = { reference: `P-${i}`, userId: `user-${i % 400}` };
      for (let attempt = 0; attempt < 20; attempt++) {
        const url = i % 2 === 0 && apiAlive && attempt === 0 ? apiA : apiB;
        try {
          const res = await call(url, "POST", `/api/stocks/${stockId}/takes`, key, body);
          if (res.status >= 500) throw new Error(`${res.status}`);
          told.set(body.reference, res.status < 300 ? String(res.body.status) : String(res.body.error?.code));
          if (res.status < 300 && i % 5 === 0) {
            await call(apiB, "POST", `/api/stocks/${stockId}/takes/${body.reference}/release`, key);
            told.set(body.reference, "RELEASED");
          }
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    };
    const traffic = Promise.all(Array.from({ length: 1200 }, (_, i) => purchase(i)));
    await new Promise((r) => setTimeout(r, 300));
    const a = stack.processes.find((p) => p.role === "api");
    a?.child.kill("SIGKILL");
    apiAlive = false;
    await new Promise((r) => setTimeout(r, 200));
    const address = { group, stockId };
    await deps.redis.del(keys.stockCounters(address), keys.stockUsers(address), keys.stockRefs(address));
    await traffic;

    // The worker's loop finishes what the killed API left PENDING and repairs what drifted.
    await eventually(
      async () => (await deps.prisma.take.count({ where: { stockId, status: "PENDING" } })) === 0,
      40_000,
    );
    const figures = await eventually(async () => {
      try {
        return await expectStockInvariants(deps, stockId);
      } catch {
        return undefined;
      }
    }, 30_000);
    const heldTold = [...told.values()].filter((s) => s === "HELD").length;
    expect(figures.held).toBe(heldTold);
    expect(figures.held).toBeLessThanOrEqual(300);
    // Every purchase got an answer, and every one told HELD is HELD in PostgreSQL.
    expect(told.size).toBe(1200);
    const held = await deps.prisma.take.findMany({
      where: { stockId, status: "HELD" },
      select: { reference: true },
    });
    expect(new Set(held.map((t) => t.reference))).toEqual(
      new Set([...told.entries()].filter(([, s]) => s === "HELD").map(([r]) => r)),
    );
  }, 120_000);
});
