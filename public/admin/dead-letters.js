// The selected event's dead letters: its purchase jobs that failed for good. One whose ticket
// has no outcome yet gets a Retry button: the API queues the ticket again through its keyed
// path (POST .../dead-letters/:jobId/retry), never a raw job retry, so it ends with one outcome.

import { paths } from "../lib/contract.js";
import { $, h, setText } from "../lib/dom.js";
import { formatNumber } from "../lib/format.js";
import { formatDateTime } from "./messages.js";
import { createPager } from "./pager.js";
import { retryButton } from "./retry-button.js";

/** @param {{adminApi: Function, selectedId: () => string | null}} opts */
export function createDeadLetters({ adminApi, selectedId }) {
  const error = $("dead-letters-error");
  const showError = (message) => {
    setText(error, `Couldn't retry: ${message}`);
    error.hidden = false;
  };
  const pager = createPager({
    root: $("dead-letters"),
    testid: "dead-letters",
    emptyText: "No dead letters: every purchase job finished.",
    columns: [
      { label: "Ticket", cell: (d) => h("code", {}, d.ticketId) },
      { label: "SKU", cell: (d) => d.sku },
      {
        label: "Ticket status",
        cell: (d) =>
          h(
            "span",
            { class: "row-status" },
            h(
              "span",
              { class: "badge badge--neutral", "data-status": d.ticketStatus ?? "" },
              d.ticketStatus ?? "gone",
            ),
            d.retryable
              ? retryButton({
                  testid: `dead-letter-retry-${d.ticketId}`,
                  label: `Retry the purchase of ticket ${d.ticketId}`,
                  retry: () =>
                    adminApi(paths.adminDeadLetterRetry(selectedId(), d.ticketId), { method: "POST" }),
                  onDone: () => pager.refreshIfFirstPage(),
                  onError: showError,
                })
              : h("span", { class: "muted small" }, "settled"),
          ),
      },
      { label: "Attempts", num: true, cell: (d) => formatNumber(d.attemptsMade) },
      { label: "Error", cell: (d) => h("span", { class: "muted small" }, d.failedReason ?? "—") },
      { label: "Failed", cell: (d) => formatDateTime(d.failedAt) },
    ],
    load: async () => {
      error.hidden = true;
      const answer = await adminApi(paths.adminDeadLetters(selectedId()));
      return { items: answer.items ?? [], nextCursor: null };
    },
  });
  return {
    /** Another event was selected. */
    reset: () => pager.reset(),
    refresh: () => pager.refreshIfFirstPage(),
  };
}
