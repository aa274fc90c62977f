// The Service keys view (#service-keys): the keys other services call the stock, coupon and
// order routes with — name, scopes, prefix, when made, last used, revoked —, Revoke (at once,
// on every API process), and a form to make one. A new key is shown once, with a copy button:
// the API keeps only its hash.

import { paths, SERVICE_SCOPE_PATTERNS, SERVICE_SCOPES } from "../lib/contract.js";
import { $, h, setText } from "../lib/dom.js";
import { createForm } from "./form-kit.js";
import { formatDateTime } from "./messages.js";
import { createPager } from "./pager.js";
import { actionButton, viewBanner } from "./stock-bits.js";

/** @param {{adminApi: Function}} opts */
export function createServiceKeysView({ adminApi }) {
  const root = $("service-keys-view");
  const errorNode = h("div", {
    class: "banner banner--error",
    role: "alert",
    "data-testid": "service-keys-error",
  });
  const banner = viewBanner(errorNode, "");
  const listRoot = h("div", { "data-testid": "service-keys" });

  const keyValue = h("code", { class: "key-once__value", "data-testid": "new-key-value" });
  const copy = h(
    "button",
    { type: "button", class: "btn btn--small btn--primary", "data-testid": "new-key-copy" },
    "Copy",
  );
  const copied = h("span", { class: "muted small", role: "status", "data-testid": "new-key-copied" });
  const dismiss = h(
    "button",
    { type: "button", class: "btn btn--small", "data-testid": "new-key-dismiss" },
    "I have saved it",
  );
  const newKeyTitle = h("strong", {});
  const newKey = h(
    "div",
    { class: "banner banner--warning key-once stack", "data-testid": "new-key", role: "status" },
    newKeyTitle,
    h(
      "p",
      {},
      "Copy it now: it will not be shown again. The API keeps only its hash; if it is lost, revoke it and make another.",
    ),
    h("div", { class: "key-once__row" }, keyValue, copy, copied),
    h("div", {}, dismiss),
  );
  newKey.hidden = true;
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(keyValue.textContent ?? "");
      setText(copied, "Copied ✓");
    } catch {
      // No clipboard (an insecure origin): select the key so Ctrl+C copies it.
      const range = document.createRange();
      range.selectNodeContents(keyValue);
      const selection = window.getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      setText(copied, "Selected: press Ctrl+C (⌘C) to copy.");
    }
  });
  dismiss.addEventListener("click", () => {
    setText(keyValue, "");
    newKey.hidden = true;
  });

  const list = createPager({
    root: listRoot,
    testid: "service-keys",
    emptyText: "No service keys yet: make one below.",
    columns: [
      {
        label: "Name",
        cell: (k) =>
          h(
            "span",
            { class: "cell-lines" },
            h("strong", {}, k.name),
            h("code", { class: "muted small" }, k.id),
          ),
      },
      {
        label: "Scopes",
        cell: (k) =>
          h("span", { class: "scope-list" }, ...k.scopes.map((s) => h("code", { class: "scope" }, s))),
      },
      { label: "Prefix", cell: (k) => h("code", {}, `${k.prefix}…`) },
      { label: "Created", cell: (k) => formatDateTime(k.createdAt) },
      {
        label: "Last used",
        cell: (k) => (k.lastUsedAt ? formatDateTime(k.lastUsedAt) : h("span", { class: "muted" }, "never")),
      },
      {
        label: "Revoked",
        cell: (k) =>
          k.revokedAt
            ? h(
                "span",
                { class: "text-danger small", "data-testid": `service-key-revoked-${k.id}` },
                `Revoked ${formatDateTime(k.revokedAt)}`,
              )
            : actionButton({
                label: "Revoke",
                tone: "danger",
                testid: `service-key-revoke-${k.id}`,
                title: `Revoke “${k.name}”: it stops working at once`,
                run: () => adminApi(paths.adminServiceKey(k.id), { method: "DELETE" }),
                onDone: () => {
                  banner.clear();
                  list.reset();
                },
                onError: (message) => banner.show(`Couldn't revoke “${k.name}”: ${message}`),
              }),
      },
    ],
    load: async () => {
      const keys = await adminApi(paths.adminServiceKeys);
      return { items: Array.isArray(keys) ? keys : [], nextCursor: null };
    },
  });

  const create = createForm({
    id: "service-key-form",
    title: "New service key",
    submitLabel: "Make key",
    fields: [
      { key: "name", label: "Name", required: true, wide: true, placeholder: "e.g. shop checkout, till 12" },
      {
        key: "scopes",
        label: "Scopes",
        kind: "choices",
        required: true,
        wide: true,
        choices: SERVICE_SCOPES.map((s) => [s, s]),
        placeholder: SERVICE_SCOPE_PATTERNS.join(", "),
        hint: `Tick the scopes, and type others (${SERVICE_SCOPE_PATTERNS.join(", ")}) separated by spaces or commas.`,
      },
    ],
    send: (b) => adminApi(paths.adminServiceKeys, { method: "POST", body: b }),
    onCreated: (key) => {
      setText(newKeyTitle, `The key of “${key.name}” (${key.scopes.join(", ")}):`);
      setText(keyValue, key.key);
      setText(copied, "");
      newKey.hidden = false;
      list.reset();
      newKey.scrollIntoView({ block: "nearest" });
    },
  });

  root.replaceChildren(
    h(
      "section",
      { class: "card stack", "aria-labelledby": "service-keys-title" },
      h("div", { class: "section-head" }, h("h1", { id: "service-keys-title" }, "Service keys")),
      h(
        "p",
        { class: "field__hint" },
        "Other services (a shop's checkout, a store's till) call the stock, coupon and order routes with " +
          "a key: Authorization: Bearer <key>. A key works only within its scopes; a revoked key stops " +
          "working at once.",
      ),
      newKey,
      errorNode,
      listRoot,
    ),
    h("section", { class: "card stack" }, create.form),
  );
  errorNode.hidden = true;

  return {
    show: () => list.reset(),
    refresh: () => list.refreshIfFirstPage(),
    /** Leaving the view forgets a key still on screen. */
    hide: () => {
      setText(keyValue, "");
      newKey.hidden = true;
    },
  };
}
