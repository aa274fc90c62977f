// The Locations view of the admin page (#locations): the warehouses and stores, the stock of the
// one selected (what is available of each product), and the forms that change stock: a new
// product, a new location, goods received (a receipt) and a transfer between two locations.
// Each form sends a reference of its own, so a double click cannot receive or move twice.
// The orders by channel are catalog-orders.js, shown below this view.

import { ApiError } from "../lib/api.js";
import { LOCATION_KINDS, paths } from "../lib/contract.js";
import { $, h, setText } from "../lib/dom.js";
import { formatMoney, formatNumber } from "../lib/format.js";
import { generalErrorMessage } from "./messages.js";

const reference = (what) => `${what}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/**
 * @param {{adminApi: Function, currency: string}} opts
 */
export function createLocationsView({ adminApi, currency }) {
  const root = $("locations-view");
  const message = h("div", {
    class: "banner",
    role: "status",
    "data-testid": "locations-message",
    hidden: true,
  });
  const list = h("tbody", { "data-testid": "locations-list" });
  const stockTitle = h("h2", {}, "Stock");
  const stock = h("tbody", { "data-testid": "location-stock" });
  let locations = [];
  let selected = null;

  const field = (label, input) => h("label", { class: "field" }, h("span", {}, label), input);
  const input = (name, attrs = {}) =>
    h("input", { class: "input", name, "data-testid": `loc-${name}`, ...attrs });
  const select = (name, options) =>
    h(
      "select",
      { class: "input", name, "data-testid": `loc-${name}` },
      ...options.map((o) => h("option", { value: o }, o)),
    );
  const locationSelect = (name) => h("select", { class: "input", name, "data-testid": `loc-${name}` });

  const forms = {
    product: h(
      "form",
      { class: "stack", "data-testid": "product-form" },
      h("h3", {}, "New product"),
      field("SKU", input("sku", { required: true })),
      field("Name", input("name", { required: true })),
      field("Price (cents)", input("priceCents", { type: "number", min: 0, required: true })),
      h("button", { class: "btn", type: "submit" }, "Add product"),
    ),
    location: h(
      "form",
      { class: "stack", "data-testid": "location-form" },
      h("h3", {}, "New location"),
      field("Name", input("locationName", { required: true })),
      field("Kind", select("kind", LOCATION_KINDS)),
      field("Latitude", input("lat", { type: "number", step: "any" })),
      field("Longitude", input("lng", { type: "number", step: "any" })),
      h("button", { class: "btn", type: "submit" }, "Add location"),
    ),
    receipt: h(
      "form",
      { class: "stack", "data-testid": "receipt-form" },
      h("h3", {}, "Goods received"),
      field("Into", locationSelect("receiptTo")),
      field("SKU", input("receiptSku", { required: true })),
      field("Quantity", input("receiptQuantity", { type: "number", min: 1, required: true })),
      h("button", { class: "btn btn--primary", type: "submit" }, "Receive"),
    ),
    transfer: h(
      "form",
      { class: "stack", "data-testid": "transfer-form" },
      h("h3", {}, "Transfer"),
      field("From", locationSelect("from")),
      field("To", locationSelect("to")),
      field("SKU", input("transferSku", { required: true })),
      field("Quantity", input("transferQuantity", { type: "number", min: 1, required: true })),
      h("button", { class: "btn btn--primary", type: "submit" }, "Move"),
    ),
  };

  const table = (head, body) =>
    h("table", { class: "table" }, h("thead", {}, h("tr", {}, ...head.map((c) => h("th", {}, c)))), body);
  root.replaceChildren(
    h(
      "section",
      { class: "card stack" },
      h("h1", {}, "Locations"),
      message,
      table(["Name", "Kind", "Id"], list),
    ),
    h("section", { class: "card stack" }, stockTitle, table(["SKU", "Name", "Price", "Available"], stock)),
    h("section", { class: "card stack locations-forms" }, ...Object.values(forms)),
  );

  const value = (form, name) => form.elements.namedItem(name)?.value?.trim() ?? "";
  function say(text, error = false) {
    message.className = `banner ${error ? "banner--error" : "banner--ok"}`;
    message.hidden = false;
    setText(message, text);
  }

  async function submit(form, send, done) {
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const button = form.querySelector("button");
      button.disabled = true;
      try {
        await send();
        say(done());
        form.reset();
        await refresh();
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) return;
        const sku = err instanceof ApiError ? err.details?.sku : undefined;
        say(`${generalErrorMessage(err)}${sku ? ` (${sku})` : ""}`, true);
      } finally {
        button.disabled = false;
      }
    });
  }

  submit(
    forms.product,
    () =>
      adminApi(paths.adminProducts, {
        method: "POST",
        body: {
          sku: value(forms.product, "sku"),
          name: value(forms.product, "name"),
          priceCents: Number(value(forms.product, "priceCents")),
        },
      }),
    () => "Product added.",
  );
  submit(
    forms.location,
    () => {
      const lat = value(forms.location, "lat");
      const lng = value(forms.location, "lng");
      return adminApi(paths.adminLocations, {
        method: "POST",
        body: {
          name: value(forms.location, "locationName"),
          kind: value(forms.location, "kind"),
          ...(lat && lng ? { lat: Number(lat), lng: Number(lng) } : {}),
        },
      });
    },
    () => "Location added.",
  );
  submit(
    forms.receipt,
    () =>
      adminApi(paths.adminReceipts(value(forms.receipt, "receiptTo")), {
        method: "POST",
        body: {
          reference: reference("receipt"),
          lines: [
            {
              sku: value(forms.receipt, "receiptSku"),
              quantity: Number(value(forms.receipt, "receiptQuantity")),
            },
          ],
        },
      }),
    () => "Goods received.",
  );
  submit(
    forms.transfer,
    () =>
      adminApi(paths.adminTransfers, {
        method: "POST",
        body: {
          reference: reference("transfer"),
          from: value(forms.transfer, "from"),
          to: value(forms.transfer, "to"),
          lines: [
            {
              sku: value(forms.transfer, "transferSku"),
              quantity: Number(value(forms.transfer, "transferQuantity")),
            },
          ],
        },
      }),
    () => "Moved.",
  );

  function renderLocations() {
    list.replaceChildren(
      ...locations.map((l) => {
        const row = h(
          "tr",
          { class: l.id === selected ? "is-selected" : null, "data-testid": "location-row", tabindex: 0 },
          h("td", {}, l.name),
          h("td", {}, l.kind),
          h("td", {}, h("code", {}, l.id)),
        );
        row.addEventListener("click", () => choose(l.id));
        return row;
      }),
    );
    for (const name of ["receiptTo", "from", "to"]) {
      const node = root.querySelector(`[name="${name}"]`);
      const keep = node.value;
      node.replaceChildren(
        ...locations.map((l) => h("option", { value: l.id }, `${l.name} (${l.kind.toLowerCase()})`)),
      );
      if (keep) node.value = keep;
    }
  }

  async function renderStock() {
    const at = locations.find((l) => l.id === selected);
    setText(stockTitle, at ? `Stock at ${at.name}` : "Stock");
    if (!at) {
      stock.replaceChildren();
      return;
    }
    const products = await adminApi(paths.adminLocationStock(at.id));
    stock.replaceChildren(
      ...products.map((p) =>
        h(
          "tr",
          { "data-testid": "stock-row" },
          h("td", {}, p.sku),
          h("td", {}, p.name),
          h("td", {}, formatMoney(p.priceCents, currency)),
          h("td", {}, formatNumber(p.available)),
        ),
      ),
    );
  }

  async function choose(id) {
    selected = id;
    renderLocations();
    await renderStock().catch((err) => say(generalErrorMessage(err), true));
  }

  async function refresh() {
    try {
      locations = await adminApi(paths.adminLocations);
      if (!locations.some((l) => l.id === selected)) selected = locations[0]?.id ?? null;
      renderLocations();
      await renderStock();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) say(generalErrorMessage(err), true);
    }
  }

  return { refresh };
}
