// Prometheus series of the sales in progress, read from Redis when scraped (prom-client
// `collect`), so every API process reports the same figures whichever process or worker
// did the work. Only events in the active set that have not ENDED are reported, which
// keeps the `event` label bounded by the sales running now.
import type { Registry } from "prom-client";
import { Counter, Gauge } from "prom-client";
import type { Deps } from "../deps.js";
import { readStock, type StockCounters } from "../events/event-state.js";
import { redisErrors } from "../metrics.js";
import { keys } from "../redis/keys.js";

const JOB_STATES = ["wait", "active", "delayed", "failed"] as const;
const STOCK_KINDS = ["total", "remaining", "reserved", "sold"] as const;
/** Stats fields of one final outcome: `confirmed`, `cancelled`, `rejected:<REASON>`, `failed:<REASON>`. */
const OUTCOME_FIELD = /^(confirmed|cancelled|rejected:[A-Z_]+|failed:[A-Z_]+)$/;

interface EventSnapshot {
  eventId: string;
  stats: Record<string, string>;
  products: { sku: string; stock: StockCounters | null }[];
  jobs: Partial<Record<(typeof JOB_STATES)[number], number>>;
}

/** Registers the sale series on a registry (once per registry). */
export function registerSaleMetrics(registry: Registry, deps: Deps): void {
  if (registry.getSingleMetric("dropqueue_waiting")) return;
  const read = snapshotReader(deps);

  new Counter({
    name: "dropqueue_joins_total",
    help: "Tickets that joined an event's waiting room",
    labelNames: ["event"] as const,
    registers: [registry],
    async collect() {
      const events = await read();
      this.reset();
      for (const e of events) this.inc({ event: e.eventId }, Number(e.stats.joins ?? 0));
    },
  });
  new Counter({
    name: "dropqueue_tickets_outcome_total",
    help: "Tickets by final outcome (status CONFIRMED, REJECTED, FAILED, CANCELLED) and reason",
    labelNames: ["event", "status", "reason"] as const,
    registers: [registry],
    async collect() {
      const events = await read();
      this.reset();
      for (const e of events) {
        for (const [field, value] of Object.entries(e.stats)) {
          if (!OUTCOME_FIELD.test(field)) continue;
          const [status = "", reason = ""] = field.split(":");
          this.inc({ event: e.eventId, status: status.toUpperCase(), reason }, Number(value));
        }
      }
    },
  });
  for (const [name, field, help] of [
    ["dropqueue_waiting", "waiting", "Tickets waiting in line (queued, not yet admitted)"],
    ["dropqueue_processing", "processing", "Tickets admitted whose purchase is in flight"],
  ] as const) {
    new Gauge({
      name,
      help,
      labelNames: ["event"] as const,
      registers: [registry],
      async collect() {
        const events = await read();
        this.reset();
        for (const e of events) this.set({ event: e.eventId }, Number(e.stats[field] ?? 0));
      },
    });
  }
  new Gauge({
    name: "dropqueue_queue_depth",
    help: "Purchase jobs of an event's BullMQ queue by state",
    labelNames: ["event", "state"] as const,
    registers: [registry],
    async collect() {
      const events = await read();
      this.reset();
      for (const e of events) {
        for (const state of JOB_STATES) {
          const count = e.jobs[state];
          if (count !== undefined) this.set({ event: e.eventId, state }, count);
        }
      }
    },
  });
  new Gauge({
    name: "dropqueue_stock",
    help: "Units of a product by kind: total = remaining + reserved + sold",
    labelNames: ["event", "sku", "kind"] as const,
    registers: [registry],
    async collect() {
      const events = await read();
      this.reset();
      for (const e of events) {
        for (const { sku, stock } of e.products) {
          if (!stock) continue;
          for (const kind of STOCK_KINDS) this.set({ event: e.eventId, sku, kind }, stock[kind]);
        }
      }
    },
  });
}

/**
 * One Redis read serves all the series of a scrape: prom-client collects every metric at
 * once, so they share the read in flight. A Redis failure counts and leaves them out.
 */
function snapshotReader(deps: Deps): () => Promise<EventSnapshot[]> {
  let inFlight: Promise<EventSnapshot[]> | undefined;
  return () => {
    if (!inFlight) {
      const read = readSnapshot(deps)
        .catch((err) => {
          redisErrors.inc({ op: "metrics" });
          deps.log.warn({ err }, "could not read sale metrics from Redis");
          return [];
        })
        .finally(() => {
          if (inFlight === read) inFlight = undefined;
        });
      inFlight = read;
    }
    return inFlight;
  };
}

async function readSnapshot(deps: Deps): Promise<EventSnapshot[]> {
  const ids = (await deps.redis.smembers(keys.activeEvents())).sort();
  // One read per event, not one pipeline: events live in different Redis Cluster slots.
  const metas = await Promise.all(ids.map((id) => deps.redis.hmget(keys.meta(id), "status", "skus")));
  const live = ids.flatMap((eventId, i) => {
    const [status, skus] = metas[i] ?? [];
    if (!status || status === "ENDED") return [];
    return [{ eventId, skus: skus ? skus.split(",") : [] }];
  });
  return Promise.all(
    live.map(async ({ eventId, skus }) => {
      const [stats, stock, jobs] = await Promise.all([
        deps.redis.hgetall(keys.stats(eventId)),
        readStock(deps.redis, eventId, skus),
        deps.queues.get(eventId).getJobCounts(...JOB_STATES),
      ]);
      return {
        eventId,
        stats,
        products: skus.map((sku, i) => ({ sku, stock: stock[i] ?? null })),
        jobs,
      };
    }),
  );
}
