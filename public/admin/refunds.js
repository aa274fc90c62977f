// The Refunds view (#refunds): every refund of a charged purchase that did not end CONFIRMED
// or was cancelled, newest first, by status. A FAILED one (its attempts ran out: a dead
// letter) gets a Retry button; the refund is idempotent per ticket, so retrying is safe.

import { paths, REFUND_STATUSES } from "../lib/contract.js";
import { $, h, setText } from "../lib/dom.js";
import { formatMoney, formatNumber } from "../lib/format.js";
import { formatDateTime } from "./messages.js";
import { createPager } from "./pager.js";
import { retryButton } from "./retry-button.js";

const LIMIT = 100;
const TONE = { REFUNDED: "success", FAILED: "danger", PENDING: "warning" };

/** @param {{adminApi: Function, currency: string}} opts */
export function createRefundsView({ adminApi, currency }) {
  const ui = { status: $("refunds-status"), error: $("refunds-error") };
  for (const status of REFUND_STATUSES) ui.status.append(h("option", { value: status }, status));
  const showError = (message) => {
    setText(ui.error, `Couldn't retry: ${message}`);
    ui.error.hidden = false;
  };
  const pager = createPager({
    root: $("refunds"),
    testid: "refunds",
    emptyText: "No refunds.",
    columns: [
      {
        label: "Ticket",
        cell: (r) =>
          h(
            "span",
            { class: "stack" },
            h("code", {}, r.ticketId),
            h("span", { class: "muted small" }, r.eventId),
          ),
      },
      { label: "Amount", num: true, cell: (r) => formatMoney(r.amountCents, currency) },
      { label: "Reason", cell: (r) => r.reason },
      {
        label: "Status",
        cell: (r) =>
          h(
            "span",
            { class: "row-status" },
            h(
              "span",
              { class: `badge badge--${TONE[r.status] ?? "neutral"}`, "data-status": r.status },
              r.status,
            ),
            r.status === "FAILED"
              ? retryButton({
                  testid: `refund-retry-${r.ticketId}`,
                  label: `Retry the refund of ticket ${r.ticketId}`,
                  retry: () => adminApi(paths.adminRefundRetry(r.ticketId), { method: "POST" }),
                  onDone: () => pager.refreshIfFirstPage(),
                  onError: showError,
                })
              : null,
          ),
      },
      { label: "Attempts", num: true, cell: (r) => formatNumber(r.attempts) },
      { label: "Last error", cell: (r) => h("span", { class: "muted small" }, r.lastError ?? "—") },
      { label: "Asked", cell: (r) => formatDateTime(r.createdAt) },
    ],
    load: async () => {
      ui.error.hidden = true;
      const q = new URLSearchParams({ limit: String(LIMIT) });
      if (ui.status.value) q.set("status", ui.status.value);
      const answer = await adminApi(paths.adminRefunds(q));
      return { items: answer.items ?? [], nextCursor: null };
    },
  });
  ui.status.addEventListener("change", () => pager.reset());
  return {
    /** The view comes on screen: its first page, read now. */
    show: () => pager.reset(),
    refresh: () => pager.refreshIfFirstPage(),
  };
}
