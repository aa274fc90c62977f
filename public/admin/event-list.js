// The admin page's list of events (newest first): filtered as typed, shown a page at a time,
// re-read every few seconds by the page's ticker and updated in place when one event changes.
import { ApiError } from "../lib/api.js";
import { paths } from "../lib/contract.js";
import { $, h, setText } from "../lib/dom.js";
import { formatNumber, formatTime } from "../lib/format.js";
import { generalErrorMessage, statusPill } from "./messages.js";

const LIST_PAGE = 30;

/**
 * @param {{adminApi: Function, isStarted: () => boolean, selectedId: () => string | null}} opts
 */
export function createEventList({ adminApi, isStarted, selectedId }) {
  const ui = {
    filter: $("event-filter"),
    error: $("list-error"),
    list: $("event-list"),
    more: $("list-more"),
  };
  /** GET /api/admin/events, newest first. */
  let events = [];
  let shown = LIST_PAGE;
  let inFlight = false;
  let lastRefresh = 0;

  ui.filter.addEventListener("input", () => {
    shown = LIST_PAGE;
    render();
  });
  ui.more.addEventListener("click", () => {
    shown += LIST_PAGE;
    render();
  });

  async function refresh() {
    if (inFlight) return;
    inFlight = true;
    lastRefresh = Date.now();
    try {
      const answer = await adminApi(paths.adminEvents);
      if (!isStarted()) return;
      events = Array.isArray(answer) ? answer : [];
      ui.error.hidden = true;
      render();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      setText(ui.error, `Couldn't load the events: ${generalErrorMessage(err)}`);
      ui.error.hidden = false;
    } finally {
      inFlight = false;
    }
  }

  function render() {
    const q = ui.filter.value.trim().toLowerCase();
    const matches = q
      ? events.filter((e) => `${e.name} ${e.id} ${e.status}`.toLowerCase().includes(q))
      : events;
    const visible = matches.slice(0, shown);
    // Rebuilt as a whole; keep keyboard focus on the row it was on.
    const focusedId = document.activeElement?.closest?.("[data-event-id]")?.dataset.eventId;
    ui.list.replaceChildren(...visible.map(eventRow));
    if (visible.length === 0) {
      ui.list.append(
        h(
          "li",
          { class: "event-list__empty muted" },
          q ? "No event matches." : "No events yet. Create the first one.",
        ),
      );
    }
    if (focusedId) ui.list.querySelector(`[data-event-id="${CSS.escape(focusedId)}"]`)?.focus();
    const more = matches.length - visible.length;
    ui.more.hidden = more <= 0;
    setText(ui.more, `Show ${formatNumber(Math.min(more, LIST_PAGE))} more (of ${formatNumber(more)})`);
  }

  function eventRow(event) {
    const { words, tone } = statusPill(event.status);
    const products = event.products ?? [];
    const total = products.reduce((sum, p) => sum + p.total, 0);
    const left = products.reduce((sum, p) => sum + p.remaining, 0);
    const when =
      event.status === "SCHEDULED" && event.startsAt
        ? `Starts ${formatTime(event.startsAt)}`
        : event.firstLiveAt
          ? `Went live ${formatTime(event.firstLiveAt)}`
          : `Created ${formatTime(event.createdAt)}`;
    const ends = event.endsAt && event.status !== "ENDED" ? ` · ends ${formatTime(event.endsAt)}` : "";
    return h(
      "li",
      {},
      h(
        "a",
        {
          class: "event-row",
          href: `#${encodeURIComponent(event.id)}`,
          "data-testid": `event-row-${event.id}`,
          "data-event-id": event.id,
          "aria-current": event.id === selectedId() ? "true" : null,
        },
        h(
          "span",
          { class: "event-row__top" },
          h("strong", { class: "event-row__name" }, event.name),
          h("span", { class: `pill pill--small pill--${tone}`, "data-status": event.status }, words),
        ),
        h("span", { class: "event-row__meta" }, `${when}${ends}`),
        h(
          "span",
          { class: "event-row__meta" },
          `${products.map((p) => p.sku).join(", ") || "no products"} · ${formatNumber(left)} of ${formatNumber(total)} left`,
        ),
      ),
    );
  }

  return {
    refresh,
    render,
    get lastRefresh() {
      return lastRefresh;
    },
    find: (id) => events.find((e) => e.id === id),
    /** A new event goes first. */
    add(event) {
      events = [event, ...events.filter((e) => e.id !== event.id)];
      render();
    },
    /** One event changed (or is new to this list). */
    update(event) {
      const i = events.findIndex((e) => e.id === event.id);
      if (i >= 0) events[i] = event;
      else events.unshift(event);
      render();
    },
    clear() {
      events = [];
      ui.list.replaceChildren();
    },
  };
}
