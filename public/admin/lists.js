// The selected event's orders and stock ledger: paged tables with a filter each
// (order status; product), re-read on their first page as outcomes come in.
import { paths } from "../lib/contract.js";
import { $, h } from "../lib/dom.js";
import { formatMoney, formatNumber, formatTime } from "../lib/format.js";
import { LEDGER_MOVEMENT_COLUMNS } from "./ledger-columns.js";
import { createPager } from "./pager.js";

const ORDERS_PAGE = 15;
const LEDGER_PAGE = 15;

/** @param {{adminApi: Function, currency: string, selectedId: () => string | null}} opts */
export function createLists({ adminApi, currency, selectedId }) {
  const ui = { ordersStatus: $("orders-status"), ledgerSku: $("ledger-sku") };
  let lastRefresh = 0;

  const orders = createPager({
    root: $("orders"),
    testid: "orders",
    emptyText: "No orders yet.",
    columns: [
      { label: "Time", cell: (o) => formatTime(o.createdAt) },
      { label: "Order", cell: (o) => h("code", {}, o.orderId) },
      { label: "User", cell: (o) => o.userId },
      { label: "SKU", cell: (o) => o.sku },
      { label: "Qty", num: true, cell: (o) => formatNumber(o.quantity) },
      { label: "Amount", num: true, cell: (o) => formatMoney(o.amountCents, currency) },
      { label: "Status", cell: (o) => orderStatus(o) },
    ],
    load: (cursor) => {
      const q = new URLSearchParams({ limit: String(ORDERS_PAGE) });
      if (ui.ordersStatus.value) q.set("status", ui.ordersStatus.value);
      if (cursor) q.set("cursor", cursor);
      return adminApi(paths.adminOrders(selectedId(), q));
    },
  });

  const ledger = createPager({
    root: $("ledger"),
    testid: "ledger",
    emptyText: "No ledger entries.",
    columns: [
      { label: "#", num: true, cell: (e) => e.id },
      { label: "Time", cell: (e) => formatTime(e.createdAt) },
      { label: "SKU", cell: (e) => e.sku },
      ...LEDGER_MOVEMENT_COLUMNS,
    ],
    load: (cursor) => {
      const q = new URLSearchParams({ limit: String(LEDGER_PAGE) });
      if (ui.ledgerSku.value) q.set("sku", ui.ledgerSku.value);
      if (cursor) q.set("cursor", cursor);
      return adminApi(paths.adminLedger(selectedId(), q));
    },
  });

  ui.ordersStatus.addEventListener("change", () => orders.reset());
  ui.ledgerSku.addEventListener("change", () => ledger.reset());

  return {
    get lastRefresh() {
      return lastRefresh;
    },
    /** Another event was selected: filters off, first pages. */
    reset() {
      ui.ordersStatus.value = "";
      ui.ledgerSku.value = "";
      orders.reset();
      ledger.reset();
    },
    /** The ledger has new rows (a stock change). */
    resetLedger: () => ledger.reset(),
    /** The first pages of the orders and the ledger (a later page stays as the admin paged it). */
    refreshFirstPages() {
      lastRefresh = Date.now();
      orders.refreshIfFirstPage();
      ledger.refreshIfFirstPage();
    },
    /** The ledger's product filter lists the event's products. */
    clearSkus() {
      ui.ledgerSku.replaceChildren(h("option", { value: "" }, "All products"));
    },
    addSku(sku) {
      ui.ledgerSku.append(h("option", { value: sku }, sku));
    },
  };
}

function orderStatus(order) {
  const tone = { CONFIRMED: "success", FAILED: "danger", CANCELLED: "neutral" }[order.status] ?? "neutral";
  return h(
    "span",
    { class: "order-status" },
    h("span", { class: `badge badge--${tone}` }, order.status),
    order.reason ? h("span", { class: "muted small" }, order.reason) : null,
  );
}
