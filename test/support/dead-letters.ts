// Makes purchase dead letters on purpose: a worker of the test's own fails every job of an
// event for good (after `before` ran on its payload), leaving its ticket without an outcome,
// as a crash of the payment client on the last attempt would. Run it while no purchase
// worker of the stack serves the event.
import { UnrecoverableError, Worker } from "bullmq";
import type { Deps } from "../../src/deps.js";
import { PURCHASE_QUEUE, type PurchasePayload, purchaseQueueOptions } from "../../src/purchase/jobs.js";
import { createBullConnection } from "../../src/redis/client.js";

export async function failJobsForGood(
  deps: Deps,
  eventId: string,
  count: number,
  before?: (job: PurchasePayload) => Promise<unknown>,
): Promise<void> {
  const connection = createBullConnection(deps.config);
  let failed = 0;
  await new Promise<void>((resolve) => {
    const worker = new Worker(
      PURCHASE_QUEUE,
      async (job) => {
        await before?.(job.data as PurchasePayload);
        throw new UnrecoverableError("the payment provider's client crashed");
      },
      purchaseQueueOptions(connection, eventId),
    );
    worker.on("failed", () => {
      if (++failed === count) void worker.close().then(() => resolve());
    });
  });
  connection.disconnect();
}
