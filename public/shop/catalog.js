// The shop view's event and its products: the event is polled every few seconds while the
// shop view shows (backing off while the shop can't be reached), its status, countdown and
// note shown, and one card per product with its quantity select and join button.
import { ApiError, api } from "../lib/api.js";
import { JOINABLE, paths } from "../lib/contract.js";
import { $, h, setAttr, setText } from "../lib/dom.js";
import { formatDuration, formatMoney, formatNumber } from "../lib/format.js";
import { jitter } from "../lib/timing.js";
import { eventStatusWords } from "./messages.js";

const EVENT_POLL_MS = 3000;
const EVENT_POLL_MAX_MS = 15_000; // backoff ceiling while the shop can't be reached
const MAX_QUANTITY_OPTIONS = 10;

const SALE_NOTES = {
  DRAFT: "This sale is not open yet. Come back when it starts.",
  SCHEDULED:
    "You can join now: when the sale starts, everyone who joined early gets a place drawn at random.",
  PAUSED: "The sale is paused. You can still join; the line moves again when it resumes.",
  ENDED: "This sale has ended. Thanks for coming!",
};

/**
 * @param {{
 *   eventId: string,
 *   currency: string,
 *   banner: ReturnType<import("./banner.js").createBanner>,
 *   isShopView: () => boolean,
 *   onJoin: (sku: string) => void,
 *   onRendered: () => void,
 * }} opts onRendered: after each render of a newly read event (the wait view names products from it)
 */
export function createCatalog({ eventId, currency, banner, isShopView, onJoin, onRendered }) {
  const ui = {
    eventName: $("event-name"),
    eventStatus: $("event-status"),
    countdown: $("countdown"),
    saleNote: $("sale-note"),
    shopper: $("shopper"),
    products: $("products"),
  };
  /** Last GET /api/events/:id answer. */
  let event = null;
  /** sku → {root, top, name, price, stock, limit, select, button, badge} */
  const cards = new Map();
  let joiningSku = null;
  let failures = 0;
  let inFlight = false;
  let missing = false;
  let startRefreshDone = false;
  let timer = 0;

  function shouldPoll() {
    if (missing || document.hidden) return false;
    if (!event) return true; // the wait view needs it once too (names, start time)
    return isShopView() && event.status !== "ENDED";
  }

  function schedulePoll(delay) {
    clearTimeout(timer);
    if (!shouldPoll()) return;
    const base = delay ?? Math.min(EVENT_POLL_MS * 2 ** failures, EVENT_POLL_MAX_MS);
    timer = setTimeout(refresh, jitter(base));
  }

  async function refresh() {
    if (inFlight) return;
    inFlight = true;
    clearTimeout(timer);
    try {
      const { data } = await api(paths.event(eventId));
      if (!data || !Array.isArray(data.products)) {
        throw new ApiError({ code: "INTERNAL", message: "Unexpected answer" });
      }
      event = data;
      failures = 0;
      banner.clear("event");
      render();
    } catch (err) {
      failures = Math.min(failures + 1, 4);
      if (err.code === "NOT_FOUND") {
        missing = true;
        setText(ui.eventName, "Sale not found");
        ui.eventStatus.hidden = true;
        ui.products.replaceChildren();
        banner.show("We couldn't find this sale. Please check the link you followed.", "event");
      } else if (err.code === "NETWORK") {
        banner.show("Can't reach the shop, retrying…", "event", "warning");
      } else {
        banner.show("The shop is having trouble right now, retrying…", "event", "warning");
      }
    } finally {
      inFlight = false;
    }
    schedulePoll();
  }

  function render() {
    setText(ui.eventName, event.name);
    document.title = `${event.name} — dropqueue`;
    const { words, tone } = eventStatusWords(event);
    ui.eventStatus.hidden = false;
    setText(ui.eventStatus, words);
    ui.eventStatus.className = `pill pill--${tone}`;
    setAttr(ui.eventStatus, "data-status", event.status);
    renderCountdown();

    const note = SALE_NOTES[event.status];
    ui.saleNote.hidden = !note;
    setText(ui.saleNote, note ?? "");
    ui.shopper.hidden = event.status === "ENDED"; // nothing left to join
    renderProducts();
    onRendered();
  }

  /** Seconds until the event starts, or null when it is not a scheduled start. */
  function secondsToStart() {
    if (event?.status !== "SCHEDULED" || !event.startsAt) return null;
    return Math.ceil((Date.parse(event.startsAt) - Date.now()) / 1000);
  }

  function renderCountdown() {
    const left = secondsToStart();
    ui.countdown.hidden = left === null;
    if (left === null) return;
    setText(ui.countdown, left > 0 ? `in ${formatDuration(left)}` : "starting…");
  }

  function renderProducts() {
    const products = event?.products ?? [];
    const seen = new Set();
    products.forEach((product, index) => {
      seen.add(product.sku);
      let card = cards.get(product.sku);
      if (!card) {
        card = createCard(product.sku);
        cards.set(product.sku, card);
      }
      // Keep the server's order without re-inserting (which would drop focus from a select).
      if (ui.products.children[index] !== card.root)
        ui.products.insertBefore(card.root, ui.products.children[index] ?? null);
      updateCard(card, product);
    });
    for (const [sku, card] of cards) {
      if (!seen.has(sku)) {
        card.root.remove();
        cards.delete(sku);
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
    card.button.addEventListener("click", () => onJoin(sku));
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
    if (event?.status === "ENDED") stockText = soldOut ? "Sold out" : "Sales closed";
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

    const open = JOINABLE.has(event?.status);
    card.button.disabled = soldOut || !open || joiningSku !== null;
    card.select.disabled = soldOut || !open;
    setAttr(card.button, "aria-label", `Join the line for ${product.name}`);
  }

  return {
    refresh,
    schedulePoll,
    stopPolling: () => clearTimeout(timer),
    shouldPoll,
    secondsToStart,
    get event() {
      return event;
    },
    productName(sku) {
      return event?.products.find((p) => p.sku === sku)?.name ?? (sku ? `product ${sku}` : "this product");
    },
    quantityOf(sku) {
      return Number(cards.get(sku)?.select.value) || 1;
    },
    get joining() {
      return joiningSku !== null;
    },
    /** Marks the join of `sku` in progress (null: none): every button waits meanwhile. */
    setJoining(sku) {
      joiningSku = sku;
      for (const card of cards.values()) {
        const busy = sku !== null && card.sku === sku;
        setText(card.button, busy ? "Joining…" : "Join the line");
        setAttr(card.button, "aria-busy", busy ? "true" : null);
      }
      if (event) renderProducts();
    },
    /** A queue:position says a scheduled sale has started: show it without asking the server. */
    markStarted() {
      if (event?.status !== "SCHEDULED") return;
      event = { ...event, status: "LIVE" };
      render();
    },
    /** Once a second: the countdown, and a refresh when a scheduled start has come. */
    tick() {
      renderCountdown();
      // Every open page's clock hits zero together: spread the refreshes over two seconds.
      // (A waiting page needs none: its first queue:position says the sale has started.)
      const left = secondsToStart();
      if (left !== null && left <= 0 && !startRefreshDone && isShopView()) {
        startRefreshDone = true;
        setTimeout(refresh, Math.random() * 2000);
      }
      if (left !== null && left > 0) startRefreshDone = false;
    },
    showNoEvent(hadId) {
      setText(ui.eventName, "No sale selected");
      ui.eventStatus.hidden = true;
      banner.show(
        hadId
          ? "This sale link doesn't look right. Please open the link from the shop again."
          : "Open this page from the shop's link to a sale (it looks like /?event=<sale id>).",
        "no-event",
        "info",
      );
    },
    scrollIntoView() {
      ui.eventName.scrollIntoView?.({ block: "start" });
    },
  };
}
