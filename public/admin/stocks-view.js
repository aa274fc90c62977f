// The Stocks view (#stocks): every stock with its figures (total, remaining, held, taken),
// its per-user limit, period and hold time, and when its live figures were last copied to
// PostgreSQL; Confirm (DRAFT → LIVE), Sync, Close, a new total within the stock rules (a
// refused one says why under its row), the ledger of one stock, and a form to create one.

import { paths, STOCK_ACTIONS_FROM } from "../lib/contract.js";
import { $, h, setText } from "../lib/dom.js";
import { formatNumber, formatTime } from "../lib/format.js";
import { createForm } from "./form-kit.js";
import { LEDGER_MOVEMENT_COLUMNS } from "./ledger-columns.js";
import { createPager } from "./pager.js";
import {
  actionButton,
  figure,
  holdText,
  nameCell,
  periodText,
  statusBadge,
  stockActionMessage,
  syncedText,
  viewBanner,
} from "./stock-bits.js";

const COLUMNS = [
  "Stock",
  "Status",
  "Total",
  "Remaining",
  "Held",
  "Taken",
  "Per user",
  "Period",
  "Synced",
  "Actions",
];
const LEDGER_PAGE = 15;

/** @param {{adminApi: Function}} opts */
export function createStocksView({ adminApi }) {
  const root = $("stocks-view");
  const body = h("tbody");
  const empty = h("p", { class: "muted", "data-testid": "stocks-empty" }, "No stocks yet: create one below.");
  const wrap = h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "table table--compact", "data-testid": "stocks-table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...COLUMNS.map((c, i) => h("th", { scope: "col", class: i >= 2 && i <= 6 ? "num" : null }, c)),
        ),
      ),
      body,
    ),
  );
  const errorNode = h("div", { class: "banner banner--error", role: "alert", "data-testid": "stocks-error" });
  const banner = viewBanner(errorNode, "");
  const refresh = h(
    "button",
    { type: "button", class: "btn btn--small btn--ghost", "data-testid": "stocks-refresh" },
    "Refresh",
  );
  refresh.addEventListener("click", () => load());
  // The one line under a row that says why its new total was refused.
  const totalError = h("p", {
    class: "field__error stock-error",
    role: "alert",
    "data-testid": "stock-total-error",
  });
  const totalErrorRow = h(
    "tr",
    { class: "stock-error-row" },
    h("td", { colspan: COLUMNS.length }, totalError),
  );

  const ledgerTitle = h("h2", { id: "stock-ledger-title" }, "Ledger");
  const ledgerCard = h(
    "section",
    { class: "card stack", "aria-labelledby": "stock-ledger-title", "data-testid": "stock-ledger-panel" },
    h(
      "div",
      { class: "section-head" },
      ledgerTitle,
      h("button", { type: "button", class: "btn btn--small", "data-testid": "stock-ledger-close" }, "Hide"),
    ),
    h("div", { "data-testid": "stock-ledger" }),
  );
  ledgerCard.hidden = true;
  let ledgerStock = null;
  const ledger = createPager({
    root: ledgerCard.lastChild,
    testid: "stock-ledger",
    emptyText: "No movements yet.",
    columns: [
      { label: "#", num: true, cell: (e) => e.id },
      { label: "Time", cell: (e) => formatTime(e.createdAt) },
      ...LEDGER_MOVEMENT_COLUMNS,
    ],
    load: (cursor) => {
      const q = new URLSearchParams({ limit: String(LEDGER_PAGE) });
      if (cursor) q.set("cursor", cursor);
      return adminApi(paths.adminStockLedger(ledgerStock?.id, q));
    },
  });
  ledgerCard.querySelector('[data-testid="stock-ledger-close"]').addEventListener("click", () => {
    ledgerStock = null;
    ledgerCard.hidden = true;
  });

  const create = createForm({
    id: "stock-form",
    title: "New stock",
    submitLabel: "Create stock",
    fields: [
      { key: "name", label: "Name", required: true, wide: true, placeholder: "e.g. Spring voucher" },
      { key: "total", label: "Total", kind: "int", unlimited: true, hint: "Units in all." },
      {
        key: "perUserLimit",
        label: "Per-user limit",
        kind: "int",
        min: 1,
        hint: "Takes then need a userId.",
      },
      {
        key: "holdSeconds",
        label: "Hold seconds",
        kind: "int",
        min: 1,
        hint: "A take not confirmed in time is released.",
      },
      { key: "startsAt", label: "Starts at", kind: "datetime" },
      { key: "endsAt", label: "Ends at", kind: "datetime", hint: "It closes by itself then." },
    ],
    send: (b) => adminApi(paths.adminStocks, { method: "POST", body: b }),
    onCreated: () => load(),
  });
  const intro = h(
    "p",
    { class: "field__hint" },
    "A stock is a counter other services take from with a service key. Confirm it to make it LIVE; " +
      "once live its total may go down to what is held and taken, and back up to its total when it went live. " +
      "Remaining, held and taken are live figures; Sync copies them to PostgreSQL. ∞: unlimited.",
  );
  root.replaceChildren(
    h(
      "section",
      { class: "card stack", "aria-labelledby": "stocks-title" },
      h("div", { class: "section-head" }, h("h1", { id: "stocks-title" }, "Stocks"), refresh),
      intro,
      errorNode,
      empty,
      wrap,
    ),
    ledgerCard,
    h("section", { class: "card stack" }, create.form),
  );
  errorNode.hidden = true;
  wrap.hidden = true;
  empty.hidden = true; // until the list is read: a failed read is not an empty list

  /** id → the row's set-total editor, kept across refreshes so typing is never lost. */
  const editors = new Map();
  let generation = 0;

  async function load() {
    const mine = ++generation;
    root.setAttribute("aria-busy", "true");
    try {
      const stocks = await adminApi(paths.adminStocks);
      if (mine !== generation) return;
      render(Array.isArray(stocks) ? stocks : []);
    } catch (err) {
      if (mine === generation) banner.show(`Couldn't load the stocks: ${stockActionMessage(err)}`);
    } finally {
      if (mine === generation) root.removeAttribute("aria-busy");
    }
  }

  function render(stocks) {
    const errorFor = totalErrorRow.isConnected ? totalError.dataset.stockId : null;
    const rows = [];
    for (const stock of stocks) {
      rows.push(stockRow(stock));
      if (stock.id === errorFor) rows.push(totalErrorRow);
    }
    body.replaceChildren(...rows);
    empty.hidden = stocks.length > 0;
    wrap.hidden = stocks.length === 0;
    if (ledgerStock) {
      ledgerStock = stocks.find((s) => s.id === ledgerStock.id) ?? ledgerStock;
      ledger.refreshIfFirstPage();
    }
  }

  function stockRow(s) {
    const done = () => {
      banner.clear();
      load();
    };
    const fail = (message) => banner.show(`“${s.name}”: ${message}`);
    const action = (name, label, tone) =>
      STOCK_ACTIONS_FROM[name].includes(s.status)
        ? actionButton({
            label,
            tone,
            testid: `stock-${name}-${s.id}`,
            run: () => adminApi(paths.adminStockAction(s.id, name), { method: "POST" }),
            onDone: done,
            onError: fail,
            describe: stockActionMessage,
          })
        : null;
    const ledgerButton = h(
      "button",
      { type: "button", class: "btn btn--small btn--ghost", "data-testid": `stock-ledger-${s.id}` },
      "Ledger",
    );
    ledgerButton.addEventListener("click", () => showLedger(s));
    return h(
      "tr",
      { "data-testid": `stock-row-${s.id}`, "data-name": s.name },
      nameCell(s.name, s.id),
      h("td", {}, statusBadge(s.status, `stock-status-${s.id}`)),
      h("td", { class: "num" }, figure(s.total, `stock-total-${s.id}`)),
      h("td", { class: "num" }, figure(s.remaining, `stock-remaining-${s.id}`)),
      h("td", { class: "num" }, figure(s.held, `stock-held-${s.id}`)),
      h("td", { class: "num" }, figure(s.taken, `stock-taken-${s.id}`)),
      h(
        "td",
        { class: "num" },
        s.perUserLimit === null ? h("span", { class: "muted" }, "—") : formatNumber(s.perUserLimit),
      ),
      h(
        "td",
        { class: "small cell-soft" },
        h(
          "span",
          { class: "cell-lines" },
          periodText(s.startsAt, s.endsAt),
          h("span", { class: "muted" }, holdText(s.holdSeconds)),
        ),
      ),
      h(
        "td",
        { class: "small cell-soft", "data-testid": `stock-synced-${s.id}` },
        syncedText(s.remainSyncedAt),
      ),
      h(
        "td",
        {},
        h(
          "div",
          { class: "cell-lines" },
          h(
            "div",
            { class: "row-actions" },
            action("confirm", "Confirm", "primary"),
            action("sync", "Sync"),
            action("close", "Close", "danger"),
            ledgerButton,
          ),
          s.status === "CLOSED" ? null : totalEditor(s),
        ),
      ),
    );
  }

  function totalEditor(s) {
    let editor = editors.get(s.id);
    if (!editor) {
      const input = h("input", {
        class: "input input--small",
        type: "number",
        inputmode: "numeric",
        min: 0,
        step: 1,
        placeholder: "new total",
        "data-testid": `stock-total-input-${s.id}`,
        "aria-label": `New total of ${s.name}`,
      });
      const save = h(
        "button",
        { type: "button", class: "btn btn--small", "data-testid": `stock-total-save-${s.id}` },
        "Set total",
      );
      editor = { node: h("span", { class: "stock-edit" }, input, save), input, save };
      save.addEventListener("click", () => saveTotal(s.id, editor));
      input.addEventListener("keydown", (e) => {
        if (e.key === "Enter") saveTotal(s.id, editor);
      });
      editors.set(s.id, editor);
    }
    editor.name = s.name;
    return editor.node;
  }

  async function saveTotal(stockId, editor) {
    clearTotalError();
    const raw = editor.input.value.trim();
    if (!/^\d+$/.test(raw)) {
      showTotalError(stockId, editor, "Enter a whole number of units, 0 or more.");
      return;
    }
    editor.save.disabled = true;
    setText(editor.save, "Saving…");
    try {
      await adminApi(paths.adminStockTotal(stockId), { method: "PUT", body: { total: Number(raw) } });
      editor.input.value = "";
      banner.clear();
      await load();
    } catch (err) {
      if (err?.status !== 401) showTotalError(stockId, editor, stockActionMessage(err));
    } finally {
      editor.save.disabled = false;
      setText(editor.save, "Set total");
    }
  }

  function showTotalError(stockId, editor, message) {
    setText(totalError, `${editor.name}: ${message}`);
    totalError.dataset.stockId = stockId;
    body.querySelector(`[data-testid="stock-row-${CSS.escape(stockId)}"]`)?.after(totalErrorRow);
    editor.input.setAttribute("aria-invalid", "true");
    editor.input.focus();
  }

  function clearTotalError() {
    totalErrorRow.remove();
    for (const { input } of editors.values()) input.removeAttribute("aria-invalid");
  }

  function showLedger(stock) {
    ledgerStock = stock;
    setText(ledgerTitle, `Ledger of “${stock.name}”`);
    ledgerCard.hidden = false;
    ledger.reset();
    ledgerCard.scrollIntoView({ block: "nearest" });
  }

  return {
    /** The view comes on screen: the list, read now. */
    show: () => load(),
    refresh: () => load(),
    focusCreate: () => create.focus(),
  };
}
