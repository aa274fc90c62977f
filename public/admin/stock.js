// The selected event's products: one table row each with its counters (total, remaining,
// reserved, sold) and a field to set a new total, with the error of a refused change shown
// under its product.
import { ApiError } from "../lib/api.js";
import { paths } from "../lib/contract.js";
import { $, h, setAttr, setText } from "../lib/dom.js";
import { formatMoney, formatNumber } from "../lib/format.js";
import { stockErrorMessage } from "./messages.js";

/**
 * @param {{
 *   adminApi: Function,
 *   currency: string,
 *   selected: () => {id: string | null, event: any},
 *   onRowAdded: (sku: string) => void,
 *   onSaved: (product: any) => void,
 * }} opts onSaved: the event's product after a stock change (the ledger has a new row)
 */
export function createStock({ adminApi, currency, selected, onRowAdded, onSaved }) {
  const ui = {
    ruleNote: $("stock-rule-note"),
    table: $("product-table"),
    // One error line, moved next to the product it is about, so a test finds one node.
    error: h("p", { class: "field__error stock-error", "data-testid": "stock-error", role: "alert" }),
  };
  /** sku → the product row's nodes. */
  const rows = new Map();
  /** The product row under which the stock error shows. */
  let errorRow = null;

  function clear() {
    rows.clear();
    ui.table.replaceChildren();
    clearError();
  }

  function render(event) {
    const products = event?.products ?? [];
    const ended = event?.status === "ENDED";
    setText(
      ui.ruleNote,
      ended
        ? "The sale has ended: stock can no longer change."
        : event?.firstLiveAt
          ? "The sale has gone live: a total can be lowered to what is sold + reserved, and raised back up to its total when the sale first went live."
          : "Before the sale first goes live, totals can be set freely.",
    );
    // Products never change order or go away (the API lists them by SKU): rows are only added.
    for (const product of products) {
      let row = rows.get(product.sku);
      if (!row) {
        row = productRow(product.sku);
        rows.set(product.sku, row);
        ui.table.append(row.tr);
        onRowAdded(product.sku);
      }
      setText(row.name, product.name);
      setText(row.price, formatMoney(product.priceCents, currency));
      setText(row.limit, formatNumber(product.perUserLimit));
      updateCounters(product);
      // Never overwrite what the admin is typing.
      if (document.activeElement !== row.input && row.input.dataset.dirty !== "true")
        row.input.value = String(product.total);
      row.input.disabled = ended;
      row.save.disabled = ended || row.busy;
    }
  }

  function productRow(sku) {
    const id = `stock-${sku}`;
    const cell = (testid) => h("td", { class: "num", "data-testid": testid });
    const row = {
      sku,
      busy: false,
      name: h("td", { class: "cell-wrap" }),
      price: h("td", { class: "num col-minor" }),
      limit: h("td", { class: "num col-minor" }),
      total: cell(`stat-total-${sku}`),
      remaining: cell(`stat-remaining-${sku}`),
      reserved: cell(`stat-reserved-${sku}`),
      sold: cell(`stat-sold-${sku}`),
      input: h("input", {
        class: "input input--small",
        id,
        type: "number",
        inputmode: "numeric",
        min: 0,
        step: 1,
        "data-testid": `stock-input-${sku}`,
        "aria-label": `New total for ${sku}`,
      }),
      save: h(
        "button",
        { type: "button", class: "btn btn--small", "data-testid": `stock-save-${sku}` },
        "Save",
      ),
      note: h("span", { class: "stock-ok", "data-testid": `stock-ok-${sku}`, role: "status" }),
      // A full-width row under the product for its stock error, so the table keeps its width.
      errorRow: h("tr", { class: "stock-error-row" }, h("td", { colspan: 9 })),
    };
    row.editor = h("td", {}, h("div", { class: "stock-edit" }, row.input, row.save, row.note));
    row.tr = h(
      "tr",
      { "data-testid": `product-row-${sku}` },
      h("th", { scope: "row" }, h("code", {}, sku)),
      row.name,
      row.price,
      row.limit,
      row.total,
      row.remaining,
      row.reserved,
      row.sold,
      row.editor,
    );
    row.input.addEventListener("input", () => {
      row.input.dataset.dirty = "true";
      setText(row.note, "");
    });
    row.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") save(row);
    });
    row.save.addEventListener("click", () => save(row));
    return row;
  }

  function updateCounters(p) {
    const row = rows.get(p.sku);
    if (!row) return;
    for (const key of ["total", "remaining", "reserved", "sold"]) {
      setText(row[key], formatNumber(p[key]));
      setAttr(row[key], "data-value", p[key]);
    }
  }

  async function save(row) {
    const { id } = selected();
    if (!id || row.busy) return;
    clearError();
    setText(row.note, "");
    const raw = row.input.value.trim();
    if (!/^\d+$/.test(raw)) {
      showError(row, "Enter a whole number of units, 0 or more.");
      return;
    }
    row.busy = true;
    row.save.disabled = true;
    setText(row.save, "Saving…");
    try {
      const product = await adminApi(paths.adminStock(id, row.sku), {
        method: "PUT",
        body: { total: Number(raw) },
      });
      if (selected().id !== id) return;
      row.input.dataset.dirty = "false";
      row.input.value = String(product.total);
      onSaved(product);
      updateCounters(product);
      setText(row.note, "Saved ✓");
      setTimeout(() => {
        if (row.note.textContent === "Saved ✓") setText(row.note, "");
      }, 4000);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      if (selected().id === id) showError(row, stockErrorMessage(err));
    } finally {
      row.busy = false;
      setText(row.save, "Save");
      row.save.disabled = selected().event?.status === "ENDED";
    }
  }

  function showError(row, message) {
    clearError();
    setText(ui.error, message);
    setAttr(ui.error, "data-sku", row.sku);
    setAttr(ui.error, "id", `${row.input.id}-error`);
    row.errorRow.firstChild.append(ui.error);
    row.tr.after(row.errorRow);
    errorRow = row;
    row.input.setAttribute("aria-invalid", "true");
    row.input.setAttribute("aria-describedby", `${row.input.id}-error`);
    row.input.focus();
  }

  function clearError() {
    const row = errorRow;
    errorRow = null;
    ui.error.remove();
    if (!row) return;
    row.errorRow.remove();
    row.input.removeAttribute("aria-invalid");
    row.input.removeAttribute("aria-describedby");
  }

  return { render, clear, clearError, updateCounters };
}
