// The selected event: its name, status and facts, the lifecycle buttons (stop asks first),
// and the parts below it (figures, products and stock, dead letters, orders and ledger,
// reconcile), each its own module. The event is re-read every few seconds by the page's
// ticker, since scheduled starts and automatic ends happen on the server.
import { ApiError } from "../lib/api.js";
import { ACTIONS_FROM, paths, RUNNING } from "../lib/contract.js";
import { $, h, setAttr, setText } from "../lib/dom.js";
import { formatDuration, formatNumber } from "../lib/format.js";
import { createDeadLetters } from "./dead-letters.js";
import { createLists } from "./lists.js";
import { actionErrorMessage, formatDateTime, generalErrorMessage, statusPill } from "./messages.js";
import { setupReconcile } from "./reconcile.js";
import { createStats } from "./stats.js";
import { createStock } from "./stock.js";

/**
 * @param {{
 *   adminApi: Function,
 *   currency: string,
 *   list: ReturnType<import("./event-list.js").createEventList>,
 *   liveState: () => string,
 *   isShown: () => boolean,
 *   onMissing: (id: string) => void,
 * }} opts isShown: the event view is the one on screen; onMissing: the selected event does not exist
 */
export function createEventView({ adminApi, currency, list, liveState, isShown, onMissing }) {
  const ui = {
    view: $("event-view"),
    id: $("ev-id"),
    name: $("ev-name"),
    status: $("ev-status"),
    facts: $("ev-facts"),
    actionButtons: [...document.querySelectorAll("[data-action]")],
    shopLink: $("shop-link"),
    stopConfirm: $("stop-confirm"),
    stopYes: $("stop-yes"),
    stopNo: $("stop-no"),
    actionError: $("action-error"),
  };
  let selectedId = null;
  /** The selected event (GET /api/admin/events/:id). */
  let event = null;
  let busyAction = false;
  const inFlight = { event: false };
  let lastRefresh = 0;
  let lastStats = 0;

  const selected = () => ({ id: selectedId, event, shown: isShown() });
  const lists = createLists({ adminApi, currency, selectedId: () => selectedId });
  const deadLetters = createDeadLetters({ adminApi, selectedId: () => selectedId });
  const stock = createStock({
    adminApi,
    currency,
    selected,
    onRowAdded: (sku) => lists.addSku(sku),
    onSaved(product) {
      const i = event?.products.findIndex((p) => p.sku === product.sku) ?? -1;
      if (event && i >= 0) event.products[i] = product;
      lists.resetLedger();
    },
  });
  const stats = createStats({
    adminApi,
    selected,
    liveState,
    onProduct: (p) => stock.updateCounters(p),
    onOutcomes: () => lists.refreshFirstPages(),
    listsRefreshedAt: () => lists.lastRefresh,
  });
  const reconcile = setupReconcile({
    adminApi,
    selectedId: () => selectedId,
    onDone() {
      stats.fetch();
      refresh();
      deadLetters.refresh();
    },
  });

  for (const button of ui.actionButtons) {
    button.addEventListener("click", () => {
      const action = button.dataset.action;
      if (action === "stop") {
        ui.stopConfirm.hidden = false;
        ui.stopYes.focus();
      } else {
        runAction(action);
      }
    });
  }
  ui.stopYes.addEventListener("click", () => runAction("stop"));
  ui.stopNo.addEventListener("click", () => {
    ui.stopConfirm.hidden = true;
  });

  function clearProducts() {
    stock.clear();
    lists.clearSkus();
  }

  function select(id) {
    const changed = selectedId !== id;
    selectedId = id;
    if (changed) {
      event = list.find(id) ?? (event?.id === id ? event : null);
      stats.reset();
      clearProducts();
      ui.stopConfirm.hidden = true;
      ui.actionError.hidden = true;
      reconcile.hide();
      stats.render();
      if (event) render();
      else {
        setText(ui.name, "Loading…");
        setText(ui.id, id);
      }
      lists.reset();
      deadLetters.reset();
      // Phones show the list above: bring the event into view.
      if (window.matchMedia("(max-width: 60rem)").matches) ui.view.scrollIntoView({ block: "start" });
    }
    list.render();
    lastRefresh = Date.now();
    refresh();
    stats.fetch();
  }

  async function refresh() {
    const id = selectedId;
    if (!id || inFlight.event) return;
    inFlight.event = true;
    try {
      const answer = await adminApi(paths.adminEvent(id));
      if (selectedId !== id) return;
      const statusChanged = event?.status !== answer.status;
      if (statusChanged) stock.clearError(); // it was about the old state's rules
      event = answer;
      render();
      list.update(answer);
      if (statusChanged) stats.fetch();
    } catch (err) {
      if (selectedId !== id || (err instanceof ApiError && err.status === 401)) return;
      if (err instanceof ApiError && err.code === "NOT_FOUND") {
        selectedId = null;
        onMissing(id);
        return;
      }
      showActionError(`Couldn't refresh the event: ${generalErrorMessage(err)}`);
    } finally {
      inFlight.event = false;
    }
  }

  function render() {
    if (!event) return;
    setText(ui.name, event.name);
    setText(ui.id, event.id);
    document.title = `${event.name} — dropqueue admin`;
    const { words, tone } = statusPill(event.status);
    setText(ui.status, words);
    ui.status.className = `pill pill--${tone}`;
    setAttr(ui.status, "data-status", event.status);
    ui.shopLink.href = paths.shopPage(event.id);
    renderFacts();
    renderActions();
    stock.render(event);
    if (!RUNNING.has(event.status) || !stats.loaded) stats.render();
  }

  function renderFacts() {
    if (!event) return;
    let starts = formatDateTime(event.startsAt);
    if (event.status === "SCHEDULED" && event.startsAt) {
      const left = Math.ceil((Date.parse(event.startsAt) - Date.now()) / 1000);
      starts += left > 0 ? ` (in ${formatDuration(left)})` : " (starting…)";
    }
    const facts = [
      ["Starts", starts],
      ["Ends", formatDateTime(event.endsAt)],
      ["First live", formatDateTime(event.firstLiveAt)],
      ["Created", formatDateTime(event.createdAt)],
      ["Admission rate", `${formatNumber(event.admissionRate)} / s`],
      ["Per-user limit", formatNumber(event.perUserLimit)],
      ["Payment failures", `${formatNumber(Math.round(event.paymentFailureRate * 1000) / 10)} %`],
      ["Waiting capacity", formatNumber(event.waitingCapacity)],
    ];
    ui.facts.replaceChildren(
      ...facts.map(([label, value]) =>
        h("div", { class: "facts__item" }, h("dt", {}, label), h("dd", {}, value)),
      ),
    );
  }

  function renderActions() {
    const status = event?.status;
    for (const button of ui.actionButtons) {
      const allowed = ACTIONS_FROM[button.dataset.action]?.includes(status) ?? false;
      button.disabled = busyAction || !allowed;
    }
    if (status === "ENDED") ui.stopConfirm.hidden = true;
  }

  async function runAction(action) {
    const id = selectedId;
    if (!id || busyAction) return;
    busyAction = true;
    ui.stopConfirm.hidden = true;
    ui.actionError.hidden = true;
    renderActions();
    try {
      const answer = await adminApi(paths.adminAction(id, action), { method: "POST" });
      if (selectedId === id) {
        stock.clearError(); // it was about the old state's rules
        event = answer;
        render();
        stats.fetch();
      }
      list.update(answer);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      if (selectedId === id) {
        showActionError(actionErrorMessage(action, err));
        if (err.code === "INVALID_STATE") refresh();
      }
    } finally {
      busyAction = false;
      renderActions();
    }
  }

  function showActionError(message) {
    setText(ui.actionError, message);
    ui.actionError.hidden = false;
  }

  return {
    select,
    get selectedId() {
      return selectedId;
    },
    /** No event selected (the list, the create form, or a missing id). */
    deselect() {
      selectedId = null;
    },
    /** Stats from the socket, for any event. */
    applyStats: (s) => stats.apply(s),
    /** Once a second while shown: the chart slides, a countdown runs, the event and figures are re-read. */
    tick({ force, eventEveryMs, statsEveryMs, polling }) {
      const t = Date.now();
      stats.draw();
      if (event?.status === "SCHEDULED") renderFacts();
      const running = RUNNING.has(event?.status);
      if (force || t - lastRefresh >= eventEveryMs) {
        lastRefresh = t;
        refresh();
        deadLetters.refresh();
        if (running) lists.refreshFirstPages();
      }
      if (running && polling && (force || t - lastStats >= statsEveryMs)) {
        lastStats = t;
        stats.fetch();
      }
    },
    /** Signed out. */
    clear() {
      selectedId = null;
      event = null;
      stats.clear();
      clearProducts();
    },
  };
}
