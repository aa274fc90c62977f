// The shopper's waiting page (index.html): shows a sale event and its products, lets a
// shopper join the line for one product, then follows that ticket live until its outcome.
//
// Two views share the page: "shop" (nothing joined: the event is polled every few
// seconds) and "wait" (a ticket is held: it is followed over Socket.IO, the event is no
// longer polled, so a big line does not turn into a polling storm). The ticket is kept in
// localStorage per event, so a reload or a dropped connection resumes it.

import { ApiError, api } from "./lib/api.js";
import { $, h, setAttr, setText } from "./lib/dom.js";
import { formatDuration, formatEta, formatMoney, formatNumber } from "./lib/format.js";
import * as storage from "./lib/storage.js";
import { connectTicket } from "./shop/live.js";
import {
  eventStatusWords,
  joinErrorMessage,
  outcomeCopy,
  prequeueNote,
  waitingHeadline,
} from "./shop/messages.js";
import { proofOfWork } from "./shop/pow.js";

const EVENT_POLL_MS = 3000;
const EVENT_POLL_MAX_MS = 15_000; // backoff ceiling while the shop can't be reached
const TICKET_POLL_MS = 4000; // only when the live socket is missing or down
const FRONT_POLL_MS = 3000; // at the front of the line, to learn about PROCESSING
const JOIN_NETWORK_RETRIES = 3;
const MAX_QUANTITY_OPTIONS = 10;
const USER_ID_RE = /^[A-Za-z0-9._:@-]{1,64}$/;
const EVENT_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const JOINABLE = new Set(["SCHEDULED", "LIVE", "PAUSED"]);
const FINAL = new Set(["CONFIRMED", "REJECTED", "FAILED", "CANCELLED"]);
const USER_KEY = "dropqueue:userId";
const ticketKey = (eventId) => `dropqueue:ticket:${eventId}`;
const currency = document.querySelector('meta[name="dropqueue:currency"]')?.content || "USD";

const ui = {
  eventName: $("event-name"),
  eventStatus: $("event-status"),
  countdown: $("countdown"),
  error: $("error"),
  shopView: $("shop-view"),
  shopper: $("shopper"),
  userId: $("user-id"),
  userIdError: $("user-id-error"),
  saleNote: $("sale-note"),
  products: $("products"),
  waitView: $("wait-view"),
  waitProduct: $("wait-product"),
  waitWaiting: $("wait-waiting"),
  waitHeadline: $("wait-headline"),
  etaLine: $("wait-eta-line"),
  eta: $("eta"),
  progress: $("progress"),
  waitNote: $("wait-note"),
  waitFooter: $("wait-footer"),
  outcome: $("outcome"),
  outcomeIcon: $("outcome-icon"),
  outcomeTitle: $("outcome-title"),
  outcomeText: $("outcome-text"),
  outcomeOrder: $("outcome-order"),
  orderId: $("order-id"),
  orderLabel: $("order-label"),
  startOver: $("start-over"),
  connection: $("connection"),
  // Built once and moved in and out of the headline, so tests and screen readers keep one node.
  position: h("strong", { class: "wait__position", "data-testid": "position" }),
};

const state = {
  eventId: "",
  /** Last GET /api/events/:id answer. */
  event: null,
  /** "shop" | "wait" */
  view: "shop",
  /** sku → {root, name, price, stock, limit, select, button, badge} */
  cards: new Map(),
  joining: false,
  /** The stored ticket: {eventId, ticketId, token, sku, quantity, firstPosition?, progress?} */
  ticket: null,
  /** The ticket's last known status and position. */
  status: null,
  position: undefined,
  final: false,
  /** {status, reason, orderId} once decided. */
  outcome: null,
  /** Socket handle from connectTicket, or null when Socket.IO is unavailable. */
  live: null,
  connected: false,
  eventFailures: 0,
  eventInFlight: false,
  eventMissing: false,
  startRefreshDone: false,
  timers: { event: 0, ticket: 0, retry: 0 },
};

// ---------------------------------------------------------------- start

function init() {
  state.eventId = readEventId();
  // The hash form (#<id>) changes without a reload: start over cleanly when it does.
  window.addEventListener("hashchange", () => {
    if (!new URLSearchParams(window.location.search).has("event")) window.location.reload();
  });

  if (!state.eventId || !EVENT_ID_RE.test(state.eventId)) {
    showNoEvent();
    return;
  }
  ui.startOver.href = `${window.location.pathname}?event=${encodeURIComponent(state.eventId)}`;
  ui.startOver.addEventListener("click", (e) => {
    e.preventDefault();
    startOver();
  });
  setupUserId();
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && shouldPollEvent()) refreshEvent();
  });
  setInterval(tick, 1000);

  const stored = readStoredTicket();
  if (stored) {
    state.ticket = stored;
    showView("wait");
    showChecking();
    resumeTicket();
  } else {
    showView("shop");
  }
  refreshEvent();
}

function readEventId() {
  const fromQuery = new URLSearchParams(window.location.search).get("event");
  let fromHash = window.location.hash.slice(1);
  try {
    fromHash = decodeURIComponent(fromHash);
  } catch {
    // keep it raw; the id check below rejects it
  }
  return (fromQuery || fromHash || "").trim();
}

function showNoEvent() {
  setText(ui.eventName, "No sale selected");
  ui.eventStatus.hidden = true;
  showBanner(
    state.eventId
      ? "This sale link doesn't look right. Please open the link from the shop again."
      : "Open this page from the shop's link to a sale (it looks like /?event=<sale id>).",
    "no-event",
    "info",
  );
}

// ---------------------------------------------------------------- views and banner

function showView(view) {
  state.view = view;
  ui.shopView.hidden = view !== "shop";
  ui.waitView.hidden = view !== "wait";
  if (view === "shop") scheduleEventPoll();
  else clearTimeout(state.timers.event);
}

let bannerSource = null;

/**
 * One banner for every problem; `source` lets a later success clear only its own message
 * (a good poll must not hide a join error).
 */
function showBanner(message, source, tone = "error") {
  bannerSource = source;
  setText(ui.error, message);
  ui.error.className = `banner banner--${tone}`;
  ui.error.hidden = false;
}

/** On a phone the join button may be far below the banner: bring the message into view. */
function revealBanner() {
  const box = ui.error.getBoundingClientRect();
  if (box.top < 0 || box.bottom > window.innerHeight) ui.error.scrollIntoView({ block: "center" });
}

function clearBanner(source) {
  if (source && bannerSource !== source) return;
  bannerSource = null;
  ui.error.hidden = true;
  ui.error.textContent = "";
}

// ---------------------------------------------------------------- the event

function shouldPollEvent() {
  if (state.eventMissing || document.hidden) return false;
  if (!state.event) return true; // the wait view needs it once too (names, start time)
  return state.view === "shop" && state.event.status !== "ENDED";
}

function scheduleEventPoll(delay) {
  clearTimeout(state.timers.event);
  if (!shouldPollEvent()) return;
  const base = delay ?? Math.min(EVENT_POLL_MS * 2 ** state.eventFailures, EVENT_POLL_MAX_MS);
  state.timers.event = setTimeout(refreshEvent, jitter(base));
}

async function refreshEvent() {
  if (state.eventInFlight) return;
  state.eventInFlight = true;
  clearTimeout(state.timers.event);
  try {
    const { data } = await api(`/api/events/${encodeURIComponent(state.eventId)}`);
    if (!data || !Array.isArray(data.products)) {
      throw new ApiError({ code: "INTERNAL", message: "Unexpected answer" });
    }
    state.event = data;
    state.eventFailures = 0;
    clearBanner("event");
    renderEvent();
  } catch (err) {
    state.eventFailures = Math.min(state.eventFailures + 1, 4);
    if (err.code === "NOT_FOUND") {
      state.eventMissing = true;
      setText(ui.eventName, "Sale not found");
      ui.eventStatus.hidden = true;
      ui.products.replaceChildren();
      showBanner("We couldn't find this sale. Please check the link you followed.", "event");
    } else if (err.code === "NETWORK") {
      showBanner("Can't reach the shop, retrying…", "event", "warning");
    } else {
      showBanner("The shop is having trouble right now, retrying…", "event", "warning");
    }
  } finally {
    state.eventInFlight = false;
  }
  scheduleEventPoll();
}

function renderEvent() {
  const event = state.event;
  setText(ui.eventName, event.name);
  document.title = `${event.name} — dropqueue`;

  const { words, tone } = eventStatusWords(event);
  ui.eventStatus.hidden = false;
  setText(ui.eventStatus, words);
  ui.eventStatus.className = `pill pill--${tone}`;
  setAttr(ui.eventStatus, "data-status", event.status);
  renderCountdown();

  renderSaleNote(event);
  renderProducts(event.products);
  if (state.view === "wait") {
    renderWaitProduct();
    if (state.outcome) renderOutcome(); // product names may have arrived after the outcome
  }
}

function renderSaleNote(event) {
  const notes = {
    DRAFT: "This sale is not open yet. Come back when it starts.",
    SCHEDULED:
      "You can join now: when the sale starts, everyone who joined early gets a place drawn at random.",
    PAUSED: "The sale is paused. You can still join; the line moves again when it resumes.",
    ENDED: "This sale has ended. Thanks for coming!",
  };
  const note = notes[event.status];
  ui.saleNote.hidden = !note;
  setText(ui.saleNote, note ?? "");
  ui.shopper.hidden = event.status === "ENDED"; // nothing left to join
}

/** Seconds until the event starts, or null when it is not a scheduled start. */
function secondsToStart() {
  const event = state.event;
  if (event?.status !== "SCHEDULED" || !event.startsAt) return null;
  return Math.ceil((Date.parse(event.startsAt) - Date.now()) / 1000);
}

function renderCountdown() {
  const left = secondsToStart();
  ui.countdown.hidden = left === null;
  if (left === null) return;
  setText(ui.countdown, left > 0 ? `in ${formatDuration(left)}` : "starting…");
}

/** Once a second: countdowns, and a refresh when a scheduled start has come. */
function tick() {
  renderCountdown();
  if (state.view === "wait" && state.status === "PREQUEUE" && !state.final) renderWaitNote();
  // Every open page's clock hits zero together: spread the refreshes over two seconds.
  // (A waiting page needs none: its first queue:position says the sale has started.)
  const left = secondsToStart();
  if (left !== null && left <= 0 && !state.startRefreshDone && state.view === "shop") {
    state.startRefreshDone = true;
    setTimeout(refreshEvent, Math.random() * 2000);
  }
  if (left !== null && left > 0) state.startRefreshDone = false;
}

// ---------------------------------------------------------------- products

function renderProducts(products) {
  const seen = new Set();
  products.forEach((product, index) => {
    seen.add(product.sku);
    let card = state.cards.get(product.sku);
    if (!card) {
      card = createCard(product.sku);
      state.cards.set(product.sku, card);
    }
    // Keep the server's order without re-inserting (which would drop focus from a select).
    if (ui.products.children[index] !== card.root)
      ui.products.insertBefore(card.root, ui.products.children[index] ?? null);
    updateCard(card, product);
  });
  for (const [sku, card] of state.cards) {
    if (!seen.has(sku)) {
      card.root.remove();
      state.cards.delete(sku);
    }
  }
  if (products.length === 0) {
    ui.products.replaceChildren(
      h("li", { class: "card empty muted" }, "Nothing is on sale in this event yet."),
    );
  } else {
    ui.products.querySelector(".empty")?.remove();
  }
}

function createCard(sku) {
  const selectId = `quantity-select-${sku}`;
  const card = {
    sku,
    name: h("h2", { class: "product__name" }),
    price: h("p", { class: "product__price" }),
    stock: h("p", { class: "product__stock" }),
    limit: h("p", { class: "field__hint" }),
    select: h("select", { class: "select", id: selectId, "data-testid": `quantity-${sku}` }),
    button: h(
      "button",
      { type: "button", class: "btn btn--primary", "data-testid": `join-${sku}` },
      "Join the line",
    ),
    badge: h("span", { class: "badge badge--danger", "data-testid": `sold-out-${sku}` }, "Sold out"),
    top: null,
    root: null,
  };
  card.top = h("div", { class: "product__top" }, card.name);
  card.root = h(
    "li",
    { class: "card product", "data-testid": `product-${sku}`, "data-sku": sku },
    card.top,
    card.price,
    card.stock,
    h(
      "div",
      { class: "product__actions" },
      h("div", { class: "field" }, h("label", { for: selectId }, "Quantity"), card.select),
      card.button,
    ),
    card.limit,
  );
  card.button.addEventListener("click", () => join(sku));
  return card;
}

function updateCard(card, product) {
  const soldOut = Boolean(product.soldOut);
  setText(card.name, product.name);
  setText(card.price, formatMoney(product.priceCents, currency));
  card.root.classList.toggle("product--sold-out", soldOut);

  // The badge exists only when sold out, so a test's count() and toBeVisible() agree.
  if (soldOut && !card.badge.isConnected) card.top.append(card.badge);
  if (!soldOut && card.badge.isConnected) card.badge.remove();

  let stockText;
  if (state.event?.status === "ENDED") stockText = soldOut ? "Sold out" : "Sales closed";
  else if (soldOut) stockText = "None left";
  else if (product.remaining > 0) stockText = `${formatNumber(product.remaining)} left`;
  else stockText = "All claimed right now — some may come back";
  setText(card.stock, stockText);

  const limit = Math.max(1, Number(product.perUserLimit) || 1);
  setText(card.limit, limit > 1 ? `Up to ${formatNumber(limit)} per shopper` : "1 per shopper");
  const options = Math.min(limit, MAX_QUANTITY_OPTIONS);
  if (card.select.options.length !== options) {
    const keep = Number(card.select.value) || 1;
    card.select.replaceChildren(
      ...Array.from({ length: options }, (_, i) => h("option", { value: i + 1 }, String(i + 1))),
    );
    card.select.value = String(Math.min(keep, options));
  }

  const open = JOINABLE.has(state.event?.status);
  const disabled = soldOut || !open || state.joining;
  card.button.disabled = disabled;
  card.select.disabled = soldOut || !open;
  setAttr(card.button, "aria-label", `Join the line for ${product.name}`);
}

function setJoining(sku, on) {
  state.joining = on;
  for (const card of state.cards.values()) {
    const busy = on && card.sku === sku;
    setText(card.button, busy ? "Joining…" : "Join the line");
    setAttr(card.button, "aria-busy", busy ? "true" : null);
  }
  if (state.event) renderProducts(state.event.products);
}

// ---------------------------------------------------------------- shopper id

function setupUserId() {
  let userId = storage.readJson(USER_KEY);
  if (typeof userId !== "string" || !USER_ID_RE.test(userId)) {
    userId = `shopper-${randomWord(4)}`;
    storage.writeJson(USER_KEY, userId);
  }
  ui.userId.value = userId;
  // Checked while typing only to clear a shown error, and for real on join: an error
  // appearing on blur would shift the layout under the pointer and eat the click.
  ui.userId.addEventListener("input", () => {
    const value = ui.userId.value.trim();
    if (checkUserId(value, { quiet: true })) storage.writeJson(USER_KEY, value);
  });
}

/** Shows or clears the field's error; returns whether the id is valid. */
function checkUserId(value, { quiet = false } = {}) {
  const valid = USER_ID_RE.test(value);
  if (valid || !quiet) {
    setAttr(ui.userId, "aria-invalid", valid ? null : "true");
    ui.userIdError.hidden = valid;
    setText(ui.userIdError, valid ? "" : "Use 1 to 64 letters, digits or . _ : @ - (no spaces).");
  }
  return valid;
}

/** Letters and digits that can't be mistaken for each other (no 0/o, 1/l/i). */
function randomWord(length) {
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

// ---------------------------------------------------------------- joining

/**
 * Joins the line. Safe to retry: the server hands back the open ticket of the same user
 * and product (200) instead of making a second one, so network failures are retried.
 */
async function join(sku, { autoRetried = false, networkTries = 0 } = {}) {
  if (state.joining || state.view !== "shop") return;
  const userId = ui.userId.value.trim();
  if (!checkUserId(userId)) {
    ui.userId.focus();
    return;
  }
  const card = state.cards.get(sku);
  const quantity = Number(card?.select.value) || 1;
  const productName = productNameOf(sku);
  clearTimeout(state.timers.retry);
  if (bannerSource === "join") clearBanner("join");
  setJoining(sku, true);

  try {
    const { data } = await api(`/api/events/${encodeURIComponent(state.eventId)}/tickets`, {
      method: "POST",
      // An event may ask a solved proof-of-work puzzle with the join (shop/pow.js).
      body: { userId, sku, quantity, ...(await proofOfWork(state.eventId)) },
    });
    if (!data?.ticketId || !data?.token)
      throw new ApiError({ code: "INTERNAL", message: "Unexpected answer" });
    // A 200 hands back the open ticket, whose quantity may differ from what is selected now.
    const record = {
      eventId: state.eventId,
      ticketId: data.ticketId,
      token: data.token,
      sku,
      quantity: Number.isInteger(data.quantity) ? data.quantity : quantity,
    };
    saveTicket(record);
    setJoining(sku, false);
    clearBanner();
    enterWait(record, data);
  } catch (err) {
    setJoining(sku, false);
    onJoinError(err, sku, productName, { autoRetried, networkTries });
  }
}

function onJoinError(err, sku, productName, { autoRetried, networkTries }) {
  if (!(err instanceof ApiError)) {
    console.error(err); // a bug of ours, not an answer of the shop
    showBanner(joinErrorMessage(new ApiError({ code: "INTERNAL", message: String(err) })), "join");
    return;
  }
  // Overload: wait as told (Retry-After), then try once more by ourselves.
  if ((err.code === "QUEUE_FULL" || err.code === "RATE_LIMITED") && !autoRetried) {
    const seconds = clamp(err.retryAfterSeconds ?? 5, 1, 60);
    countdownThen(
      seconds,
      (left) => showBanner(joinErrorMessage(err, { productName, retryIn: left }), "join", "warning"),
      () => join(sku, { autoRetried: true }),
    );
    revealBanner();
    return;
  }
  if (err.code === "NETWORK" && networkTries < JOIN_NETWORK_RETRIES) {
    showBanner(joinErrorMessage(err, { productName, retryIn: 0 }), "join", "warning");
    revealBanner();
    state.timers.retry = setTimeout(
      () => join(sku, { autoRetried, networkTries: networkTries + 1 }),
      1500 * (networkTries + 1),
    );
    return;
  }
  showBanner(joinErrorMessage(err, { productName }), "join");
  revealBanner();
  // The event view is likely stale (sold out, ended, product gone): refresh it now.
  if (["SOLD_OUT", "SALE_NOT_OPEN", "NOT_FOUND", "LIMIT_REACHED"].includes(err.code)) refreshEvent();
}

/** Calls render(secondsLeft) each second, then done(). Join buttons stay usable meanwhile. */
function countdownThen(seconds, render, done) {
  clearTimeout(state.timers.retry);
  let left = seconds;
  const step = () => {
    if (state.view !== "shop") return;
    if (left <= 0) {
      done();
      return;
    }
    render(left);
    left -= 1;
    state.timers.retry = setTimeout(step, 1000);
  };
  step();
}

// ---------------------------------------------------------------- the ticket

function readStoredTicket() {
  const t = storage.readJson(ticketKey(state.eventId));
  const valid =
    t && typeof t.ticketId === "string" && typeof t.token === "string" && t.eventId === state.eventId;
  if (!valid && t) storage.remove(ticketKey(state.eventId));
  return valid ? t : null;
}

function saveTicket(record) {
  state.ticket = record;
  storage.writeJson(ticketKey(state.eventId), record);
}

/** Reload or return visit: ask the server where the stored ticket stands. */
async function resumeTicket(attempt = 0) {
  const record = state.ticket;
  if (!record) return;
  try {
    const { data } = await api(`/api/tickets/${encodeURIComponent(record.ticketId)}`, {
      token: record.token,
    });
    if (state.ticket !== record) return;
    clearBanner("resume");
    enterWait(record, data);
  } catch (err) {
    if (state.ticket !== record) return;
    if (err.status === 401 || err.status === 404 || err.status === 400) {
      forgetTicket(
        "Your saved place in line is no longer valid, so it was cleared. Join again to get a place.",
      );
    } else {
      showBanner("Can't reach the shop, retrying… Your place in line is kept.", "resume", "warning");
      setTimeout(() => resumeTicket(attempt + 1), jitter(Math.min(2000 * 2 ** attempt, 15_000)));
    }
  }
}

function enterWait(record, ticket) {
  state.final = false;
  state.outcome = null;
  state.status = null;
  state.position = undefined;
  showView("wait");
  renderWaitProduct();
  applyTicket(ticket);
  if (!state.final) startLive(record);
}

/** Shows a ticket as read from the API (join answer or GET). */
function applyTicket(ticket) {
  if (!ticket || state.final) return;
  if (FINAL.has(ticket.status)) {
    showOutcome(ticket);
    return;
  }
  showWaiting(ticket.status, ticket.position, ticket.etaSeconds);
}

function showChecking() {
  ui.waitWaiting.hidden = false;
  ui.outcome.hidden = true;
  ui.startOver.hidden = true;
  ui.etaLine.hidden = true;
  setText(ui.waitHeadline, "Checking your place in line…");
  setText(ui.waitNote, "");
  renderProgress();
}

function renderWaitProduct() {
  const record = state.ticket;
  if (!record) return;
  const qty = record.quantity > 1 ? ` × ${record.quantity}` : "";
  setText(ui.waitProduct, `Your place in line · ${productNameOf(record.sku)}${qty}`);
}

function showWaiting(status, position, etaSeconds) {
  if (state.final) return;
  state.status = status;
  ui.waitWaiting.hidden = false;
  ui.outcome.hidden = true;
  ui.startOver.hidden = true;
  ui.waitFooter.hidden = false;

  const hasPosition = status === "QUEUED" && Number.isFinite(position);
  if (hasPosition) {
    state.position = position;
    setText(ui.position, String(formatNumber(position)));
    setAttr(ui.position, "data-value", position);
    if (ui.position.parentNode !== ui.waitHeadline) {
      ui.waitHeadline.replaceChildren("You are number ", ui.position, " in line");
    }
    const record = state.ticket;
    if (record && !(record.firstPosition >= 1)) {
      record.firstPosition = position;
      saveTicket(record);
    }
  } else {
    setText(ui.waitHeadline, waitingHeadline(status));
  }

  const showEta = hasPosition && Number.isFinite(etaSeconds);
  ui.etaLine.hidden = !showEta;
  if (showEta) {
    setText(ui.eta, formatEta(etaSeconds));
    setAttr(ui.eta, "data-seconds", etaSeconds);
  }
  renderProgress();
  renderWaitNote();
  scheduleTicketPoll();
}

function renderWaitNote() {
  let note;
  if (state.status === "PREQUEUE") {
    const left = secondsToStart();
    note = prequeueNote(state.event?.startsAt);
    if (left !== null && left > 0) note += ` Starts in ${formatDuration(left)}.`;
  } else if (state.status === "PROCESSING") {
    note = "Reserving your item and taking the payment. This usually takes a few seconds.";
  } else {
    note = "Keep this page open: the line moves by itself and you'll see the result here.";
  }
  setText(ui.waitNote, note);
}

/**
 * progress = 1 − position / positionWhenJoined, never going backwards (positions can
 * jump up, e.g. when the pre-queue is drawn ahead of later joiners).
 */
function renderProgress() {
  const record = state.ticket;
  let progress = record?.progress ?? 0;
  if (state.status === "PROCESSING") progress = 1;
  else if (state.status === "QUEUED" && record?.firstPosition >= 1 && Number.isFinite(state.position)) {
    progress = Math.max(progress, 1 - state.position / record.firstPosition);
  }
  progress = clamp(progress, 0, 1);
  if (record && progress !== record.progress) {
    record.progress = progress;
    saveTicket(record);
  }
  const percent = Math.round(progress * 100);
  setAttr(ui.progress, "aria-valuenow", percent);
  setAttr(
    ui.progress,
    "aria-valuetext",
    state.status === "QUEUED" && Number.isFinite(state.position)
      ? `${percent}% — number ${state.position} in line`
      : `${percent}%`,
  );
  ui.progress.style.setProperty("--progress", `${percent}%`);
}

function showOutcome({ status, reason, orderId }) {
  if (state.final) return;
  state.final = true;
  state.status = status;
  state.outcome = { status, reason, orderId };
  stopLive();
  clearTimeout(state.timers.ticket);
  ui.connection.hidden = true;
  renderOutcome();
}

function renderOutcome() {
  const { status, reason, orderId } = state.outcome;
  const copy = outcomeCopy(status, reason, productNameOf(state.ticket?.sku));
  ui.waitWaiting.hidden = true;
  ui.waitFooter.hidden = true;
  ui.outcome.hidden = false;
  ui.outcome.className = `outcome outcome--${copy.tone}`;
  setAttr(ui.outcome, "data-status", status);
  setAttr(ui.outcome, "data-reason", reason || null);
  setText(ui.outcomeIcon, copy.icon);
  setText(ui.outcomeTitle, copy.title);
  setText(ui.outcomeText, copy.text);
  // A declined payment also leaves an order record: call it a reference, not an order.
  ui.outcomeOrder.hidden = !orderId;
  setText(ui.orderLabel, status === "CONFIRMED" ? "Order id" : "Reference");
  setText(ui.orderId, orderId ?? "");
  ui.startOver.hidden = false;
}

// ---------------------------------------------------------------- live updates

function startLive(record) {
  stopLive();
  state.connected = false;
  state.live = connectTicket(record, {
    onPosition: (p) => {
      // Positions are only sent once the line moves, so a scheduled sale has started:
      // say so without every waiting page asking the server at the same moment.
      if (state.event?.status === "SCHEDULED") {
        state.event = { ...state.event, status: "LIVE" };
        renderEvent();
      }
      // A late position must not undo "it's your turn".
      if (state.status !== "PROCESSING") showWaiting("QUEUED", p.position, p.etaSeconds);
    },
    onResult: (r) => showOutcome(r),
    onUnauthorized: () =>
      forgetTicket(
        "We couldn't confirm your place in line (its pass may have expired), so it was cleared. Join again: if your place is still open, you get it back.",
      ),
    onConnectionChange: (connected) => {
      state.connected = connected;
      ui.connection.hidden = connected || state.final;
      scheduleTicketPoll();
    },
    onReconnect: () => pollTicket(),
  });
  scheduleTicketPoll();
}

function stopLive() {
  state.live?.close();
  state.live = null;
  state.connected = false;
}

/**
 * Reading the ticket over HTTP is the fallback: when Socket.IO is missing or down, and at
 * the front of the line, because the socket says when your turn ends, not when it starts.
 */
function scheduleTicketPoll() {
  clearTimeout(state.timers.ticket);
  if (state.final || !state.ticket || state.view !== "wait") return;
  let delay = null;
  if (!state.live || !state.connected) delay = TICKET_POLL_MS;
  else if (state.status === "QUEUED" && state.position <= 1) delay = FRONT_POLL_MS;
  if (delay !== null) state.timers.ticket = setTimeout(pollTicket, jitter(delay));
}

async function pollTicket() {
  const record = state.ticket;
  if (!record || state.final) return;
  try {
    const { data } = await api(`/api/tickets/${encodeURIComponent(record.ticketId)}`, {
      token: record.token,
    });
    if (state.ticket !== record) return;
    if (!state.live) ui.connection.hidden = true;
    applyTicket(data);
  } catch (err) {
    if (state.ticket !== record) return;
    if (err.status === 401 || err.status === 404) {
      forgetTicket("Your place in line is no longer valid, so it was cleared. Join again to get a place.");
      return;
    }
    if (!state.live) ui.connection.hidden = false; // the polling fallback is our only link
  }
  scheduleTicketPoll();
}

// ---------------------------------------------------------------- leaving

function forgetTicket(message) {
  stopLive();
  clearTimeout(state.timers.ticket);
  storage.remove(ticketKey(state.eventId));
  state.ticket = null;
  state.final = false;
  state.outcome = null;
  state.status = null;
  state.position = undefined;
  ui.connection.hidden = true;
  showView("shop");
  if (message) showBanner(message, "ticket", "warning");
  refreshEvent();
}

function startOver() {
  clearBanner();
  forgetTicket();
  ui.eventName.scrollIntoView?.({ block: "start" });
}

// ---------------------------------------------------------------- helpers

function productNameOf(sku) {
  return state.event?.products.find((p) => p.sku === sku)?.name ?? (sku ? `product ${sku}` : "this product");
}

function clamp(n, min, max) {
  return Math.min(max, Math.max(min, n));
}

/** ±20 %, so thousands of open pages do not poll in lockstep. */
function jitter(ms) {
  return ms * (0.8 + Math.random() * 0.4);
}

init();
