// A small create form of the stock, coupon and service-key views, built from a list of
// fields: whole numbers (optionally "unlimited", sent as null), dates (local → ISO), text and
// scope checkboxes. Errors show next to their fields, as in the "New event" form: what the
// page can tell by itself, and the API's VALIDATION_FAILED details.fields (paths like "name").

import { ApiError } from "../lib/api.js";
import { h, setText } from "../lib/dom.js";
import { fieldMessage, generalErrorMessage } from "./messages.js";

/**
 * @typedef {{
 *   key: string, label: string, kind?: "text" | "int" | "datetime" | "choices",
 *   hint?: string, placeholder?: string, required?: boolean, unlimited?: boolean,
 *   min?: number, wide?: boolean, choices?: string[][],
 * }} FieldSpec choices: [value, label] of checkboxes; with kind "choices" a text input takes more.
 */

/**
 * @param {{
 *   id: string, title: string, submitLabel: string, fields: FieldSpec[],
 *   send: (body: object) => Promise<any>, onCreated: (answer: any) => void,
 * }} opts
 */
export function createForm({ id, title, submitLabel, fields, send, onCreated }) {
  const banner = h("div", { class: "banner banner--error", role: "alert", "data-testid": `${id}-error` });
  banner.hidden = true;
  const submit = h(
    "button",
    { class: "btn btn--primary", type: "submit", "data-testid": `${id}-submit` },
    submitLabel,
  );
  /** key → {spec, input, unlimited?, boxes?} */
  const controls = new Map();
  const grid = h("div", { class: "form-grid" }, ...fields.map((spec) => fieldNode(id, spec, controls)));
  const form = h(
    "form",
    { class: "stack create kit-form", "data-testid": id, novalidate: true, "aria-label": title },
    h("h2", {}, title),
    banner,
    grid,
    h("div", { class: "form-actions" }, submit),
  );
  let busy = false;

  function clearErrors() {
    banner.hidden = true;
    setText(banner, "");
    for (const node of form.querySelectorAll(".field__error[data-error-for]")) node.remove();
    for (const node of form.querySelectorAll('[aria-invalid="true"]')) node.removeAttribute("aria-invalid");
  }

  function fieldError(key, message) {
    const control = controls.get(key);
    if (!control || control.input.getAttribute("aria-invalid") === "true") return Boolean(control);
    const errorId = `${control.input.id}-error`;
    control.input.setAttribute("aria-invalid", "true");
    control.input.setAttribute("aria-describedby", errorId);
    control.root.append(
      h(
        "p",
        { class: "field__error", id: errorId, "data-error-for": key, "data-testid": `${id}-error-${key}` },
        message,
      ),
    );
    return true;
  }

  function read() {
    const body = {};
    const errors = [];
    for (const [key, { spec, input, unlimited, boxes }] of controls) {
      const raw = input.value.trim();
      if (spec.kind === "choices") {
        const picked = boxes.filter((b) => b.checked).map((b) => b.value);
        const typed = raw.split(/[\s,]+/).filter(Boolean);
        const all = [...new Set([...picked, ...typed])];
        if (all.length === 0 && spec.required) errors.push([key, "Pick at least one."]);
        else body[key] = all;
      } else if (spec.kind === "int") {
        if (unlimited?.checked) body[key] = null;
        else if (raw === "") {
          if (spec.unlimited) errors.push([key, "Enter a number, or tick Unlimited."]);
          else if (input.validity?.badInput || spec.required) errors.push([key, "Enter a number."]);
        } else if (!/^\d+$/.test(raw)) errors.push([key, "Enter a whole number."]);
        else body[key] = Number(raw);
      } else if (spec.kind === "datetime") {
        if (!raw) continue;
        const date = new Date(raw); // datetime-local has no zone: the browser's local time
        if (Number.isNaN(date.getTime())) errors.push([key, "Enter a date and time."]);
        else body[key] = date.toISOString();
      } else if (raw) body[key] = raw;
      else if (spec.required) errors.push([key, "Required."]);
    }
    return { body, errors };
  }

  function showApiErrors(list) {
    const unplaced = [];
    for (const { path, message } of list) {
      const key = String(path).split(".")[0];
      // "must be after startsAt" (a period's order): named by the other field's label.
      const after = /^must be after (\w+)$/.exec(String(message));
      const label = after ? controls.get(after[1])?.spec.label : null;
      const text = label ? `Must be after “${label}”.` : fieldMessage(message);
      if (!fieldError(key, text)) unplaced.push(`${path}: ${text}`);
    }
    showBanner(
      unplaced.length > 0 ? `Please fix: ${unplaced.join(" ")}` : "Please fix the fields marked below.",
    );
  }

  function showBanner(text) {
    setText(banner, text);
    banner.hidden = false;
  }

  function focusFirstError() {
    const first = form.querySelector('[aria-invalid="true"]');
    if (first) first.focus();
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (busy) return;
    clearErrors();
    const { body, errors } = read();
    if (errors.length > 0) {
      for (const [key, message] of errors) fieldError(key, message);
      showBanner("Please fix the fields marked below.");
      focusFirstError();
      return;
    }
    busy = true;
    submit.disabled = true;
    try {
      const answer = await send(body);
      form.reset();
      for (const { input } of controls.values()) input.disabled = false;
      onCreated(answer);
    } catch (err) {
      if (err instanceof ApiError && err.code === "VALIDATION_FAILED" && Array.isArray(err.details?.fields)) {
        showApiErrors(err.details.fields);
        focusFirstError();
      } else if (!(err instanceof ApiError && err.status === 401)) {
        showBanner(generalErrorMessage(err));
      }
    } finally {
      busy = false;
      submit.disabled = false;
    }
  });

  // Typing in a field clears its error: the next submit tells again what is still wrong.
  form.addEventListener("input", (e) => {
    const root = e.target instanceof HTMLElement ? e.target.closest("[data-field]") : null;
    const control = root ? controls.get(root.dataset.field) : null;
    if (!root || control?.input.getAttribute("aria-invalid") !== "true") return;
    control.input.removeAttribute("aria-invalid");
    root.querySelector(".field__error[data-error-for]")?.remove();
  });

  return { form, focus: () => controls.values().next().value?.input.focus() };
}

function fieldNode(formId, spec, controls) {
  const inputId = `${formId}-${spec.key}`;
  const kind = spec.kind ?? "text";
  const attrs = {
    class: "input",
    id: inputId,
    name: spec.key,
    "data-testid": `${formId}-${spec.key}`,
    placeholder: spec.placeholder,
    autocomplete: "off",
  };
  const input =
    kind === "int"
      ? h("input", { ...attrs, type: "number", inputmode: "numeric", min: spec.min ?? 0, step: 1 })
      : kind === "datetime"
        ? h("input", { ...attrs, type: "datetime-local" })
        : h("input", { ...attrs, maxlength: 200, spellcheck: "false" });
  const root = h(
    "div",
    { class: `field${spec.wide ? " form-grid__wide" : ""}`, "data-field": spec.key },
    h("label", { for: inputId }, spec.label, spec.required ? null : optional(kind, spec)),
  );
  const control = { spec, input, root };
  if (kind === "choices") {
    control.boxes = (spec.choices ?? []).map(([value]) =>
      h("input", {
        type: "checkbox",
        value,
        name: `${spec.key}-choice`,
        "data-testid": `${formId}-${spec.key}-${value}`,
      }),
    );
    root.append(
      h(
        "div",
        { class: "choice-row" },
        ...control.boxes.map((box, i) => h("label", { class: "choice" }, box, spec.choices[i][1])),
      ),
    );
  }
  root.append(input);
  if (spec.unlimited) {
    control.unlimited = h("input", { type: "checkbox", "data-testid": `${formId}-${spec.key}-unlimited` });
    control.unlimited.addEventListener("change", () => {
      input.disabled = control.unlimited.checked;
      if (input.disabled) input.value = "";
    });
    root.append(h("label", { class: "choice" }, control.unlimited, "Unlimited"));
  }
  if (spec.hint) root.append(h("p", { class: "field__hint" }, spec.hint));
  controls.set(spec.key, control);
  return root;
}

function optional(kind, spec) {
  if (spec.unlimited) return null;
  return h("span", { class: "muted" }, kind === "choices" ? "" : " (optional)");
}
