// The "New event" form: product rows, turning what was typed into the API's create body
// (local date-times → ISO, price → cents, percent → share), and showing errors next to
// their fields: the few the page can tell by itself (not a number), and the API's
// VALIDATION_FAILED details.fields (paths like "name" or "products.1.sku").

import { ApiError } from "../lib/api.js";
import { paths } from "../lib/contract.js";
import { $, h, setAttr } from "../lib/dom.js";
import { formatMoney } from "../lib/format.js";
import { fieldMessage, generalErrorMessage } from "./messages.js";

const PRODUCT_FIELDS = [
  // key in the row, API field, label, input attributes
  [
    "sku",
    "sku",
    "SKU",
    { maxlength: 64, autocapitalize: "characters", spellcheck: "false", placeholder: "e.g. SNKR-42" },
  ],
  ["name", "name", "Name", { maxlength: 200, placeholder: "Product name" }],
  [
    "price",
    "priceCents",
    "Price",
    { type: "number", inputmode: "decimal", min: 0, step: "0.01", placeholder: "0.00" },
  ],
  ["stock", "stock", "Stock", { type: "number", inputmode: "numeric", min: 0, step: 1, placeholder: "0" }],
  [
    "limit",
    "perUserLimit",
    "Limit",
    { type: "number", inputmode: "numeric", min: 1, step: 1, placeholder: "event's" },
  ],
];

/**
 * @param {{
 *   adminApi: (path: string, opts?: object) => Promise<any>,
 *   currency: string,
 *   onCreated: (event: any) => void,
 *   onCancel: () => void,
 * }} opts
 */
export function setupCreateForm({ adminApi, currency, onCreated, onCancel }) {
  const form = $("create-form");
  const rowsBox = $("product-rows");
  const banner = $("create-error");
  const submit = $("create-submit");
  const productsError = $("err-products");
  /** @type {{root: HTMLElement, inputs: Record<string, HTMLInputElement>}[]} */
  let rows = [];
  let busy = false;

  const top = {
    name: $("f-name"),
    startsAt: $("f-starts"),
    endsAt: $("f-ends"),
    admissionRate: $("f-rate"),
    perUserLimit: $("f-limit"),
    paymentFailureRate: $("f-pfr"),
    waitingCapacity: $("f-capacity"),
  };

  function addRow(values = {}) {
    const inputs = {};
    const fields = PRODUCT_FIELDS.map(([key, , label, attrs]) => {
      const id = `p-${key}-${crypto.randomUUID?.() ?? Math.random().toString(36).slice(2)}`;
      const input = h("input", { class: "input", id, name: key, autocomplete: "off", ...attrs });
      if (values[key] !== undefined) input.value = String(values[key]);
      inputs[key] = input;
      const labelText = key === "price" ? `${label} (${currencySymbol(currency)})` : label;
      return h(
        "div",
        { class: "field", "data-col": key },
        h("label", { class: "products-edit__label", for: id }, labelText),
        input,
      );
    });
    const remove = h(
      "button",
      { type: "button", class: "btn btn--small btn--ghost", "aria-label": "Remove this product" },
      "Remove",
    );
    const root = h("div", { class: "products-edit__row", role: "group" }, ...fields, remove);
    const row = { root, inputs, remove };
    remove.addEventListener("click", () => {
      rows = rows.filter((r) => r !== row);
      root.remove();
      renumber();
    });
    rows.push(row);
    rowsBox.append(root);
    renumber();
    return row;
  }

  /** Test ids and accessible names follow the row's place, as the API's error paths do. */
  function renumber() {
    rows.forEach((row, i) => {
      setAttr(row.root, "aria-label", `Product ${i + 1}`);
      setAttr(row.root, "data-testid", `product-row-${i}`);
      for (const [key] of PRODUCT_FIELDS) setAttr(row.inputs[key], "data-testid", `product-${key}-${i}`);
      row.remove.disabled = rows.length === 1;
    });
  }

  function reset() {
    form.reset();
    clearErrors();
    rows = [];
    rowsBox.replaceChildren();
    addRow();
  }

  function clearErrors() {
    banner.hidden = true;
    banner.textContent = "";
    productsError.hidden = true;
    for (const node of form.querySelectorAll(".field__error[data-error-for]")) node.remove();
    for (const node of form.querySelectorAll('[aria-invalid="true"]')) node.removeAttribute("aria-invalid");
  }

  /** Shows a message under a field (the first message wins). */
  function fieldError(input, message) {
    if (input.getAttribute("aria-invalid") === "true") return;
    const id = `${input.id}-error`;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
    input.closest(".field")?.append(
      h(
        "p",
        {
          class: "field__error",
          id,
          "data-error-for": input.name,
          "data-testid": `error-${input.dataset.testid ?? input.name}`,
        },
        message,
      ),
    );
  }

  /** Reads the form into the API body, or returns the errors the page can tell by itself. */
  function read() {
    const errors = [];
    const body = { name: top.name.value.trim() };
    for (const key of ["startsAt", "endsAt"]) {
      const value = top[key].value;
      if (!value) continue;
      const date = new Date(value); // datetime-local has no zone: the browser's local time
      if (Number.isNaN(date.getTime())) errors.push([top[key], "Enter a date and time."]);
      else body[key] = date.toISOString();
    }
    const num = (input, { integer = true, required = false, scale = 1 } = {}) => {
      const raw = input.value.trim().replace(/,(?=\d+$)/, ".");
      if (raw === "") {
        if (input.validity?.badInput) errors.push([input, "Enter a number."]);
        else if (required) errors.push([input, "Required."]);
        return undefined;
      }
      const n = Number(raw) * scale;
      if (!Number.isFinite(n)) {
        errors.push([input, "Enter a number."]);
        return undefined;
      }
      if (integer) {
        const rounded = Math.round(n);
        // A price typed with more than two decimals or a fractional count: say so, don't round it away.
        if (Math.abs(rounded - n) > 1e-6) {
          errors.push([input, scale === 100 ? "Use at most two decimals." : "Enter a whole number."]);
          return undefined;
        }
        return rounded;
      }
      return Math.round(n * 1e6) / 1e6; // 30 × 0.01 is 0.30000000000000004
    };
    const set = (key, value) => {
      if (value !== undefined) body[key] = value;
    };
    set("admissionRate", num(top.admissionRate));
    set("perUserLimit", num(top.perUserLimit));
    set("paymentFailureRate", num(top.paymentFailureRate, { integer: false, scale: 0.01 }));
    set("waitingCapacity", num(top.waitingCapacity));
    body.products = rows.map(({ inputs }) => {
      const product = {
        sku: inputs.sku.value.trim(),
        name: inputs.name.value.trim(),
        priceCents: num(inputs.price, { required: true, scale: 100 }),
        stock: num(inputs.stock, { required: true }),
      };
      const limit = num(inputs.limit);
      if (limit !== undefined) product.perUserLimit = limit;
      return product;
    });
    return { body, errors };
  }

  /** Where an API error path points: an input, the products list, or nowhere (form banner). */
  function inputFor(path) {
    const parts = String(path).split(".");
    if (parts[0] === "products" && parts.length === 1) return "products";
    if (parts[0] === "products") {
      const row = rows[Number(parts[1])];
      const key = PRODUCT_FIELDS.find(([, apiField]) => apiField === parts[2])?.[0];
      return row && key ? row.inputs[key] : null;
    }
    return top[parts[0]] ?? null;
  }

  /** API messages in the units of the form (percent, money), where the API's would mislead. */
  function messageFor(path, message) {
    if (path === "paymentFailureRate" && /Too (big|small)|expected number/.test(message))
      return "Enter a percentage from 0 to 100.";
    if (/\.priceCents$/.test(path) && /Too big/.test(message))
      return `At most ${formatMoney(100_000_000, currency)}.`;
    if (/\.sku$/.test(path) && /A-Z/.test(message))
      return "Use 1–64 letters, digits, dots, dashes or underscores.";
    if (path === "products" && /Too small/.test(message)) return "Add at least one product.";
    if (path === "products" && /Too big/.test(message)) return "At most 100 products.";
    return fieldMessage(message);
  }

  function showApiFieldErrors(fields) {
    const unplaced = [];
    for (const { path, message } of fields) {
      const target = inputFor(path);
      const text = messageFor(path, message);
      if (target === "products") {
        productsError.textContent = text;
        productsError.hidden = false;
      } else if (target) {
        fieldError(target, text);
      } else {
        unplaced.push(`${path}: ${text}`);
      }
    }
    showBanner(
      unplaced.length > 0 ? `Please fix: ${unplaced.join(" ")}` : "Please fix the fields marked below.",
    );
  }

  function showBanner(text) {
    banner.textContent = text;
    banner.hidden = false;
  }

  function focusFirstError() {
    const first = form.querySelector('[aria-invalid="true"]');
    if (first) first.focus();
    else banner.scrollIntoView({ block: "nearest" });
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (busy) return;
    clearErrors();
    const { body, errors } = read();
    if (errors.length > 0) {
      for (const [input, message] of errors) fieldError(input, message);
      showBanner("Please fix the fields marked below.");
      focusFirstError();
      return;
    }
    busy = true;
    submit.disabled = true;
    submit.textContent = "Creating…";
    try {
      const event = await adminApi(paths.adminEvents, { method: "POST", body });
      reset();
      onCreated(event);
    } catch (err) {
      if (err instanceof ApiError && err.code === "VALIDATION_FAILED" && Array.isArray(err.details?.fields)) {
        showApiFieldErrors(err.details.fields);
        focusFirstError();
      } else if (!(err instanceof ApiError && err.status === 401)) {
        showBanner(generalErrorMessage(err));
      }
    } finally {
      busy = false;
      submit.disabled = false;
      submit.textContent = "Create event";
    }
  });

  // Typing in a field clears its error: the next submit tells again what is still wrong.
  form.addEventListener("input", (e) => {
    const input = e.target;
    if (!(input instanceof HTMLInputElement) || input.getAttribute("aria-invalid") !== "true") return;
    input.removeAttribute("aria-invalid");
    input.closest(".field")?.querySelector(".field__error[data-error-for]")?.remove();
  });

  $("add-product").addEventListener("click", () => addRow().inputs.sku.focus());
  $("create-cancel").addEventListener("click", () => {
    reset();
    onCancel();
  });

  reset();
  return { reset, focus: () => top.name.focus() };
}

function currencySymbol(currency) {
  try {
    const parts = new Intl.NumberFormat(undefined, { style: "currency", currency }).formatToParts(0);
    return parts.find((p) => p.type === "currency")?.value ?? currency;
  } catch {
    return currency;
  }
}
