// The catalog's orders by channel (below the Locations view): online or at the tills, newest
// first, with where each took its stock and its status.

import { ApiError } from "../lib/api.js";
import { ORDER_CHANNELS, paths } from "../lib/contract.js";
import { $, h, setText } from "../lib/dom.js";
import { formatMoney } from "../lib/format.js";
import { formatDateTime, generalErrorMessage } from "./messages.js";

/**
 * @param {{adminApi: Function, currency: string}} opts
 */
export function createCatalogOrdersView({ adminApi, currency }) {
  const root = $("catalog-orders");
  const channel = h(
    "select",
    { class: "input", "data-testid": "orders-channel", "aria-label": "Channel" },
    ...ORDER_CHANNELS.map((c) => h("option", { value: c }, c === "ONLINE" ? "Online" : "At the tills")),
  );
  const note = h("p", { class: "muted", "data-testid": "orders-note" });
  const rows = h("tbody", { "data-testid": "catalog-orders-list" });
  root.replaceChildren(
    h("div", { class: "section-head" }, h("h2", {}, "Orders by channel"), channel),
    note,
    h(
      "table",
      { class: "table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["When", "Reference", "Fulfilment", "Lines", "Amount", "Status"].map((c) => h("th", {}, c)),
        ),
      ),
      rows,
    ),
  );
  channel.addEventListener("change", () => refresh());

  async function refresh() {
    try {
      const page = await adminApi(
        paths.adminCatalogOrders(new URLSearchParams({ channel: channel.value, limit: "50" })),
      );
      setText(note, page.items.length === 0 ? "No orders in this channel yet." : "The latest 50.");
      rows.replaceChildren(
        ...page.items.map((o) =>
          h(
            "tr",
            { "data-testid": "catalog-order-row" },
            h("td", {}, formatDateTime(o.createdAt)),
            h("td", {}, h("code", {}, o.reference)),
            h("td", {}, o.fulfilment ?? "—"),
            h("td", {}, o.lines.map((l) => `${l.quantity} × ${l.sku} @ ${l.locationId}`).join(", ")),
            h("td", {}, formatMoney(o.amountCents, currency)),
            h("td", {}, h("span", { class: "pill", "data-status": o.status }, o.status.toLowerCase())),
          ),
        ),
      );
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) setText(note, generalErrorMessage(err));
    }
  }

  return { refresh };
}
