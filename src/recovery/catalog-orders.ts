// The loop's pass over catalog orders (src/catalog/) placed the Redis way: what a crash between
// their two records leaves behind. Level-triggered and idempotent like the rest of the loop:
//  - an order CANCELLED whose take was not given back (the cancel died after its status): the
//    core's release, once;
//  - a take `order:<orderId>` still holding units with no order written (the order's caller died
//    after the take and never repeated it): given back once it is older than the grace, a
//    caller's repeat after that answers 409 INVALID_STATE (place it with a new reference).
import type { Deps } from "../deps.js";
import { release } from "../stock/takes.service.js";

/** A take younger than this may still be in its caller's hands, about to write its order. */
const ORPHAN_GRACE_MS = 60_000;
const BATCH = 200;

export interface CatalogPassReport {
  cancelsApplied: number;
  orphansReleased: number;
}

export async function convergeCatalogOrders(
  deps: Deps,
  opts: { orphanGraceMs?: number } = {},
): Promise<CatalogPassReport> {
  const report: CatalogPassReport = { cancelsApplied: 0, orphansReleased: 0 };
  const cancelled = await deps.prisma.$queryRaw<{ reference: string; stockIds: string[] }[]>`
    SELECT t."reference", array_agg(t."stockId") AS "stockIds"
    FROM "CatalogOrder" o JOIN "Take" t ON t."reference" = 'order:' || o.id
    WHERE o."status" = 'CANCELLED' AND t."status" IN ('PENDING', 'HELD', 'CONFIRMED', 'REFUSED')
    GROUP BY t."reference" LIMIT ${BATCH}`;
  const since = new Date(Date.now() - (opts.orphanGraceMs ?? ORPHAN_GRACE_MS));
  const orphans = await deps.prisma.$queryRaw<{ reference: string; stockIds: string[] }[]>`
    SELECT t."reference", array_agg(t."stockId") AS "stockIds"
    FROM "Take" t
    WHERE t."reference" LIKE 'order:%' AND t."status" IN ('HELD', 'CONFIRMED') AND t."createdAt" < ${since}
      AND NOT EXISTS (SELECT 1 FROM "CatalogOrder" o WHERE 'order:' || o.id = t."reference")
    GROUP BY t."reference" LIMIT ${BATCH}`;
  for (const [list, field] of [
    [cancelled, "cancelsApplied"],
    [orphans, "orphansReleased"],
  ] as const) {
    for (const t of list) {
      try {
        await release(deps, t.reference, t.stockIds);
        report[field]++;
      } catch (err) {
        deps.log.warn({ err, reference: t.reference }, "could not give the order's take back this pass");
      }
    }
  }
  if (report.orphansReleased > 0) deps.log.warn(report, "catalog takes without an order given back");
  return report;
}
