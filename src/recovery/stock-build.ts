// Builds a core stock's live Redis state from PostgreSQL: when it goes LIVE, and whenever the
// state is missing (Redis lost it). The build raises Stock.stateEpoch under the stock's row
// lock and reads its takes in the same transaction; a take answered by an older state can then
// no longer be recorded (src/stock/take-store.ts recordTaken), and the load is keyed by the
// epoch, so a slower builder cannot overwrite a newer state. Never an event product's stock
// (kind EVENT): its event's rebuild (rebuild.ts) builds it, from the sale's tickets and orders.
import type { Deps } from "../deps.js";
import { loadStock, type TakeEntry } from "../redis/steps/stock-state.js";
import { EVENT_KIND } from "../stock/stock-groups.js";

export type BuildResult = "built" | "newerThere" | "notLive" | "unknown";

export async function buildStockState(deps: Deps, stockId: string): Promise<BuildResult> {
  const read = await deps.prisma.$transaction(async (tx) => {
    const [stock] = await tx.$queryRaw<
      {
        group: string;
        status: string;
        total: number | null;
        perUserLimit: number | null;
        startsAt: Date | null;
        endsAt: Date | null;
        stateEpoch: number;
      }[]
    >`
      UPDATE "Stock" SET "stateEpoch" = "stateEpoch" + 1
      WHERE id = ${stockId} AND "status" = 'LIVE' AND "kind" <> ${EVENT_KIND}
      RETURNING "group", "status", "total", "perUserLimit", "startsAt", "endsAt", "stateEpoch"`;
    if (!stock) return null;
    const takes = await tx.take.findMany({
      where: { stockId, status: { in: ["HELD", "CONFIRMED", "RELEASED"] } },
      select: { reference: true, status: true, quantity: true, userId: true },
    });
    return { stock, takes };
  });
  if (!read) {
    const exists = await deps.prisma.stock.count({ where: { id: stockId } });
    return exists ? "notLive" : "unknown";
  }
  const { stock, takes } = read;
  const loaded = await loadStock(
    deps.redis,
    { group: stock.group, stockId },
    {
      epoch: stock.stateEpoch,
      status: "LIVE",
      total: stock.total,
      perUserLimit: stock.perUserLimit,
      startsAt: stock.startsAt,
      endsAt: stock.endsAt,
    },
    takes as TakeEntry[],
  );
  if (loaded.kind === "loaded") deps.log.info({ stockId, epoch: stock.stateEpoch }, "stock state built");
  return loaded.kind === "loaded" ? "built" : "newerThere";
}
