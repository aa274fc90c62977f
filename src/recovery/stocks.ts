// The convergence loop's pass over the stock core (src/stock/): level-triggered, like the
// events' (converge.ts). Each pass:
//  1. finishes takes left PENDING by a crash (the same keyed step, then its record);
//  2. applies to Redis what PostgreSQL decided and Redis has not shown yet (releases, confirms);
//  3. releases HELD takes whose hold expired, and closes LIVE stocks past their end;
//  4. builds the state of a LIVE stock that has none;
//  5. (reconcile passes) sets Redis's total to PostgreSQL's, and repairs counters that drifted;
//  6. archives CLOSED stocks with nothing in flight: final figures in PostgreSQL, Redis forgets;
//  7. finishes what a crash left of catalog orders (catalog-orders.ts).
// An event product's stock (kind EVENT) is not this pass's: the sale's own loop (converge.ts)
// drives it, from its tickets and orders.
// A drift repaired is reported with the stock's location when it is a location's (src/catalog/).
import type { Stock, TakeStatus } from "@prisma/client";
import type { Deps } from "../deps.js";
import { stockLoopWork } from "../metrics.js";
import { keys } from "../redis/keys.js";
import { setTotalAt } from "../redis/steps/stock-counters.js";
import { forgetStock, readStockStates, repairTakes, type TakeEntry } from "../redis/steps/stock-state.js";
import { EVENT_KIND } from "../stock/stock-groups.js";
import { closeStock, settledFigures } from "../stock/stocks.service.js";
import { recordApplied, recordReleased } from "../stock/take-store.js";
import { applyConfirm, applyRelease, drive } from "../stock/takes.service.js";
import { convergeCatalogOrders } from "./catalog-orders.js";
import { buildStockState } from "./stock-build.js";

/** A take younger than this may still be in its caller's hands: the loop leaves it be. */
const GRACE_MS = 5_000;
const BATCH = 500;

interface LooseTake {
  stockId: string;
  reference: string;
  userId: string | null;
  quantity: number;
  status: TakeStatus;
  group: string;
}

export interface StockPassReport {
  pending: number;
  applied: number;
  expired: number;
  closed: number;
  built: number;
  repaired: number;
  /** The stocks whose counters were repaired, with their location and product when they have one. */
  drifted: { stockId: string; locationId?: string; sku?: string }[];
  archived: number;
}

export async function convergeStocks(
  deps: Deps,
  opts: { reconcile: boolean; graceMs?: number },
): Promise<StockPassReport> {
  const report: StockPassReport = {
    pending: 0,
    applied: 0,
    expired: 0,
    closed: 0,
    built: 0,
    repaired: 0,
    drifted: [],
    archived: 0,
  };
  const since = new Date(Date.now() - (opts.graceMs ?? GRACE_MS));

  // 1 and 2: takes PENDING, or whose status Redis has not shown yet, per reference and group.
  const loose = await deps.prisma.$queryRaw<LooseTake[]>`
    SELECT t."stockId", t."reference", t."userId", t."quantity", t."status", s."group"
    FROM "Take" t JOIN "Stock" s ON s.id = t."stockId"
    WHERE t."applied" IS NULL AND t."updatedAt" < ${since} AND s."kind" <> ${EVENT_KIND}
    ORDER BY t."updatedAt" LIMIT ${BATCH}`;
  for (const lines of byReference(loose)) {
    const first = lines[0];
    if (!first) continue;
    const stocks = lines.map((l) => ({ group: l.group, stockId: l.stockId, quantity: l.quantity }));
    try {
      if (first.status === "PENDING") {
        await drive(deps, { reference: first.reference, userId: first.userId, lines: stocks }, stocks).catch(
          (err: { status?: number }) => {
            if (!(err.status && err.status < 500)) throw err; // a refusal is an outcome
          },
        );
        report.pending++;
      } else if (first.status === "CONFIRMED") {
        await applyConfirm(deps, stocks, first.reference);
        report.applied++;
      } else if (first.status === "RELEASED") {
        await applyRelease(deps, stocks, first.reference);
        report.applied++;
      } else if (first.status === "HELD") {
        // Recorded HELD by its take step: the counters' repair covers a state that lost it.
        await recordApplied(
          deps.prisma,
          first.reference,
          stocks.map((l) => l.stockId),
          "HELD",
        );
      }
    } catch (err) {
      deps.log.warn({ err, reference: first.reference }, "could not settle the take this pass");
    }
  }

  // 3: holds that expired, and stocks whose period ended.
  const expired = await deps.prisma.take.findMany({
    where: { status: "HELD", expiresAt: { lte: new Date() } },
    select: { stockId: true, reference: true, stock: { select: { group: true } } },
    take: BATCH,
  });
  for (const t of expired) {
    const released = await recordReleased(deps.prisma, t.reference, [t.stockId], { onlyExpired: true });
    if (released.length > 0) {
      await applyRelease(deps, [{ group: t.stock.group, stockId: t.stockId }], t.reference);
      report.expired++;
    }
  }
  const ended = await deps.prisma.stock.findMany({
    where: { status: "LIVE", endsAt: { lte: new Date() }, kind: { not: EVENT_KIND } },
    select: { id: true },
  });
  for (const s of ended) {
    await closeStock(deps, s.id);
    report.closed++;
  }

  // 4, 5 and 6, per stock not archived.
  const stocks = await deps.prisma.stock.findMany({
    where: { status: { in: ["LIVE", "CLOSED"] }, archivedAt: null, kind: { not: EVENT_KIND } },
  });
  const states = await readStockStates(
    deps.redis,
    stocks.map((s) => ({ group: s.group, stockId: s.id })),
  );
  const busy = new Set(loose.map((t) => t.stockId));
  const inFlight = await deps.prisma.take.groupBy({
    by: ["stockId"],
    where: { stockId: { in: stocks.map((s) => s.id) }, status: "PENDING" },
  });
  for (const row of inFlight) busy.add(row.stockId);
  // PostgreSQL's figures (a sum over the takes): for the closed stocks to archive, and on the
  // reconcile passes only.
  const figures = await settledFigures(
    deps,
    stocks.filter((s) => s.status === "CLOSED" || opts.reconcile).map((s) => s.id),
  );
  for (const [i, stock] of stocks.entries()) {
    try {
      const state = states[i] ?? null;
      if (stock.status === "LIVE" && !state) {
        if ((await buildStockState(deps, stock.id)) === "built") report.built++;
        continue;
      }
      if (stock.status === "CLOSED") {
        if (!busy.has(stock.id)) {
          await archiveStock(deps, stock, figures.get(stock.id) ?? { held: 0, taken: 0 });
          report.archived++;
        }
        continue;
      }
      if (!opts.reconcile || !state || busy.has(stock.id)) continue;
      if (stock.total !== null && state.total !== null && state.total !== stock.total)
        await syncTotal(deps, stock.id);
      const pg = figures.get(stock.id) ?? { held: 0, taken: 0 };
      if (pg.held !== state.reserved || pg.taken !== state.sold) {
        report.drifted.push(await repairStock(deps, stock, pg, state));
        report.repaired++;
      }
    } catch (err) {
      deps.log.warn({ err, stockId: stock.id }, "could not converge the stock this pass");
    }
  }
  for (const [what, count] of Object.entries(report))
    if (typeof count === "number" && count > 0) stockLoopWork.inc({ what }, count);
  try {
    // Two scans of the catalog's orders and takes: on the reconcile passes (every 10 s) only.
    if (opts.reconcile) await convergeCatalogOrders(deps);
  } catch (err) {
    deps.log.warn({ err }, "could not converge the catalog orders this pass");
  }
  return report;
}

function byReference(takes: LooseTake[]): LooseTake[][] {
  const groups = new Map<string, LooseTake[]>();
  for (const t of takes) {
    const key = `${t.group}\u0000${t.reference}\u0000${t.status}`;
    const list = groups.get(key) ?? [];
    list.push(t);
    groups.set(key, list);
  }
  return [...groups.values()];
}

/** Redis's total to PostgreSQL's, under the stock's row lock (totals never interleave). */
async function syncTotal(deps: Deps, stockId: string): Promise<void> {
  await deps.prisma.$transaction(async (tx) => {
    const [row] = await tx.$queryRaw<{ group: string; total: number | null }[]>`
      SELECT "group", "total" FROM "Stock" WHERE id = ${stockId} AND "status" = 'LIVE' FOR UPDATE`;
    if (!row || row.total === null) return;
    await setTotalAt(deps.redis, keys.stockCounters({ group: row.group, stockId }), row.total, "sync");
  });
}

async function repairStock(
  deps: Deps,
  stock: Stock,
  pg: { held: number; taken: number },
  redis: { reserved: number; sold: number },
): Promise<{ stockId: string; locationId?: string; sku?: string }> {
  const takes = await deps.prisma.take.findMany({
    where: { stockId: stock.id, status: { in: ["HELD", "CONFIRMED", "RELEASED"] } },
    select: { reference: true, status: true, quantity: true, userId: true },
  });
  const repaired = await repairTakes(
    deps.redis,
    { group: stock.group, stockId: stock.id },
    takes as TakeEntry[],
  );
  // A location's stock: say which location and product drifted.
  const at =
    stock.kind === "LOCATION"
      ? await deps.prisma.locationStock.findUnique({
          where: { stockId: stock.id },
          select: { locationId: true, sku: true },
        })
      : null;
  const drift = { stockId: stock.id, ...(at ? { locationId: at.locationId, sku: at.sku } : {}) };
  deps.log.warn({ ...drift, postgres: pg, redis, repaired }, "stock counters repaired");
  return drift;
}

async function archiveStock(deps: Deps, stock: Stock, f: { held: number; taken: number }): Promise<void> {
  await forgetStock(deps.redis, { group: stock.group, stockId: stock.id });
  await deps.prisma.stock.update({
    where: { id: stock.id },
    data: {
      remaining: stock.total === null ? null : Math.max(stock.total - f.held - f.taken, 0),
      remainSyncedAt: new Date(),
      archivedAt: new Date(),
    },
  });
}
