// The outside contract both pages rely on (shared API.md): the HTTP paths, the Socket.IO
// namespaces and event names, and the status names. One place, so a renamed route or event
// is one edit here rather than a hunt through the views.

const seg = (value) => encodeURIComponent(value ?? "");

/** HTTP paths of the API, as the pages call them. */
export const paths = {
  event: (eventId) => `/api/events/${seg(eventId)}`,
  tickets: (eventId) => `/api/events/${seg(eventId)}/tickets`,
  ticket: (ticketId) => `/api/tickets/${seg(ticketId)}`,
  adminEvents: "/api/admin/events",
  /** Any admin path answers 401 to a wrong token before it looks the id up. */
  adminTokenCheck: "/api/admin/events/_token-check",
  adminEvent: (eventId) => `/api/admin/events/${seg(eventId)}`,
  /** start, pause, resume, stop */
  adminAction: (eventId, action) => `/api/admin/events/${seg(eventId)}/${action}`,
  adminStats: (eventId) => `/api/admin/events/${seg(eventId)}/stats`,
  adminOrders: (eventId, query) => `/api/admin/events/${seg(eventId)}/orders?${query}`,
  adminLedger: (eventId, query) => `/api/admin/events/${seg(eventId)}/ledger?${query}`,
  adminStock: (eventId, sku) => `/api/admin/events/${seg(eventId)}/products/${seg(sku)}/stock`,
  adminReconcile: (eventId) => `/api/admin/events/${seg(eventId)}/reconcile`,
  /** Purchase jobs that failed for good, and the safe retry of one (its ticket queued again). */
  adminDeadLetters: (eventId) => `/api/admin/events/${seg(eventId)}/dead-letters`,
  adminDeadLetterRetry: (eventId, jobId) =>
    `/api/admin/events/${seg(eventId)}/dead-letters/${seg(jobId)}/retry`,
  /** Refunds by status (FAILED: the refunds' dead letters), and the retry of a FAILED one. */
  adminRefunds: (query) => `/api/admin/refunds?${query}`,
  adminRefundRetry: (ticketId) => `/api/admin/refunds/${seg(ticketId)}/retry`,
  /** Stocks (v2): list and create, one, its lifecycle (confirm, sync, close), its total and ledger. */
  adminStocks: "/api/admin/stocks",
  adminStockAction: (stockId, action) => `/api/admin/stocks/${seg(stockId)}/${action}`,
  adminStockTotal: (stockId) => `/api/admin/stocks/${seg(stockId)}/total`,
  adminStockLedger: (stockId, query) => `/api/admin/stocks/${seg(stockId)}/ledger?${query}`,
  /** Coupons (v2): list and create, and confirm, sync, close of one. */
  adminCoupons: "/api/admin/coupons",
  adminCouponAction: (couponId, action) => `/api/admin/coupons/${seg(couponId)}/${action}`,
  /** Service keys (v2): list and create; DELETE one revokes it. */
  adminServiceKeys: "/api/admin/service-keys",
  adminServiceKey: (keyId) => `/api/admin/service-keys/${seg(keyId)}`,
  /** The BullMQ dashboard (read-only; its own sign-in form sets a session cookie). */
  queuesDashboard: () => "/admin/queues",
  /** The proof-of-work puzzle an event may ask with a join. */
  challenge: (eventId) => `/api/events/${seg(eventId)}/challenge`,
  /** The shopper's page of an event. */
  shopPage: (eventId) => `/?event=${seg(eventId)}`,
  // The catalog: products, locations, their stock, receipts, transfers and orders by channel.
  adminProducts: "/api/admin/products",
  adminLocations: "/api/admin/locations",
  adminLocationStock: (locationId) => `/api/admin/locations/${seg(locationId)}/stock`,
  adminReceipts: (locationId) => `/api/admin/locations/${seg(locationId)}/receipts`,
  adminLocationLedger: (locationId, query) => `/api/admin/locations/${seg(locationId)}/ledger?${query}`,
  adminTransfers: "/api/admin/transfers",
  adminCatalogOrders: (query) => `/api/admin/catalog-orders?${query}`,
};

export const LOCATION_KINDS = ["WAREHOUSE", "STORE"];
export const ORDER_CHANNELS = ["ONLINE", "OFFLINE"];

/** Socket.IO namespaces and the events the pages listen to. */
export const live = {
  shopperNamespace: "/",
  adminNamespace: "/admin",
  position: "queue:position",
  result: "ticket:result",
  stats: "event:stats",
};

export const EVENT_STATUSES = ["DRAFT", "SCHEDULED", "LIVE", "PAUSED", "ENDED"];
/** A shopper may join in these. */
export const JOINABLE = new Set(["SCHEDULED", "LIVE", "PAUSED"]);
/** A sale runs in these: figures stream, stock moves. */
export const RUNNING = new Set(["LIVE", "PAUSED"]);
/** Refund statuses (the API's RefundStatus); FAILED ones can be retried. */
export const REFUND_STATUSES = ["PENDING", "REFUNDED", "NOT_CHARGED", "NOT_NEEDED", "FAILED"];
/** A ticket in one of these has its outcome. */
export const FINAL_TICKET = new Set(["CONFIRMED", "REJECTED", "FAILED", "CANCELLED"]);
/** Which statuses each admin action may start from (the API's TRANSITIONS). */
export const ACTIONS_FROM = {
  start: ["DRAFT", "SCHEDULED"],
  pause: ["LIVE"],
  resume: ["PAUSED"],
  stop: ["DRAFT", "SCHEDULED", "LIVE", "PAUSED"],
};

/** Stock and coupon statuses (v2), and the lifecycle actions each may start from. */
export const STOCK_STATUSES = ["DRAFT", "LIVE", "CLOSED"];
export const STOCK_ACTIONS_FROM = { confirm: ["DRAFT"], sync: ["LIVE"], close: ["DRAFT", "LIVE"] };
/** The scopes a service key may carry without an id (and the two that take one). */
export const SERVICE_SCOPES = ["stocks", "coupons", "orders"];
export const SERVICE_SCOPE_PATTERNS = ["stock:<stockId>", "store:<locationId>"];

export const EVENT_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
export const USER_ID_RE = /^[A-Za-z0-9._:@-]{1,64}$/;
