// The selected event's live figures: the stat cards, the reject and fail breakdowns and the
// chart. Figures come from the `/admin` socket (any live event: each kept for its chart) or,
// without one, from GET .../stats.
import { paths, RUNNING } from "../lib/contract.js";
import { $, h, setAttr, setText } from "../lib/dom.js";
import { formatNumber } from "../lib/format.js";
import { createChart, WINDOW_MS } from "./chart.js";
import { FAIL_REASONS, formatClock, REJECT_REASONS } from "./messages.js";

const LISTS_AFTER_OUTCOMES_MS = 2_000; // orders and ledger re-read at most this often as outcomes come
const CARDS = [
  ["joins", "Joins"],
  ["waiting", "Waiting"],
  ["processing", "Processing"],
  ["confirmed", "Confirmed"],
  ["admitted", "Admitted / s"],
  ["cancelled", "Cancelled"],
];

/**
 * @param {{
 *   adminApi: Function,
 *   selected: () => {id: string | null, event: any, shown: boolean},
 *   liveState: () => string,
 *   onProduct: (product: any) => void,
 *   onOutcomes: () => void,
 *   listsRefreshedAt: () => number,
 * }} opts selected: the event on screen (shown: its view is open); onProduct: a product's
 *   counters moved; onOutcomes: new orders and ledger rows are likely
 */
export function createStats({ adminApi, selected, liveState, onProduct, onOutcomes, listsRefreshedAt }) {
  const ui = {
    updated: $("stats-updated"),
    grid: $("stat-grid"),
    rejected: $("rejected"),
    failed: $("failed"),
  };
  const chart = createChart($("chart"));
  const nodes = buildGrid(ui);
  /** The selected event's latest stats and when they arrived. */
  let stats = null;
  let statsAt = 0;
  /** eventId → samples for the chart, oldest first (kept for every live event seen). */
  const history = new Map();
  /** confirmed + failed + cancelled when the orders were last read. */
  let outcomesSeen = -1;
  let inFlight = false;

  async function fetchStats() {
    const { id } = selected();
    if (!id || inFlight) return;
    inFlight = true;
    try {
      const answer = await adminApi(paths.adminStats(id));
      apply({ ...answer, eventId: id });
    } catch {
      // The next tick or the socket tries again; the figures shown say when they were taken.
    } finally {
      inFlight = false;
    }
  }

  /** Stats of any event (socket or GET): kept for its chart, shown when it is the selected one. */
  function apply(next) {
    const now = Date.now();
    addSample(next.eventId, {
      t: now,
      joins: next.joins,
      confirmed: next.confirmed,
      remaining: Object.fromEntries((next.products ?? []).map((p) => [p.sku, p.remaining])),
    });
    const current = selected();
    if (next.eventId !== current.id) return;
    stats = next;
    statsAt = now;
    render();
    // New outcomes mean new orders and ledger rows: show them without waiting for the next poll.
    const failed = next.failed ?? {};
    const outcomes =
      next.confirmed + next.cancelled + (failed.PAYMENT_DECLINED ?? 0) + (failed.PROCESSING_FAILED ?? 0);
    if (outcomes !== outcomesSeen && now - listsRefreshedAt() >= LISTS_AFTER_OUTCOMES_MS) {
      outcomesSeen = outcomes;
      onOutcomes();
    }
    if (current.shown) draw();
  }

  function addSample(eventId, sample) {
    let samples = history.get(eventId);
    if (!samples) {
      samples = [];
      history.set(eventId, samples);
    }
    // A GET right after a socket message (or the reverse) would draw a kink: keep the newer.
    const last = samples.at(-1);
    if (last && sample.t - last.t < 500) samples[samples.length - 1] = sample;
    else samples.push(sample);
    while (samples.length > 0 && samples[0].t < sample.t - WINDOW_MS - 5000) samples.shift();
  }

  function draw() {
    const { id, event } = selected();
    chart.draw(
      id ? (history.get(id) ?? []) : [],
      (event?.products ?? []).map((p) => p.sku),
    );
  }

  function render() {
    const s = stats;
    const put = (key, value, text) => {
      const node = nodes[key];
      setText(node, value === undefined ? "–" : (text ?? formatNumber(value)));
      setAttr(node, "data-value", value);
    };
    put("joins", s?.joins);
    put("waiting", s?.waiting);
    put("processing", s?.processing);
    put("confirmed", s?.confirmed);
    put(
      "admitted",
      s?.admittedPerSecond,
      s
        ? new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(s.admittedPerSecond)
        : undefined,
    );
    put("cancelled", s?.cancelled);
    for (const [code] of REJECT_REASONS) put(`rejected-${code}`, s?.rejected?.[code]);
    for (const [code] of FAIL_REASONS) put(`failed-${code}`, s?.failed?.[code]);

    const status = selected().event?.status;
    let note = "";
    if (!s) note = "Loading…";
    else if (RUNNING.has(status))
      note = `${liveState() === "live" ? "Live" : "Polled"} · updated ${formatClock(statsAt)}`;
    else if (status === "ENDED") note = `Final figures · read ${formatClock(statsAt)}`;
    else note = `Read ${formatClock(statsAt)} · figures stream once the sale is live`;
    setText(ui.updated, note);

    for (const p of s?.products ?? []) onProduct(p);
  }

  return {
    fetch: fetchStats,
    apply,
    render,
    draw,
    get loaded() {
      return stats !== null;
    },
    /** Another event was selected. */
    reset() {
      stats = null;
      statsAt = 0;
      outcomesSeen = -1;
    },
    /** Signed out: forget every event's samples. */
    clear() {
      stats = null;
      history.clear();
    },
  };
}

function buildGrid(ui) {
  const nodes = {};
  ui.grid.replaceChildren(
    ...CARDS.map(([key, label]) => {
      nodes[key] = h("strong", { class: "stat__value", "data-testid": `stat-${key}` }, "–");
      return h("div", { class: `stat stat--${key}` }, h("span", { class: "stat__label" }, label), nodes[key]);
    }),
  );
  const breakdown = (root, reasons, kind) =>
    root.replaceChildren(
      ...reasons.map(([code, label]) => {
        nodes[`${kind}-${code}`] = h("dd", { "data-testid": `stat-${kind}-${code}` }, "–");
        return h("div", { class: "breakdown__item" }, h("dt", {}, label), nodes[`${kind}-${code}`]);
      }),
    );
  breakdown(ui.rejected, REJECT_REASONS, "rejected");
  breakdown(ui.failed, FAIL_REASONS, "failed");
  return nodes;
}
