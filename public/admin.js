// The admin page (admin.html): sign in with the admin token, list and create sale events,
// move them through their lifecycle, adjust stock, reconcile, and watch a sale live.
//
// Each view is its own module: admin/event-list.js (the list), admin/create-form.js,
// admin/refunds.js (#refunds), admin/stocks-view.js (#stocks), coupons-view.js (#coupons),
// service-keys-view.js (#service-keys), locations.js with catalog-orders.js (#locations: the
// catalog's locations, their stock, receipts, transfers, orders by channel) and admin/event-view.js (the selected event, with
// admin/stats.js, stock.js, lists.js, dead-letters.js and reconcile.js below it). This file signs in and out, keeps the live link, routes and ticks.
//
// Live figures come from the `/admin` Socket.IO namespace (`event:stats`, once a second
// per LIVE or PAUSED event); without a socket the page polls GET .../stats instead. The
// selection lives in the URL hash (#<eventId>, #new, #refunds, #stocks…), so a reload or a shared link shows
// the same thing.

import { createCatalogOrdersView } from "./admin/catalog-orders.js";
import { createCouponsView } from "./admin/coupons-view.js";
import { setupCreateForm } from "./admin/create-form.js";
import { createEventList } from "./admin/event-list.js";
import { createEventView } from "./admin/event-view.js";
import { connectAdmin } from "./admin/live.js";
import { createLocationsView } from "./admin/locations.js";
import { generalErrorMessage } from "./admin/messages.js";
import { createRefundsView } from "./admin/refunds.js";
import { createServiceKeysView } from "./admin/service-keys-view.js";
import { clearToken, createAdminApi, readToken, saveToken, tokenWorks } from "./admin/session.js";
import { createStocksView } from "./admin/stocks-view.js";
import { EVENT_ID_RE, paths } from "./lib/contract.js";
import { $, setAttr, setText } from "./lib/dom.js";

const LIST_REFRESH_MS = 15_000;
const EVENT_REFRESH_MS = 5_000;
const STATS_POLL_MS = 2_000; // only while no live socket brings them
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
  mainEmpty: $("main-empty"),
  createForm: $("create-form"),
  eventView: $("event-view"),
};
/** The views of the whole API, by their hash (#refunds, #stocks, …): each shown and refreshed alike. */
const PANELS = ["refunds", "stocks", "coupons", "service-keys", "locations"];
/** Those not about events take the page's width (the event list is one "Events" click away). */
const WIDE = new Set(["stocks", "coupons", "service-keys", "locations"]);

let started = false;
/** "empty" | "create" | "event" | one of PANELS */
let main = "empty";
let live = null;
let liveState = "offline";
let ticker = 0;

const adminApi = createAdminApi({
  onUnauthorized: () =>
    signOut(
      "The admin token is no longer accepted (the API may have restarted with another one). Enter it again.",
    ),
});
const list = createEventList({ adminApi, isStarted: () => started, selectedId: () => eventView.selectedId });
const eventView = createEventView({
  adminApi,
  currency,
  list,
  liveState: () => liveState,
  isShown: () => main === "event",
  onMissing(id) {
    showMain("empty");
    setText(ui.mainEmpty, `There is no event with the id ${id}.`);
  },
});
const panels = {
  refunds: { view: createRefundsView({ adminApi, currency }), node: $("refunds-view") },
  stocks: { view: createStocksView({ adminApi }), node: $("stocks-view") },
  coupons: { view: createCouponsView({ adminApi }), node: $("coupons-view") },
  "service-keys": { view: createServiceKeysView({ adminApi }), node: $("service-keys-view") },
  locations: { view: catalogPanel(), node: $("catalog-view") },
};

/** The catalog (#locations): its locations with their stock and forms, and its orders by channel. */
function catalogPanel() {
  const locations = createLocationsView({ adminApi, currency });
  const orders = createCatalogOrdersView({ adminApi, currency });
  const refresh = () => Promise.all([locations.refresh(), orders.refresh()]);
  return { show: refresh, refresh };
}
const createForm = setupCreateForm({
  adminApi,
  currency,
  onCreated(event) {
    list.add(event);
    go(event.id);
  },
  onCancel() {
    go(eventView.selectedId ?? "");
  },
});

// ---------------------------------------------------------------- sign-in

function init() {
  ui.tokenForm.addEventListener("submit", onTokenSubmit);
  ui.signOut.addEventListener("click", () => signOut());
  ui.newEvent.addEventListener("click", () => go("new"));
  window.addEventListener("hashchange", route);
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && started) tick(true);
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
  started = true;
  ui.gate.hidden = true;
  ui.tokenInput.removeAttribute("aria-invalid");
  ui.app.hidden = false;
  ui.nav.hidden = false;
  // The dashboard has its own sign-in form (the token never travels in a URL): the plain link.
  ui.queuesLink.href = paths.queuesDashboard();

  live = connectAdmin(readToken(), {
    onStats: (stats) => eventView.applyStats(stats),
    onState: (s) => setLiveState(s),
    onUnauthorized: () => signOut("The admin token was not accepted for live updates. Enter it again."),
  });
  if (!live) setLiveState("polling");

  clearInterval(ticker);
  ticker = setInterval(() => tick(false), 1000);
  list.refresh();
  route();
}

function signOut(message) {
  started = false;
  clearInterval(ticker);
  live?.close();
  live = null;
  clearToken();
  eventView.clear();
  list.clear();
  showGate(message);
}

function setLiveState(s) {
  liveState = s;
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
  if (!started || document.hidden) return;
  if (main === "event") {
    eventView.tick({
      force,
      eventEveryMs: EVENT_REFRESH_MS,
      statsEveryMs: STATS_POLL_MS,
      polling: liveState !== "live",
    });
  }
  if (PANELS.includes(main) && (force || Date.now() - list.lastRefresh >= LIST_REFRESH_MS))
    panels[main].view.refresh();
  if (force || Date.now() - list.lastRefresh >= LIST_REFRESH_MS) list.refresh();
}

// ---------------------------------------------------------------- routing

function go(hash) {
  if (window.location.hash.slice(1) === hash) route();
  else window.location.hash = hash;
}

function route() {
  if (!started) return;
  let id = window.location.hash.slice(1);
  try {
    id = decodeURIComponent(id);
  } catch {
    id = "";
  }
  if (id === "new") {
    showMain("create");
    createForm.focus();
  } else if (PANELS.includes(id)) {
    eventView.deselect();
    showMain(id);
    panels[id].view.show();
    list.render();
  } else if (EVENT_ID_RE.test(id) && id !== "events") {
    showMain("event");
    eventView.select(id);
  } else {
    eventView.deselect();
    showMain("empty");
    list.render();
  }
}

function showMain(which) {
  main = which;
  ui.mainEmpty.hidden = which !== "empty";
  ui.createForm.hidden = which !== "create";
  ui.eventView.hidden = which !== "event";
  ui.app.classList.toggle("admin-layout--wide", WIDE.has(which));
  for (const [name, panel] of Object.entries(panels)) {
    if (panel.node.hidden === (which === name)) {
      panel.node.hidden = which !== name;
      if (which !== name) panel.view.hide?.();
    }
  }
}

init();
