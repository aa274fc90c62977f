// Issue 10, the suspected defects, settled by test:
//  - a create racing a rebuild (the maintenance loop finds the new event's Redis state
//    missing between the create's commit and its Redis write) writes epoch 0 back over the
//    rebuilt state: Redis' epoch must equal PostgreSQL's for every event;
//  - failPurchase (the last attempt's give-up, or the reconciler settling a stuck purchase)
//    racing a duplicate delivery of the same purchase that commits CONFIRMED: no unit is
//    returned while sold, and every ticket ends the way its order did.
// (The third, a late CONFIRMED overwriting CANCELLED in the Ticket table, is in
// convergence-cancel.test.ts.)
import { setTimeout as sleep } from "node:timers/promises";
import { expect, it } from "vitest";
import type { CreateEventInput } from "../../src/events/event.schemas.js";
import { createEventInput } from "../../src/events/event.schemas.js";
import { createEvent } from "../../src/events/events.service.js";
import { SimulatedPayment } from "../../src/purchase/payment.js";
import { failPurchase, processPurchase } from "../../src/purchase/processor.js";
import { runMaintenance } from "../../src/recovery/maintenance.js";
import { reconcileEvent } from "../../src/recovery/reconcile.js";
import { keys } from "../../src/redis/keys.js";
import { liveEvent } from "../support/app.js";
import { join, stockOf } from "../support/convergence.js";
import { expectInvariants } from "../support/invariants.js";
import { useProxiedStack } from "../support/private-stack.js";

// No purchase workers: the tests deliver purchases themselves.
const own = useProxiedStack("conv_suspected", {
  workerPools: 0,
});

it("creates racing the maintenance loop's rebuilds: Redis' epoch is PostgreSQL's for every event", async () => {
  const { deps } = own.stack;
  let racing = true;
  let passes = 0;
  const loop = async () => {
    while (racing) {
      await runMaintenance(deps);
      passes++;
    }
  };
  const loops = Promise.all([loop(), loop()]);
  const startsAt = new Date(Date.now() + 3_600_000).toISOString();
  const created: string[] = [];
  // The creating process' Redis writes take 300 ms to arrive: the loop finds the committed
  // event without Redis state meanwhile.
  own.proxy.delay(300);
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 3; i++) {
        const input: CreateEventInput = createEventInput.parse({
          name: "Race the rebuild",
          startsAt,
          products: [{ sku: "A", name: "Seat", priceCents: 100, stock: 5 }],
        });
        created.push((await createEvent(own.throughProxy, input)).id);
      }
    }),
  );
  own.proxy.delay(0);
  await sleep(200);
  racing = false;
  await loops;

  const rows = await deps.prisma.event.findMany({
    where: { id: { in: created } },
    select: { id: true, stateEpoch: true },
  });
  const mismatched = [];
  for (const row of rows) {
    const epoch = await deps.redis.hget(keys.meta(row.id), "epoch");
    if (Number(epoch) !== row.stateEpoch)
      mismatched.push(`${row.id}: Redis ${epoch}, PostgreSQL ${row.stateEpoch}`);
  }
  const rebuilt = rows.filter((r) => r.stateEpoch > 0).length;
  console.log(
    `${created.length} creates, ${passes} maintenance passes, ${rebuilt} rebuilt; mismatched: ${mismatched.length}`,
  );
  expect(mismatched).toEqual([]);
});

it("failPurchase racing a duplicate delivery that commits: no unit returned while sold", async () => {
  const { deps, url } = own.stack;
  const tickets = 20;
  const event = await liveEvent(deps, {
    products: [{ sku: "A", name: "Seat", priceCents: 500, stock: tickets }],
  });
  const joined = [];
  for (let i = 0; i < tickets; i++) {
    const res = await join(url, event.id, `fan-${i}`);
    expect(res.status).toBe(202);
    joined.push(res.body.ticketId);
  }
  // The give-up reads the ticket (QUEUED) and acts on it over a slow link (60 ms each way in);
  // the duplicate delivery reserves in between and pays slowly: the give-up lands while it
  // holds the reservation, and its commit lands after.
  const payment = new SimulatedPayment(150);
  own.proxy.delay(60);
  const outcomes: string[] = [];
  // In line order (the fairness rule admits the first waiting ticket first).
  for (const [i, ticketId] of joined.entries()) {
    const job = { eventId: event.id, ticketId, sku: "A" };
    const [delivered, failed] = await Promise.allSettled([
      sleep(70 + (i % 4) * 10).then(() => processPurchase(deps, payment, job)),
      failPurchase(own.throughProxy, job),
    ]);
    const show = (r: PromiseSettledResult<{ kind: string }>) =>
      r.status === "fulfilled" ? r.value.kind : `threw ${String(r.reason).slice(0, 40)}`;
    outcomes.push(`${show(delivered)}/${show(failed)}`);
  }
  own.proxy.delay(0);
  const beforeReconcile = await stockOf(deps, event.id);
  const confirmedInPostgres = await deps.prisma.order.count({
    where: { eventId: event.id, status: "CONFIRMED" },
  });
  await reconcileEvent(deps, event.id, { repair: true, stuckAfterMs: 0 });
  const counts = outcomes.reduce<Record<string, number>>((m, o) => {
    m[o] = (m[o] ?? 0) + 1;
    return m;
  }, {});
  console.log(
    `delivery/failPurchase outcomes ${JSON.stringify(counts)}; ${confirmedInPostgres} CONFIRMED orders; stock before reconcile ${JSON.stringify(beforeReconcile)}, after ${JSON.stringify(await stockOf(deps, event.id))}`,
  );
  expect.soft(beforeReconcile.sold, "Redis sold = CONFIRMED orders").toBe(confirmedInPostgres);
  await expectInvariants(deps, event.id);
});
