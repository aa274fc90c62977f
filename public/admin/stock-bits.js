// Pieces shared by the stock and coupon views: a stock's figures and status as cells, its
// period in words, a row's action button, and the sentence of a refused action.

import { ApiError } from "../lib/api.js";
import { h, setText } from "../lib/dom.js";
import { formatDuration, formatNumber } from "../lib/format.js";
import { formatDateTime, generalErrorMessage } from "./messages.js";

const TONE = { DRAFT: "neutral", LIVE: "success", CLOSED: "danger" };

/** A figure of a stock: a number, or "unlimited" (null). data-value carries it for tests. */
export function figure(value, testid) {
  const unlimited = value === null || value === undefined;
  return h(
    "span",
    {
      class: unlimited ? "figure-unlimited" : null,
      title: unlimited ? "unlimited" : null,
      "aria-label": unlimited ? "unlimited" : null,
      "data-testid": testid,
      "data-value": unlimited ? "unlimited" : value,
    },
    unlimited ? "∞" : formatNumber(value),
  );
}

/** A list row's heading cell: the name, and the id below it. */
export function nameCell(name, id) {
  return h(
    "th",
    { scope: "row" },
    h("span", { class: "cell-lines" }, h("strong", {}, name), h("code", { class: "muted small" }, id)),
  );
}

export function statusBadge(status, testid) {
  return h(
    "span",
    { class: `badge badge--${TONE[status] ?? "neutral"}`, "data-status": status, "data-testid": testid },
    status,
  );
}

/** "always", "from …", "until …" or "… → …". */
export function periodText(startsAt, endsAt) {
  if (!startsAt && !endsAt) return "always";
  if (!endsAt) return `from ${formatDateTime(startsAt)}`;
  if (!startsAt) return `until ${formatDateTime(endsAt)}`;
  return `${formatDateTime(startsAt)} → ${formatDateTime(endsAt)}`;
}

export function holdText(seconds) {
  return seconds ? `${formatDuration(seconds)} hold` : "no hold limit";
}

/** When the live figures were last copied to PostgreSQL. */
export function syncedText(iso) {
  return iso ? formatDateTime(iso) : "never";
}

/**
 * A button of a row that runs one admin action: busy while it asks, then onDone with the
 * answer; a refusal goes to onError as one sentence (a 401 signs the page out elsewhere).
 * @param {{label: string, testid: string, tone?: string, title?: string, run: () => Promise<any>,
 *   onDone: (answer: any) => void, onError: (message: string) => void, describe?: (err: any) => string}} opts
 */
export function actionButton({ label, testid, tone, title, run, onDone, onError, describe }) {
  const button = h(
    "button",
    { type: "button", class: `btn btn--small${tone ? ` btn--${tone}` : ""}`, "data-testid": testid, title },
    label,
  );
  button.addEventListener("click", async () => {
    button.disabled = true;
    setText(button, `${label}…`);
    try {
      onDone(await run());
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) onError((describe ?? generalErrorMessage)(err));
    } finally {
      button.disabled = false;
      setText(button, label);
    }
  });
  return button;
}

/** A refused stock action in one sentence, with the bounds of a STOCK_RULE when the API gave them. */
export function stockActionMessage(err) {
  if (err?.code === "STOCK_RULE") {
    const d = err.details ?? {};
    const bounds = [];
    if (typeof d.min === "number") bounds.push(`at least ${formatNumber(d.min)} (held and taken)`);
    if (typeof d.max === "number")
      bounds.push(`at most ${formatNumber(d.max)} (its total when it went live)`);
    return `Not allowed: ${err.message}.${bounds.length ? ` The total must be ${bounds.join(" and ")}.` : ""}`;
  }
  if (err?.code === "VALIDATION_FAILED") return "Enter a whole number of units, 0 or more.";
  if (err?.code === "INVALID_STATE") return `Not now: ${err.message}.`;
  return generalErrorMessage(err);
}

/** A banner of a view: shown with one message, hidden again by clear(). */
export function viewBanner(node, prefix) {
  return {
    show(message) {
      setText(node, `${prefix}${message}`);
      node.hidden = false;
    },
    clear() {
      node.hidden = true;
      setText(node, "");
    },
  };
}
