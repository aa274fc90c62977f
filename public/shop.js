// The shopper's waiting page (index.html): shows a sale event and its products, lets a
// shopper join the line for one product, then follows that ticket live until its outcome.
//
// Two views share the page, each its own module: the shop (shop/catalog.js: the event and
// its products, polled every few seconds; shop/join.js) and the wait (shop/wait.js: the
// held ticket, followed over Socket.IO). This file only reads the event id and wires them.

import { EVENT_ID_RE } from "./lib/contract.js";
import { $ } from "./lib/dom.js";
import { createBanner } from "./shop/banner.js";
import { createCatalog } from "./shop/catalog.js";
import { createJoin } from "./shop/join.js";
import { setupShopperId } from "./shop/shopper-id.js";
import { createWait } from "./shop/wait.js";

const currency = document.querySelector('meta[name="dropqueue:currency"]')?.content || "USD";

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

function init() {
  const eventId = readEventId();
  // The hash form (#<id>) changes without a reload: start over cleanly when it does.
  window.addEventListener("hashchange", () => {
    if (!new URLSearchParams(window.location.search).has("event")) window.location.reload();
  });

  const banner = createBanner($("error"));
  const views = { shop: $("shop-view"), wait: $("wait-view") };
  /** "shop" | "wait" */
  let view = "shop";

  const catalog = createCatalog({
    eventId,
    currency,
    banner,
    isShopView: () => view === "shop",
    onJoin: (sku) => join.join(sku),
    onRendered: () => {
      if (view === "wait") wait.onEventRendered();
    },
  });
  if (!eventId || !EVENT_ID_RE.test(eventId)) {
    catalog.showNoEvent(Boolean(eventId));
    return;
  }

  const showView = (next) => {
    view = next;
    views.shop.hidden = next !== "shop";
    views.wait.hidden = next !== "wait";
    if (next === "shop") catalog.schedulePoll();
    else catalog.stopPolling();
  };
  const wait = createWait({
    eventId,
    catalog,
    banner,
    isWaitView: () => view === "wait",
    onShow: () => showView("wait"),
    onLeave: (message) => {
      showView("shop");
      if (message) banner.show(message, "ticket", "warning");
      catalog.refresh();
    },
  });
  const join = createJoin({
    eventId,
    catalog,
    shopperId: setupShopperId(),
    banner,
    isShopView: () => view === "shop",
    onJoined: (record, ticket) => wait.joined(record, ticket),
  });

  wait.startOverLink(() => {
    banner.clear();
    wait.forget();
    catalog.scrollIntoView();
  });
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && catalog.shouldPoll()) catalog.refresh();
  });
  setInterval(() => {
    catalog.tick();
    if (view === "wait") wait.tick();
  }, 1000);

  if (!wait.resumeStored()) showView("shop");
  catalog.refresh();
}

init();
