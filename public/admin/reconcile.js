// The "Reconcile now" button of the selected event, and the report of POST .../reconcile
// as a summary line and a table: per product, what PostgreSQL says must remain, what Redis
// holds, the drift, and what was repaired or settled.

import { ApiError } from "../lib/api.js";
import { paths } from "../lib/contract.js";
import { $, h, setText } from "../lib/dom.js";
import { formatNumber } from "../lib/format.js";
import { formatClock, generalErrorMessage } from "./messages.js";

/**
 * @param {{adminApi: Function, selectedId: () => string | null, onDone: () => void}} opts
 *   onDone: the figures and the event are worth reading again
 */
export function setupReconcile({ adminApi, selectedId, onDone }) {
  const button = $("reconcile");
  const report = $("reconcile-report");
  button.addEventListener("click", async () => {
    const id = selectedId();
    if (!id) return;
    button.disabled = true;
    setText(button, "Reconciling…");
    try {
      const answer = await adminApi(paths.adminReconcile(id), { method: "POST" });
      if (selectedId() !== id) return;
      report.replaceChildren(...reconcileReport(answer.products ?? [], Date.now()));
      report.hidden = false;
      onDone();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      report.replaceChildren(
        h(
          "div",
          { class: "banner banner--error", role: "alert" },
          `Reconcile failed: ${generalErrorMessage(err)}`,
        ),
      );
      report.hidden = false;
    } finally {
      button.disabled = false;
      setText(button, "Reconcile now");
    }
  });
  return {
    hide() {
      report.hidden = true;
    },
  };
}

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
