// A small hand-drawn SVG line chart of the live stats of one event over a sliding window:
// one panel for joins and confirmed orders, one for the remaining stock of each product.
// No library: a few polylines, three grid lines and a legend, redrawn at the container's
// real width (so text is never stretched), once a second at most.

import { h } from "../lib/dom.js";
import { formatNumber } from "../lib/format.js";

const SVG_NS = "http://www.w3.org/2000/svg";
export const WINDOW_MS = 120_000;
const HEIGHT = 170;
const MARGIN = { top: 10, right: 12, bottom: 24, left: 46 };
const PRODUCT_COLOURS = 6; // .chart-c2 … .chart-c7 in css/admin-event.css

const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });

/**
 * @typedef {{t: number, joins: number, confirmed: number, remaining: Record<string, number>}} Sample
 */

/** @param {HTMLElement} root */
export function createChart(root) {
  const counts = panel("Joins and confirmed orders");
  const stock = panel("Remaining stock per product");
  root.replaceChildren(counts.figure, stock.figure);

  /** @type {[Sample[], string[]] | null} */
  let last = null;
  const redraw = () => {
    if (last) draw(...last);
  };
  if (typeof ResizeObserver === "function") new ResizeObserver(redraw).observe(root);

  /**
   * @param {Sample[]} samples oldest first
   * @param {string[]} skus the products to draw, in order
   */
  function draw(samples, skus) {
    last = [samples, skus];
    const now = Date.now();
    const visible = samples.filter((s) => s.t >= now - WINDOW_MS - 2000);
    root.dataset.points = String(visible.length);

    drawPanel(counts, visible, now, [
      { label: "Joins", colour: 0, value: (s) => s.joins },
      { label: "Confirmed", colour: 1, value: (s) => s.confirmed },
    ]);
    drawPanel(
      stock,
      visible,
      now,
      skus.map((sku, i) => ({
        label: sku,
        colour: 2 + (i % PRODUCT_COLOURS),
        value: (s) => s.remaining[sku],
      })),
    );
  }

  return { draw, redraw };
}

function panel(title) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("class", "chart__svg");
  svg.setAttribute("role", "img");
  const legend = h("ul", { class: "chart__legend" });
  const figure = h(
    "figure",
    { class: "chart__panel" },
    h("figcaption", { class: "chart__title" }, title),
    h("div", { class: "chart__plot" }, svg),
    legend,
  );
  return { figure, svg, legend, title };
}

/**
 * @param {{svg: SVGSVGElement, legend: HTMLElement, title: string, figure: HTMLElement}} p
 * @param {Sample[]} samples
 * @param {number} now
 * @param {{label: string, colour: number, value: (s: Sample) => number | undefined}[]} series
 */
function drawPanel(p, samples, now, series) {
  const width = Math.max(240, Math.round(p.svg.parentElement?.clientWidth || 480));
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  p.svg.setAttribute("viewBox", `0 0 ${width} ${HEIGHT}`);
  p.svg.setAttribute("width", String(width));
  p.svg.setAttribute("height", String(HEIGHT));

  let max = 0;
  for (const s of samples) {
    for (const line of series) max = Math.max(max, line.value(s) ?? 0);
  }
  const top = niceCeiling(max);
  const x = (t) => MARGIN.left + ((t - (now - WINDOW_MS)) / WINDOW_MS) * plotW;
  const y = (v) => MARGIN.top + plotH - (v / top) * plotH;

  const nodes = [];
  // Grid: 0, half, top; time marks at −2 min, −1 min, now.
  for (const v of [0, top / 2, top]) {
    nodes.push(
      svgEl("line", { class: "chart__grid", x1: MARGIN.left, x2: width - MARGIN.right, y1: y(v), y2: y(v) }),
    );
    nodes.push(
      svgEl(
        "text",
        { class: "chart__axis", x: MARGIN.left - 6, y: y(v) + 4, "text-anchor": "end" },
        axisLabel(v),
      ),
    );
  }
  const marks = [
    [now - WINDOW_MS, "−2 min", "start"],
    [now - WINDOW_MS / 2, "−1 min", "middle"],
    [now, "now", "end"],
  ];
  for (const [t, label, anchor] of marks) {
    nodes.push(svgEl("text", { class: "chart__axis", x: x(t), y: HEIGHT - 6, "text-anchor": anchor }, label));
  }

  // Lines, clipped to the plot so a point just leaving the window does not cross the axis.
  const clipId = `clip-${p.title.replace(/\W+/g, "-")}`;
  const clip = svgEl("clipPath", { id: clipId });
  clip.append(svgEl("rect", { x: MARGIN.left, y: 0, width: plotW + 1, height: HEIGHT }));
  nodes.push(clip);
  const summary = [];
  for (const line of series) {
    const points = samples
      .map((s) => [s.t, line.value(s)])
      .filter(([, v]) => Number.isFinite(v))
      .map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`);
    const cls = `chart-c${line.colour}`;
    if (points.length > 1) {
      nodes.push(
        svgEl("polyline", {
          class: `chart__line ${cls}`,
          points: points.join(" "),
          "clip-path": `url(#${clipId})`,
          "data-series": line.label,
        }),
      );
    }
    const lastPoint = points.at(-1);
    if (lastPoint) {
      const [cx, cy] = lastPoint.split(",");
      nodes.push(svgEl("circle", { class: `chart__dot ${cls}`, cx, cy, r: 3 }));
    }
    const latest = samples.length ? line.value(samples[samples.length - 1]) : undefined;
    summary.push({ line, latest });
  }
  if (samples.length === 0) {
    nodes.push(
      svgEl(
        "text",
        {
          class: "chart__empty",
          x: MARGIN.left + plotW / 2,
          y: MARGIN.top + plotH / 2,
          "text-anchor": "middle",
        },
        "No live figures yet: they stream while the sale is live or paused",
      ),
    );
  }
  p.svg.replaceChildren(...nodes);

  p.legend.replaceChildren(
    ...summary.map(({ line, latest }) =>
      h(
        "li",
        { class: "chart__key" },
        h("span", { class: `chart__swatch chart-c${line.colour}`, "aria-hidden": "true" }),
        h("span", {}, line.label),
        h("strong", { class: "chart__value" }, latest === undefined ? "–" : formatNumber(latest)),
      ),
    ),
  );
  const said = summary
    .map(({ line, latest }) => `${line.label} ${latest === undefined ? "no data" : latest}`)
    .join(", ");
  p.svg.setAttribute("aria-label", `${p.title}, last 2 minutes: ${said || "no data"}`);
}

function svgEl(tag, attrs, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The smallest 1, 2, 2.5 or 5 × 10^n at or above v (at least 2: counts, so no half-way 0.5 mark). */
export function niceCeiling(v) {
  if (!(v > 2)) return 2;
  const magnitude = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * magnitude >= v) return step * magnitude;
  }
  return 10 * magnitude;
}

function axisLabel(v) {
  return Number.isInteger(v) ? compact.format(v) : compact.format(Math.round(v * 10) / 10);
}
