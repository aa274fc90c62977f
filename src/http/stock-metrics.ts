// Prometheus series of the stock core's LIVE stocks, read when scraped (prom-client
// `collect`): units by kind, from Redis (the live truth) for the stocks PostgreSQL says are
// LIVE. Labelled by stock and kind (total = remaining + held + taken; unlimited stocks have no
// total or remaining series), so an operator sees a voucher, a coupon or a location's stock drain.
import { Gauge, type Registry } from "prom-client";
import type { Deps } from "../deps.js";
import { redisErrors } from "../metrics.js";
import { readStockStates } from "../redis/steps/stock-state.js";
import { EVENT_KIND } from "../stock/stock-groups.js";

/** Most stocks reported: a bound on the series one scrape makes. */
const MAX_STOCKS = 2000;

export function registerStockMetrics(registry: Registry, deps: Deps): void {
  if (registry.getSingleMetric("dropqueue_stock_core_units")) return;
  new Gauge({
    name: "dropqueue_stock_core_units",
    help: "Units of a LIVE core stock by kind (total, remaining, held, taken) and stock kind (STOCK, COUPON_ISSUE, COUPON_USE, LOCATION)",
    labelNames: ["stock", "stock_kind", "kind"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const stocks = await deps.prisma.stock.findMany({
          // An event product's stock is the sale's: its figures are the sale metrics' (sale-metrics.ts).
          where: { status: "LIVE", kind: { not: EVENT_KIND } },
          select: { id: true, group: true, kind: true },
          orderBy: { createdAt: "desc" },
          take: MAX_STOCKS,
        });
        const states = await readStockStates(
          deps.redis,
          stocks.map((s) => ({ group: s.group, stockId: s.id })),
        );
        for (const [i, s] of stocks.entries()) {
          const state = states[i];
          if (!state) continue;
          const labels = { stock: s.id, stock_kind: s.kind };
          if (state.total !== null) this.set({ ...labels, kind: "total" }, state.total);
          if (state.remaining !== null) this.set({ ...labels, kind: "remaining" }, state.remaining);
          this.set({ ...labels, kind: "held" }, state.reserved);
          this.set({ ...labels, kind: "taken" }, state.sold);
        }
      } catch (err) {
        redisErrors.inc({ op: "metrics" });
        deps.log.warn({ err }, "could not read stock metrics");
      }
    },
  });
}
