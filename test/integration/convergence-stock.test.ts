// Issue 10, defect 5: a Redis total above PostgreSQL's (what a crash between the Redis
// adjust and the commit of a stock adjustment leaves) is repaired by the reconciler, and
// nothing beyond PostgreSQL's total can be sold.
import { expect, it } from "vitest";
import { reconcileEvent } from "../../src/recovery/reconcile.js";
import { keys } from "../../src/redis/keys.js";
import { liveEvent } from "../support/app.js";
import { allTicketsFinal, confirmedOrders, join, stockOf } from "../support/convergence.js";
import { expectInvariants } from "../support/invariants.js";
import { expectLedgerMatchesCounters } from "../support/ledger.js";
import { usePrivateStack } from "../support/private-stack.js";

const own = usePrivateStack("conv_stock", { workerPools: 1 });

it("Redis total above PostgreSQL's: reconcile brings it back, and only PostgreSQL's total sells", async () => {
  const { deps, url } = own.stack;
  const event = await liveEvent(deps, {
    products: [{ sku: "A", name: "Seat", priceCents: 1200, stock: 10 }],
  });
  // The adjust to 15 ran in Redis; the process died before PostgreSQL committed it.
  await deps.redis.hincrby(keys.stock(event.id, "A"), "total", 5);
  await deps.redis.hincrby(keys.stock(event.id, "A"), "remaining", 5);

  const report = await reconcileEvent(deps, event.id, { repair: true });
  const after = await stockOf(deps, event.id);
  console.log(`reconcile report ${JSON.stringify(report.products)}; Redis after ${JSON.stringify(after)}`);
  expect.soft(after.total, "Redis total = PostgreSQL total").toBe(10);
  expect.soft(after.remaining + after.reserved + after.sold).toBe(10);

  // Accepted, or SOLD_OUT at the door once nothing is left nor in flight.
  for (let i = 0; i < 15; i++) expect([202, 409]).toContain((await join(url, event.id, `fan-${i}`)).status);
  await allTicketsFinal(deps, event.id, 20_000);
  const confirmed = await confirmedOrders(deps, event.id);
  console.log(
    `${confirmed} CONFIRMED orders for a PostgreSQL total of 10; Redis ${JSON.stringify(await stockOf(deps, event.id))}`,
  );
  expect(confirmed, "nothing sold beyond PostgreSQL's total").toBe(10);
  await expectLedgerMatchesCounters(deps, event.id);
  await expectInvariants(deps, event.id);
});
