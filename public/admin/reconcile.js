// The report of POST .../reconcile as a summary line and a table: per product, what
// PostgreSQL says must remain, what Redis holds, the drift, and what was repaired or settled.

import { h } from "../lib/dom.js";
import { formatNumber } from "../lib/format.js";
import { formatClock } from "./messages.js";

/**
 * @param {{sku: string, expectedRemaining: number, redisRemaining: number, drift: number, repaired: boolean, settled?: number}[]} products
 * @param {number} at when the report was made
 * @returns {Node[]}
 */
export function reconcileReport(products, at) {
  const drifted = products.filter((p) => p.drift !== 0);
  const settled = products.reduce((sum, p) => sum + (p.settled ?? 0), 0);
  let summary;
  if (drifted.length === 0) summary = "Redis and PostgreSQL agree on every product.";
  else
    summary = `Drift on ${drifted.length} product${drifted.length === 1 ? "" : "s"}: ${
      drifted.every((p) => p.repaired) ? "repaired." : "not all repaired — run it again in a moment."
    }`;
  if (settled > 0)
    summary += ` Settled ${formatNumber(settled)} purchase${settled === 1 ? "" : "s"} stuck in flight.`;
  const tone =
    drifted.length === 0
      ? "banner--info"
      : drifted.every((p) => p.repaired)
        ? "banner--warning"
        : "banner--error";
  return [
    h(
      "p",
      { class: `banner ${tone}`, "data-testid": "reconcile-summary" },
      `${formatClock(at)} — ${summary}`,
    ),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "table" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ...["SKU", "Expected remaining", "Redis remaining", "Drift", "Repaired", "Settled"].map(
              (label, i) => h("th", { scope: "col", class: i > 0 ? "num" : null }, label),
            ),
          ),
        ),
        h(
          "tbody",
          {},
          ...products.map((p) =>
            h(
              "tr",
              { "data-testid": `reconcile-row-${p.sku}` },
              h("th", { scope: "row" }, h("code", {}, p.sku)),
              h("td", { class: "num" }, formatNumber(p.expectedRemaining)),
              h("td", { class: "num" }, formatNumber(p.redisRemaining)),
              h("td", { class: `num${p.drift !== 0 ? " text-danger" : ""}` }, formatNumber(p.drift)),
              h("td", { class: "num" }, p.drift === 0 ? "—" : p.repaired ? "yes" : "no"),
              h("td", { class: "num" }, formatNumber(p.settled ?? 0)),
            ),
          ),
        ),
      ),
    ),
  ];
}
