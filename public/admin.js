// The admin page (admin.html): sign in with the admin token, list and create sale events,
// move them through their lifecycle, adjust stock, reconcile, and watch a sale live.
//
// Live figures come from the `/admin` Socket.IO namespace (`event:stats`, once a second
// per LIVE or PAUSED event); without a socket the page polls GET .../stats instead. The
// selected event itself (status, totals) is re-read every few seconds, since scheduled
// starts and automatic ends happen on the server. The selection lives in the URL hash
// (#<eventId>, #new), so a reload or a shared link shows the same thing.

import { createChart, WINDOW_MS } from "./admin/chart.js";
import { setupCreateForm } from "./admin/create-form.js";
import { connectAdmin } from "./admin/live.js";
import {
  ACTIONS_FROM,
  actionErrorMessage,
  FAIL_REASONS,
  formatClock,
  formatDateTime,
  generalErrorMessage,
  REJECT_REASONS,
  statusPill,
  stockErrorMessage,
} from "./admin/messages.js";
import { createPager } from "./admin/pager.js";
import { reconcileReport } from "./admin/reconcile.js";
import { clearToken, createAdminApi, readToken, saveToken, tokenWorks } from "./admin/session.js";
import { ApiError } from "./lib/api.js";
import { $, h, setAttr, setText } from "./lib/dom.js";
import { formatDuration, formatMoney, formatNumber, formatTime } from "./lib/format.js";

const LIST_PAGE = 30;
const LIST_REFRESH_MS = 15_000;
const EVENT_REFRESH_MS = 5_000;
const STATS_POLL_MS = 2_000; // only while no live socket brings them
const ORDERS_PAGE = 15;
const LEDGER_PAGE = 15;
const LISTS_AFTER_OUTCOMES_MS = 2_000; // orders and ledger re-read at most this often as outcomes come
const EVENT_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const RUNNING = new Set(["LIVE", "PAUSED"]);
const currency = document.querySelector('meta[name="dropqueue:currency"]')?.content || "USD";

const ui = {
  nav: $("nav"),
  liveStatus: $("live-status"),
  queuesLink: $("queues-link"),
  signOut: $("sign-out"),
  gate: $("gate"),
  tokenForm: $("token-form"),
  tokenInput: $("token-input"),
  tokenSave: $("token-save"),
  tokenError: $("token-error"),
  app: $("app"),
  newEvent: $("new-event"),
  filter: $("event-filter"),
  listError: $("list-error"),
  list: $("event-list"),
  listMore: $("list-more"),
  mainEmpty: $("main-empty"),
  createForm: $("create-form"),
  eventView: $("event-view"),
  evId: $("ev-id"),
  evName: $("ev-name"),
  evStatus: $("ev-status"),
  evFacts: $("ev-facts"),
  actionButtons: [...document.querySelectorAll("[data-action]")],
  shopLink: $("shop-link"),
  stopConfirm: $("stop-confirm"),
  stopYes: $("stop-yes"),
  stopNo: $("stop-no"),
  actionError: $("action-error"),
  statsUpdated: $("stats-updated"),
  statGrid: $("stat-grid"),
  rejected: $("rejected"),
  failed: $("failed"),
  chart: $("chart"),
  stockRuleNote: $("stock-rule-note"),
  productTable: $("product-table"),
  reconcile: $("reconcile"),
  reconcileReport: $("reconcile-report"),
  ordersStatus: $("orders-status"),
  ledgerSku: $("ledger-sku"),
  // One error line, moved next to the product it is about, so a test finds one node.
  stockError: h("p", { class: "field__error stock-error", "data-testid": "stock-error", role: "alert" }),
};

const state = {
  started: false,
  /** GET /api/admin/events, newest first. */
  events: [],
  listShown: LIST_PAGE,
  /** "empty" | "create" | "event" */
  main: "empty",
  selectedId: null,
  /** The selected event (GET /api/admin/events/:id). */
  event: null,
  /** Its latest stats and when they arrived. */
  stats: null,
  statsAt: 0,
  /** eventId → samples for the chart, oldest first (kept for every live event seen). */
  history: new Map(),
  live: null,
  liveState: "offline",
  busyAction: false,
  /** sku → the product row's nodes. */
  productRows: new Map(),
  inFlight: { list: false, event: false, stats: false },
  lastRun: { list: 0, event: 0, stats: 0, lists: 0 },
  /** confirmed + failed + cancelled when the orders were last read. */
  outcomesSeen: -1,
  /** The product row under which the stock error shows. */
  stockErrorRow: null,
  ticker: 0,
};

const adminApi = createAdminApi({
  onUnauthorized: () =>
    signOut(
      "The admin token is no longer accepted (the API may have restarted with another one). Enter it again.",
    ),
});

const chart = createChart(ui.chart);
const statNodes = buildStatGrid();

const createForm = setupCreateForm({
  adminApi,
  currency,
  onCreated(event) {
    state.events = [event, ...state.events.filter((e) => e.id !== event.id)];
    renderList();
    state.event = event;
    go(event.id);
  },
  onCancel() {
    go(state.selectedId ?? "");
  },
});

const orders = createPager({
  root: $("orders"),
  testid: "orders",
  emptyText: "No orders yet.",
  columns: [
    { label: "Time", cell: (o) => formatTime(o.createdAt) },
    { label: "Order", cell: (o) => h("code", {}, o.orderId) },
    { label: "User", cell: (o) => o.userId },
    { label: "SKU", cell: (o) => o.sku },
    { label: "Qty", num: true, cell: (o) => formatNumber(o.quantity) },
    { label: "Amount", num: true, cell: (o) => formatMoney(o.amountCents, currency) },
    { label: "Status", cell: (o) => orderStatus(o) },
  ],
  load: (cursor) => {
    const q = new URLSearchParams({ limit: String(ORDERS_PAGE) });
    if (ui.ordersStatus.value) q.set("status", ui.ordersStatus.value);
    if (cursor) q.set("cursor", cursor);
    return adminApi(`${eventPath()}/orders?${q}`);
  },
});

const ledger = createPager({
  root: $("ledger"),
  testid: "ledger",
  emptyText: "No ledger entries.",
  columns: [
    { label: "#", num: true, cell: (e) => e.id },
    { label: "Time", cell: (e) => formatTime(e.createdAt) },
    { label: "SKU", cell: (e) => e.sku },
    {
      label: "Reason",
      cell: (e) => h("span", { class: `ledger-reason ledger-reason--${e.reason.toLowerCase()}` }, e.reason),
    },
    {
      label: "Quantity",
      num: true,
      cell: (e) =>
        e.reason === "ADJUST" && e.quantity > 0 ? `+${formatNumber(e.quantity)}` : formatNumber(e.quantity),
    },
    { label: "Reference", cell: (e) => (e.reference ? h("code", {}, e.reference) : "—") },
  ],
  load: (cursor) => {
    const q = new URLSearchParams({ limit: String(LEDGER_PAGE) });
    if (ui.ledgerSku.value) q.set("sku", ui.ledgerSku.value);
    if (cursor) q.set("cursor", cursor);
    return adminApi(`${eventPath()}/ledger?${q}`);
  },
});

// ---------------------------------------------------------------- sign-in

function init() {
  ui.tokenForm.addEventListener("submit", onTokenSubmit);
  ui.signOut.addEventListener("click", () => signOut());
  ui.newEvent.addEventListener("click", () => go("new"));
  ui.filter.addEventListener("input", () => {
    state.listShown = LIST_PAGE;
    renderList();
  });
  ui.listMore.addEventListener("click", () => {
    state.listShown += LIST_PAGE;
    renderList();
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
  ui.reconcile.addEventListener("click", reconcile);
  ui.ordersStatus.addEventListener("change", () => orders.reset());
  ui.ledgerSku.addEventListener("change", () => ledger.reset());
  window.addEventListener("hashchange", route);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && state.started) tick(true);
  });

  if (readToken()) startApp();
  else showGate();
}

function showGate(message) {
  ui.gate.hidden = false;
  ui.app.hidden = true;
  ui.nav.hidden = true;
  ui.tokenError.hidden = !message;
  setText(ui.tokenError, message ?? "");
  ui.tokenInput.value = "";
  ui.tokenInput.focus();
}

async function onTokenSubmit(e) {
  e.preventDefault();
  const token = ui.tokenInput.value.trim();
  if (!token) {
    showTokenError("Enter the admin token.");
    return;
  }
  ui.tokenSave.disabled = true;
  setText(ui.tokenSave, "Checking…");
  try {
    if (await tokenWorks(token)) {
      saveToken(token);
      ui.tokenInput.value = "";
      startApp();
    } else {
      showTokenError("That token was not accepted. Check the API's ADMIN_TOKEN and try again.");
    }
  } catch (err) {
    showTokenError(generalErrorMessage(err));
  } finally {
    ui.tokenSave.disabled = false;
    setText(ui.tokenSave, "Sign in");
  }
}

function showTokenError(message) {
  setText(ui.tokenError, message);
  ui.tokenError.hidden = false;
  ui.tokenInput.setAttribute("aria-invalid", "true");
  ui.tokenInput.select();
}

function startApp() {
  state.started = true;
  ui.gate.hidden = true;
  ui.tokenInput.removeAttribute("aria-invalid");
  ui.app.hidden = false;
  ui.nav.hidden = false;
  // The dashboard has its own sign-in form (the token never travels in a URL): the plain link.

  state.live = connectAdmin(readToken(), {
    onStats: (stats) => applyStats(stats),
    onState: (s) => setLiveState(s),
    onUnauthorized: () => signOut("The admin token was not accepted for live updates. Enter it again."),
  });
  if (!state.live) setLiveState("polling");

  clearInterval(state.ticker);
  state.ticker = setInterval(() => tick(false), 1000);
  refreshList();
  route();
}

function signOut(message) {
  state.started = false;
  clearInterval(state.ticker);
  state.live?.close();
  state.live = null;
  clearToken();
  state.events = [];
  state.selectedId = null;
  state.event = null;
  state.stats = null;
  state.history.clear();
  clearProductRows();
  ui.list.replaceChildren();
  showGate(message);
}

function setLiveState(s) {
  state.liveState = s;
  // Not "Live": that is an event status on this page.
  const words = {
    live: "Connected",
    connecting: "Connecting…",
    offline: "Reconnecting…",
    polling: "Polling",
  };
  const tone = { live: "live", connecting: "scheduled", offline: "paused", polling: "draft" };
  setText(ui.liveStatus, words[s] ?? s);
  ui.liveStatus.className = `pill pill--${tone[s] ?? "draft"}`;
  setAttr(ui.liveStatus, "data-state", s);
  setAttr(
    ui.liveStatus,
    "title",
    s === "polling" ? "The Socket.IO client did not load: figures are polled" : null,
  );
}

/** Once a second: the chart slides; now and then the list, the event and (without a socket) the stats. */
function tick(force) {
  if (!state.started || document.hidden) return;
  const t = Date.now();
  if (state.main === "event") {
    chart.draw(historyOf(state.selectedId), skusOf(state.event));
    if (state.event?.status === "SCHEDULED") renderFacts();
    const running = RUNNING.has(state.event?.status);
    if (force || t - state.lastRun.event >= EVENT_REFRESH_MS) {
      state.lastRun.event = t;
      refreshEvent();
      if (running) refreshLists();
    }
    if (running && state.liveState !== "live" && (force || t - state.lastRun.stats >= STATS_POLL_MS)) {
      state.lastRun.stats = t;
      fetchStats();
    }
  }
  if (force || t - state.lastRun.list >= LIST_REFRESH_MS) refreshList();
}

// ---------------------------------------------------------------- routing

function go(hash) {
  if (window.location.hash.slice(1) === hash) route();
  else window.location.hash = hash;
}

function route() {
  if (!state.started) return;
  let id = window.location.hash.slice(1);
  try {
    id = decodeURIComponent(id);
  } catch {
    id = "";
  }
  if (id === "new") {
    showMain("create");
    createForm.focus();
  } else if (EVENT_ID_RE.test(id)) {
    selectEvent(id);
  } else {
    state.selectedId = null;
    showMain("empty");
    renderList();
  }
}

function showMain(which) {
  state.main = which;
  ui.mainEmpty.hidden = which !== "empty";
  ui.createForm.hidden = which !== "create";
  ui.eventView.hidden = which !== "event";
}

// ---------------------------------------------------------------- event list

async function refreshList() {
  if (state.inFlight.list) return;
  state.inFlight.list = true;
  state.lastRun.list = Date.now();
  try {
    const events = await adminApi("/api/admin/events");
    if (!state.started) return;
    state.events = Array.isArray(events) ? events : [];
    ui.listError.hidden = true;
    renderList();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    setText(ui.listError, `Couldn't load the events: ${generalErrorMessage(err)}`);
    ui.listError.hidden = false;
  } finally {
    state.inFlight.list = false;
  }
}

function renderList() {
  const q = ui.filter.value.trim().toLowerCase();
  const matches = q
    ? state.events.filter((e) => `${e.name} ${e.id} ${e.status}`.toLowerCase().includes(q))
    : state.events;
  const shown = matches.slice(0, state.listShown);
  // Rebuilt as a whole; keep keyboard focus on the row it was on.
  const focusedId = document.activeElement?.closest?.("[data-event-id]")?.dataset.eventId;
  ui.list.replaceChildren(...shown.map(eventRow));
  if (shown.length === 0) {
    ui.list.append(
      h(
        "li",
        { class: "event-list__empty muted" },
        q ? "No event matches." : "No events yet. Create the first one.",
      ),
    );
  }
  if (focusedId) ui.list.querySelector(`[data-event-id="${CSS.escape(focusedId)}"]`)?.focus();
  const more = matches.length - shown.length;
  ui.listMore.hidden = more <= 0;
  setText(ui.listMore, `Show ${formatNumber(Math.min(more, LIST_PAGE))} more (of ${formatNumber(more)})`);
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
        "aria-current": event.id === state.selectedId ? "true" : null,
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

function updateListEntry(event) {
  const i = state.events.findIndex((e) => e.id === event.id);
  if (i >= 0) state.events[i] = event;
  else state.events.unshift(event);
  renderList();
}

// ---------------------------------------------------------------- the selected event

const eventPath = () => `/api/admin/events/${encodeURIComponent(state.selectedId ?? "")}`;

function selectEvent(id) {
  const changed = state.selectedId !== id;
  state.selectedId = id;
  showMain("event");
  if (changed) {
    state.event = state.events.find((e) => e.id === id) ?? (state.event?.id === id ? state.event : null);
    state.stats = null;
    state.statsAt = 0;
    state.outcomesSeen = -1;
    clearProductRows();
    ui.stopConfirm.hidden = true;
    ui.actionError.hidden = true;
    ui.reconcileReport.hidden = true;
    ui.ordersStatus.value = "";
    ui.ledgerSku.value = "";
    renderStats();
    if (state.event) renderEvent();
    else {
      setText(ui.evName, "Loading…");
      setText(ui.evId, id);
    }
    orders.reset();
    ledger.reset();
    // Phones show the list above: bring the event into view.
    if (window.matchMedia("(max-width: 60rem)").matches) ui.eventView.scrollIntoView({ block: "start" });
  }
  renderList();
  state.lastRun.event = Date.now();
  refreshEvent();
  fetchStats();
}

async function refreshEvent() {
  const id = state.selectedId;
  if (!id || state.inFlight.event) return;
  state.inFlight.event = true;
  try {
    const event = await adminApi(`/api/admin/events/${encodeURIComponent(id)}`);
    if (state.selectedId !== id) return;
    const statusChanged = state.event?.status !== event.status;
    if (statusChanged) clearStockError(); // it was about the old state's rules
    state.event = event;
    renderEvent();
    updateListEntry(event);
    if (statusChanged) fetchStats();
  } catch (err) {
    if (state.selectedId !== id || (err instanceof ApiError && err.status === 401)) return;
    if (err instanceof ApiError && err.code === "NOT_FOUND") {
      state.selectedId = null;
      showMain("empty");
      setText(ui.mainEmpty, `There is no event with the id ${id}.`);
      return;
    }
    showActionError(`Couldn't refresh the event: ${generalErrorMessage(err)}`);
  } finally {
    state.inFlight.event = false;
  }
}

function renderEvent() {
  const event = state.event;
  if (!event) return;
  setText(ui.evName, event.name);
  setText(ui.evId, event.id);
  document.title = `${event.name} — dropqueue admin`;
  const { words, tone } = statusPill(event.status);
  setText(ui.evStatus, words);
  ui.evStatus.className = `pill pill--${tone}`;
  setAttr(ui.evStatus, "data-status", event.status);
  ui.shopLink.href = `/?event=${encodeURIComponent(event.id)}`;
  renderFacts();
  renderActions();
  renderProducts();
  if (!RUNNING.has(event.status) || !state.stats) renderStats();
}

function renderFacts() {
  const event = state.event;
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
  ui.evFacts.replaceChildren(
    ...facts.map(([label, value]) =>
      h("div", { class: "facts__item" }, h("dt", {}, label), h("dd", {}, value)),
    ),
  );
}

function renderActions() {
  const status = state.event?.status;
  for (const button of ui.actionButtons) {
    const allowed = ACTIONS_FROM[button.dataset.action]?.includes(status) ?? false;
    button.disabled = state.busyAction || !allowed;
  }
  if (status === "ENDED") ui.stopConfirm.hidden = true;
}

async function runAction(action) {
  const id = state.selectedId;
  if (!id || state.busyAction) return;
  state.busyAction = true;
  ui.stopConfirm.hidden = true;
  ui.actionError.hidden = true;
  renderActions();
  try {
    const event = await adminApi(`/api/admin/events/${encodeURIComponent(id)}/${action}`, { method: "POST" });
    if (state.selectedId === id) {
      clearStockError(); // it was about the old state's rules
      state.event = event;
      renderEvent();
      fetchStats();
    }
    updateListEntry(event);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    if (state.selectedId === id) {
      showActionError(actionErrorMessage(action, err));
      if (err.code === "INVALID_STATE") refreshEvent();
    }
  } finally {
    state.busyAction = false;
    renderActions();
  }
}

function showActionError(message) {
  setText(ui.actionError, message);
  ui.actionError.hidden = false;
}

// ---------------------------------------------------------------- live figures

async function fetchStats() {
  const id = state.selectedId;
  if (!id || state.inFlight.stats) return;
  state.inFlight.stats = true;
  try {
    const stats = await adminApi(`/api/admin/events/${encodeURIComponent(id)}/stats`);
    applyStats({ ...stats, eventId: id });
  } catch {
    // The next tick or the socket tries again; the figures shown say when they were taken.
  } finally {
    state.inFlight.stats = false;
  }
}

/** Stats of any event (socket or GET): kept for its chart, shown when it is the selected one. */
function applyStats(stats) {
  const now = Date.now();
  addSample(stats.eventId, {
    t: now,
    joins: stats.joins,
    confirmed: stats.confirmed,
    remaining: Object.fromEntries((stats.products ?? []).map((p) => [p.sku, p.remaining])),
  });
  if (stats.eventId !== state.selectedId) return;
  state.stats = stats;
  state.statsAt = now;
  renderStats();
  // New outcomes mean new orders and ledger rows: show them without waiting for the next poll.
  const failed = stats.failed ?? {};
  const outcomes =
    stats.confirmed + stats.cancelled + (failed.PAYMENT_DECLINED ?? 0) + (failed.PROCESSING_FAILED ?? 0);
  if (outcomes !== state.outcomesSeen && now - state.lastRun.lists >= LISTS_AFTER_OUTCOMES_MS) {
    state.outcomesSeen = outcomes;
    refreshLists();
  }
  if (state.main === "event") chart.draw(historyOf(state.selectedId), skusOf(state.event));
}

/** The first pages of the orders and the ledger (a later page stays as the admin paged it). */
function refreshLists() {
  state.lastRun.lists = Date.now();
  orders.refreshIfFirstPage();
  ledger.refreshIfFirstPage();
}

function addSample(eventId, sample) {
  let samples = state.history.get(eventId);
  if (!samples) {
    samples = [];
    state.history.set(eventId, samples);
  }
  // A GET right after a socket message (or the reverse) would draw a kink: keep the newer.
  const last = samples.at(-1);
  if (last && sample.t - last.t < 500) samples[samples.length - 1] = sample;
  else samples.push(sample);
  while (samples.length > 0 && samples[0].t < sample.t - WINDOW_MS - 5000) samples.shift();
}

const historyOf = (id) => (id ? (state.history.get(id) ?? []) : []);
const skusOf = (event) => (event?.products ?? []).map((p) => p.sku);

function buildStatGrid() {
  const cards = [
    ["joins", "Joins"],
    ["waiting", "Waiting"],
    ["processing", "Processing"],
    ["confirmed", "Confirmed"],
    ["admitted", "Admitted / s"],
    ["cancelled", "Cancelled"],
  ];
  const nodes = {};
  ui.statGrid.replaceChildren(
    ...cards.map(([key, label]) => {
      nodes[key] = h("strong", { class: "stat__value", "data-testid": `stat-${key}` }, "–");
      return h("div", { class: `stat stat--${key}` }, h("span", { class: "stat__label" }, label), nodes[key]);
    }),
  );
  const breakdown = (root, reasons, kind) =>
    root.replaceChildren(
      ...reasons.map(([code, label]) => {
        nodes[`${kind}-${code}`] = h("dd", { "data-testid": `stat-${kind}-${code}` }, "–");
        return h("div", { class: "breakdown__item" }, h("dt", {}, label), nodes[`${kind}-${code}`]);
      }),
    );
  breakdown(ui.rejected, REJECT_REASONS, "rejected");
  breakdown(ui.failed, FAIL_REASONS, "failed");
  return nodes;
}

function renderStats() {
  const s = state.stats;
  const put = (key, value, text) => {
    const node = statNodes[key];
    setText(node, value === undefined ? "–" : (text ?? formatNumber(value)));
    setAttr(node, "data-value", value);
  };
  put("joins", s?.joins);
  put("waiting", s?.waiting);
  put("processing", s?.processing);
  put("confirmed", s?.confirmed);
  put(
    "admitted",
    s?.admittedPerSecond,
    s
      ? new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(s.admittedPerSecond)
      : undefined,
  );
  put("cancelled", s?.cancelled);
  for (const [code] of REJECT_REASONS) put(`rejected-${code}`, s?.rejected?.[code]);
  for (const [code] of FAIL_REASONS) put(`failed-${code}`, s?.failed?.[code]);

  const status = state.event?.status;
  let note = "";
  if (!s) note = "Loading…";
  else if (RUNNING.has(status))
    note = `${state.liveState === "live" ? "Live" : "Polled"} · updated ${formatClock(state.statsAt)}`;
  else if (status === "ENDED") note = `Final figures · read ${formatClock(state.statsAt)}`;
  else note = `Read ${formatClock(state.statsAt)} · figures stream once the sale is live`;
  setText(ui.statsUpdated, note);

  for (const p of s?.products ?? []) updateProductCounters(p);
}

// ---------------------------------------------------------------- products and stock

function clearProductRows() {
  state.productRows.clear();
  ui.productTable.replaceChildren();
  clearStockError();
  ui.ledgerSku.replaceChildren(h("option", { value: "" }, "All products"));
}

function renderProducts() {
  const event = state.event;
  const products = event?.products ?? [];
  const ended = event?.status === "ENDED";
  setText(
    ui.stockRuleNote,
    ended
      ? "The sale has ended: stock can no longer change."
      : event?.firstLiveAt
        ? "The sale has gone live: a total can be lowered to what is sold + reserved, and raised back up to its total when the sale first went live."
        : "Before the sale first goes live, totals can be set freely.",
  );
  // Products never change order or go away (the API lists them by SKU): rows are only added.
  for (const product of products) {
    let row = state.productRows.get(product.sku);
    if (!row) {
      row = productRow(product.sku);
      state.productRows.set(product.sku, row);
      ui.productTable.append(row.tr);
      ui.ledgerSku.append(h("option", { value: product.sku }, product.sku));
    }
    setText(row.name, product.name);
    setText(row.price, formatMoney(product.priceCents, currency));
    setText(row.limit, formatNumber(product.perUserLimit));
    updateProductCounters(product);
    // Never overwrite what the admin is typing.
    if (document.activeElement !== row.input && row.input.dataset.dirty !== "true")
      row.input.value = String(product.total);
    row.input.disabled = ended;
    row.save.disabled = ended || row.busy;
  }
}

function productRow(sku) {
  const id = `stock-${sku}`;
  const cell = (testid) => h("td", { class: "num", "data-testid": testid });
  const row = {
    sku,
    busy: false,
    name: h("td", { class: "cell-wrap" }),
    price: h("td", { class: "num col-minor" }),
    limit: h("td", { class: "num col-minor" }),
    total: cell(`stat-total-${sku}`),
    remaining: cell(`stat-remaining-${sku}`),
    reserved: cell(`stat-reserved-${sku}`),
    sold: cell(`stat-sold-${sku}`),
    input: h("input", {
      class: "input input--small",
      id,
      type: "number",
      inputmode: "numeric",
      min: 0,
      step: 1,
      "data-testid": `stock-input-${sku}`,
      "aria-label": `New total for ${sku}`,
    }),
    save: h(
      "button",
      { type: "button", class: "btn btn--small", "data-testid": `stock-save-${sku}` },
      "Save",
    ),
    note: h("span", { class: "stock-ok", "data-testid": `stock-ok-${sku}`, role: "status" }),
    editor: null,
    tr: null,
    // A full-width row under the product for its stock error, so the table keeps its width.
    errorRow: h("tr", { class: "stock-error-row" }, h("td", { colspan: 9 })),
  };
  row.editor = h("td", {}, h("div", { class: "stock-edit" }, row.input, row.save, row.note));
  row.tr = h(
    "tr",
    { "data-testid": `product-row-${sku}` },
    h("th", { scope: "row" }, h("code", {}, sku)),
    row.name,
    row.price,
    row.limit,
    row.total,
    row.remaining,
    row.reserved,
    row.sold,
    row.editor,
  );
  row.input.addEventListener("input", () => {
    row.input.dataset.dirty = "true";
    setText(row.note, "");
  });
  row.input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") saveStock(row);
  });
  row.save.addEventListener("click", () => saveStock(row));
  return row;
}

function updateProductCounters(p) {
  const row = state.productRows.get(p.sku);
  if (!row) return;
  for (const key of ["total", "remaining", "reserved", "sold"]) {
    setText(row[key], formatNumber(p[key]));
    setAttr(row[key], "data-value", p[key]);
  }
}

async function saveStock(row) {
  const id = state.selectedId;
  if (!id || row.busy) return;
  clearStockError();
  setText(row.note, "");
  const raw = row.input.value.trim();
  if (!/^\d+$/.test(raw)) {
    showStockError(row, "Enter a whole number of units, 0 or more.");
    return;
  }
  row.busy = true;
  row.save.disabled = true;
  setText(row.save, "Saving…");
  try {
    const product = await adminApi(
      `/api/admin/events/${encodeURIComponent(id)}/products/${encodeURIComponent(row.sku)}/stock`,
      { method: "PUT", body: { total: Number(raw) } },
    );
    if (state.selectedId !== id) return;
    row.input.dataset.dirty = "false";
    const i = state.event?.products.findIndex((p) => p.sku === product.sku) ?? -1;
    if (state.event && i >= 0) state.event.products[i] = product;
    row.input.value = String(product.total);
    updateProductCounters(product);
    setText(row.note, "Saved ✓");
    setTimeout(() => {
      if (row.note.textContent === "Saved ✓") setText(row.note, "");
    }, 4000);
    ledger.reset();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    if (state.selectedId === id) showStockError(row, stockErrorMessage(err));
  } finally {
    row.busy = false;
    setText(row.save, "Save");
    row.save.disabled = state.event?.status === "ENDED";
  }
}

function showStockError(row, message) {
  clearStockError();
  setText(ui.stockError, message);
  setAttr(ui.stockError, "data-sku", row.sku);
  setAttr(ui.stockError, "id", `${row.input.id}-error`);
  row.errorRow.firstChild.append(ui.stockError);
  row.tr.after(row.errorRow);
  state.stockErrorRow = row;
  row.input.setAttribute("aria-invalid", "true");
  row.input.setAttribute("aria-describedby", `${row.input.id}-error`);
  row.input.focus();
}

function clearStockError() {
  const row = state.stockErrorRow;
  state.stockErrorRow = null;
  ui.stockError.remove();
  if (!row) return;
  row.errorRow.remove();
  row.input.removeAttribute("aria-invalid");
  row.input.removeAttribute("aria-describedby");
}

// ---------------------------------------------------------------- reconcile

async function reconcile() {
  const id = state.selectedId;
  if (!id) return;
  ui.reconcile.disabled = true;
  setText(ui.reconcile, "Reconciling…");
  try {
    const report = await adminApi(`/api/admin/events/${encodeURIComponent(id)}/reconcile`, {
      method: "POST",
    });
    if (state.selectedId !== id) return;
    ui.reconcileReport.replaceChildren(...reconcileReport(report.products ?? [], Date.now()));
    ui.reconcileReport.hidden = false;
    fetchStats();
    refreshEvent();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    ui.reconcileReport.replaceChildren(
      h(
        "div",
        { class: "banner banner--error", role: "alert" },
        `Reconcile failed: ${generalErrorMessage(err)}`,
      ),
    );
    ui.reconcileReport.hidden = false;
  } finally {
    ui.reconcile.disabled = false;
    setText(ui.reconcile, "Reconcile now");
  }
}

// ---------------------------------------------------------------- helpers

function orderStatus(order) {
  const tone = { CONFIRMED: "success", FAILED: "danger", CANCELLED: "neutral" }[order.status] ?? "neutral";
  return h(
    "span",
    { class: "order-status" },
    h("span", { class: `badge badge--${tone}` }, order.status),
    order.reason ? h("span", { class: "muted small" }, order.reason) : null,
  );
}

init();
