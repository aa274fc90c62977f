// Issue 10, defect 1 (and the suspected late CONFIRMED over CANCELLED): a cancel and a
// reconcile, in any order and with the cancel's Redis step lost, return a unit once.
// Total 1, one unit sold: after a cancel whose Redis step failed, a reconcile, and the cancel
// again, the stock is remaining 1 / sold 0 / reserved 0 (never remaining 2 / sold −1), and
// two more buyers get exactly one unit between them.
import { expect, it } from "vitest";
import type { Deps } from "../../src/deps.js";
import { cancelOrder } from "../../src/purchase/cancel.service.js";
import { SimulatedPayment } from "../../src/purchase/payment.js";
import { processPurchase } from "../../src/purchase/processor.js";
import { reconcileEvent } from "../../src/recovery/reconcile.js";
import { liveEvent } from "../support/app.js";
import {
  allTicketsFinal,
  buy,
  call,
  confirmedOrders,
  stockOf,
  withRedisCut,
} from "../support/convergence.js";
import { expectInvariants } from "../support/invariants.js";
import { useProxiedStack } from "../support/private-stack.js";

const own = useProxiedStack("conv_cancel", {
  workerPools: 1,
});

const oneUnit = (deps: Deps) =>
  liveEvent(deps, { products: [{ sku: "A", name: "Seat", priceCents: 4000, stock: 1 }] });

it("a cancel whose Redis step failed, a reconcile, then the cancel again: the unit comes back once", async () => {
  const { deps, url } = own.stack;
  const event = await oneUnit(deps);
  const first = await buy(deps, url, event.id, "alice");
  expect(first.finalStatus).toBe("CONFIRMED");
  const orderId = first.orderId as string;

  // The API process that takes the cancel loses Redis for that call.
  const lost = await withRedisCut(own.proxy, () =>
    cancelOrder(own.throughProxy, { ticketId: first.ticketId, eventId: event.id, userId: "alice" }, orderId),
  );
  console.log(
    `cancel with Redis cut: ${lost.ok ? "answered" : `failed (${String((lost as { error: unknown }).error)})`}`,
  );

  await reconcileEvent(deps, event.id, { repair: true });
  const afterReconcile = await stockOf(deps, event.id);
  expect
    .soft(afterReconcile.remaining, "the reconciler never writes a negative remaining")
    .toBeGreaterThanOrEqual(0);

  const again = await call(url, "POST", `/api/orders/${orderId}/cancel`, { token: first.token });
  expect(again.status, JSON.stringify(again.body)).toBe(200);
  expect(again.body.status).toBe("CANCELLED");

  const stock = await stockOf(deps, event.id);
  console.log(
    `after reconcile ${JSON.stringify(afterReconcile)}, after the repeated cancel ${JSON.stringify(stock)}`,
  );
  expect.soft(stock).toEqual({ total: 1, remaining: 1, reserved: 0, sold: 0 });

  // Two more shoppers: one unit between them.
  const [bob, carol] = await Promise.all([
    buy(deps, url, event.id, "bob"),
    buy(deps, url, event.id, "carol"),
  ]);
  const confirmed = await confirmedOrders(deps, event.id);
  console.log(
    `bob ${bob.finalStatus}, carol ${carol.finalStatus}: ${confirmed} CONFIRMED orders for a total of 1`,
  );
  expect(confirmed, "CONFIRMED orders in PostgreSQL for a total of 1").toBe(1);
  await expectInvariants(deps, event.id);
});

it("cancels racing tight-loop reconciles (no fault): each unit comes back once, remaining never negative", async () => {
  const { deps, url } = own.stack;
  const units = 60;
  const event = await liveEvent(deps, {
    products: [{ sku: "A", name: "Seat", priceCents: 4000, stock: units }],
  });
  const buyers = await Promise.all(
    Array.from({ length: units }, (_, i) => buy(deps, url, event.id, `fan-${i}`)),
  );
  expect(buyers.every((b) => b.finalStatus === "CONFIRMED")).toBe(true);

  let racing = true;
  let passes = 0;
  const seen = { minRemaining: Number.POSITIVE_INFINITY, minSold: Number.POSITIVE_INFINITY, maxRemaining: 0 };
  // Two reconcilers, as two worker processes' maintenance would run them.
  const reconcilerLoop = async () => {
    while (racing) {
      await reconcileEvent(deps, event.id, { repair: true });
      passes++;
      const s = await stockOf(deps, event.id);
      seen.minRemaining = Math.min(seen.minRemaining, s.remaining);
      seen.minSold = Math.min(seen.minSold, s.sold);
      seen.maxRemaining = Math.max(seen.maxRemaining, s.remaining);
    }
  };
  const reconciling = Promise.all([reconcilerLoop(), reconcilerLoop()]);
  // Three lanes of cancels, each over HTTP as a shopper sends it.
  let next = 0;
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      while (next < buyers.length) {
        const b = buyers[next++] as (typeof buyers)[number];
        const res = await call(url, "POST", `/api/orders/${b.orderId}/cancel`, { token: b.token });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      }
    }),
  );
  racing = false;
  await reconciling;
  await reconcileEvent(deps, event.id, { repair: true });

  const stock = await stockOf(deps, event.id);
  console.log(
    `${passes} reconcile passes raced ${units} cancels: seen ${JSON.stringify(seen)}, end ${JSON.stringify(stock)}`,
  );
  expect.soft(seen.minRemaining, "remaining never negative").toBeGreaterThanOrEqual(0);
  expect.soft(seen.maxRemaining, "remaining never above total").toBeLessThanOrEqual(units);
  expect.soft(seen.minSold, "sold never negative").toBeGreaterThanOrEqual(0);
  expect(stock).toEqual({ total: units, remaining: units, reserved: 0, sold: 0 });
  await expectInvariants(deps, event.id);
});

it("a late delivery of a cancelled ticket's purchase does not turn it CONFIRMED again (suspected)", async () => {
  const { deps, url } = own.stack;
  const event = await oneUnit(deps);
  const first = await buy(deps, url, event.id, "dave");
  expect(first.finalStatus).toBe("CONFIRMED");

  // The cancel commits in PostgreSQL, its Redis step is lost...
  await withRedisCut(own.proxy, () =>
    cancelOrder(
      own.throughProxy,
      { ticketId: first.ticketId, eventId: event.id, userId: "dave" },
      first.orderId as string,
    ),
  );
  // ...and BullMQ delivers the ticket's purchase once more (at least once, as after a stall).
  const replay = await processPurchase(deps, new SimulatedPayment(), {
    eventId: event.id,
    ticketId: first.ticketId,
    sku: "A",
  }).catch((err: unknown) => ({ kind: "threw", err: String(err) }));
  const ticket = await deps.prisma.ticket.findUniqueOrThrow({ where: { id: first.ticketId } });
  const order = await deps.prisma.order.findUniqueOrThrow({ where: { id: first.orderId as string } });
  console.log(
    `replay answered ${JSON.stringify(replay)}; ticket row ${ticket.status}, order ${order.status}`,
  );
  expect(order.status).toBe("CANCELLED");
  expect(ticket.status, "the Ticket row follows its order").toBe("CANCELLED");

  // The shopper's retry completes the cancel; the unit is back once and sells once.
  const again = await call(url, "POST", `/api/orders/${first.orderId}/cancel`, { token: first.token });
  expect(again.status).toBe(200);
  expect(await stockOf(deps, event.id)).toEqual({ total: 1, remaining: 1, reserved: 0, sold: 0 });
  await buy(deps, url, event.id, "erin");
  await allTicketsFinal(deps, event.id, 10_000);
  expect(await confirmedOrders(deps, event.id)).toBe(1);
  await expectInvariants(deps, event.id);
});
