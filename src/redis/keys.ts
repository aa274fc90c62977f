// Every Redis key name of dropqueue is built here. All keys of one event share the
// hash tag {ev:<eventId>}, so each script touching an event stays in one Cluster slot.
// Scripts that sweep many tickets build `ticket:<id>` and `waiting:<sku>` keys from
// `eventPrefix` themselves (as BullMQ does with its prefix); keep those suffixes in step.

export const eventPrefix = (eventId: string) => `dq:{ev:${eventId}}:`;

/**
 * The group of an event's product stocks. Their keys share the event's own hash tag
 * {ev:<eventId>}, not {stk:...}: the sale's steps touch the event's queue, tickets and its
 * products' stocks in one step.
 */
const EVENT_GROUP = "ev:";

/**
 * Prefix of a stock group's keys (src/stock/): the stocks of one group share the hash tag
 * {stk:<group>}, so one step may take several of them (an order's lines at one location).
 */
export const stockPrefix = (group: string) =>
  group.startsWith(EVENT_GROUP)
    ? `${eventPrefix(group.slice(EVENT_GROUP.length))}stk:`
    : `dq:{stk:${group}}:`;

/** Where a core stock's live state lives: its group and its id. */
export interface StockAddress {
  group: string;
  stockId: string;
}

/**
 * An event product's core stock (src/stock/): its id (`<eventId>.<sku>`; an event id has no
 * ".", so the two never run together) and its group, the event's.
 */
export const eventStock = (eventId: string, sku: string): StockAddress => ({
  group: `${EVENT_GROUP}${eventId}`,
  stockId: `${eventId}.${sku}`,
});

/** The three keys of a core stock's live state (lua/lib/stock.lua). */
function stockKeys(s: StockAddress) {
  const base = `${stockPrefix(s.group)}${s.stockId}`;
  // `held` is built by the scripts from the refs key (lua/lib/stock.lua stock_held): keep in step.
  return { counters: base, users: `${base}:users`, refs: `${base}:refs`, held: `${base}:refs:held` };
}

export const keys = {
  /** Hash: status, rate, limit, pfr, capacity — what the Lua steps need to know of the event. */
  meta: (eventId: string) => `${eventPrefix(eventId)}meta`,
  /**
   * A product's stock is a core stock (`eventStock`): its counters hash (total, remaining,
   * reserved, sold, limit, and the sale's price), as `stockCounters` names it.
   */
  stock: (eventId: string, sku: string) => stockKeys(eventStock(eventId, sku)).counters,
  /** The product's core users hash: userId → units reserved or bought (the per-user limit). */
  held: (eventId: string, sku: string) => stockKeys(eventStock(eventId, sku)).users,
  /**
   * The product's core refs hash: ticketId → "status|quantity|userId" of each reservation's
   * take (HELD while its purchase is in flight, then CONFIRMED or RELEASED).
   */
  takes: (eventId: string, sku: string) => stockKeys(eventStock(eventId, sku)).refs,
  /** Hash per product: userId → the user's open ticket (join is idempotent while it is open). */
  open: (eventId: string, sku: string) => `${eventPrefix(eventId)}open:${sku}`,
  /** Sorted set per product: tickets not yet decided, scored by their join sequence. */
  waiting: (eventId: string, sku: string) => `${eventPrefix(eventId)}waiting:${sku}`,
  /** List: tickets that joined a SCHEDULED event, in join order, until the start shuffles them. */
  prequeue: (eventId: string) => `${eventPrefix(eventId)}prequeue`,
  /** Hash: the ticket (id, user, sku, qty, status, seq, reason, orderId, payment). */
  ticket: (eventId: string, ticketId: string) => `${eventPrefix(eventId)}ticket:${ticketId}`,
  /** Hash: joins, waiting, processing, confirmed, rejected:*, failed:*, cancelled, seq, served. */
  stats: (eventId: string) => `${eventPrefix(eventId)}stats`,
  /** Hash: unix second → tickets admitted in it (the measured outflow). */
  admitted: (eventId: string) => `${eventPrefix(eventId)}admitted`,
  /** Counter per client and event: joins in the current one-second window (the per-client join limit). */
  clientJoins: (eventId: string, client: string) => `${eventPrefix(eventId)}rl:join:${client}`,
  /**
   * The purchase queue's rate-limiter counter (BullMQ's own key, `<prefix>:<queue>:limiter`:
   * jobs admitted in the current window, expiring when it ends). Read, never written, by us.
   */
  admissionWindow: (eventId: string) => `${queuePrefix(eventId)}:purchase:limiter`,
  /** String: held while one process rebuilds the event's state from PostgreSQL. */
  rebuildLock: (eventId: string) => `${eventPrefix(eventId)}rebuild-lock`,
  /** Pattern matching every key of an event, its queue's included (what archiving deletes). */
  everyKeyOf: (eventId: string) => `${queuePrefix(eventId)}*`,
  /** Set of event ids that have Redis state (what workers and the ticker look at). */
  activeEvents: () => "dq:events",
  /**
   * Pub/sub channel: an event id joined `activeEvents` (its state was written). Worker
   * processes start its purchase worker at once rather than at their next look at the set.
   */
  eventsChanged: () => "dq:events:changed",
  /** String: set for RECONCILE_EVERY_MS by the pass that reconciles (one per period in all). */
  reconcileGate: () => "dq:reconcile-gate",
  /** BullMQ prefix of the maintenance queue (the convergence loop's scheduler). */
  maintenancePrefix: () => "{dq}",
  /**
   * Hash per core stock: status, total (-1: unlimited), remaining, reserved (held), sold
   * (taken), limit, startsAt, endsAt, epoch.
   */
  stockCounters: (s: StockAddress) => stockKeys(s).counters,
  /** Hash per core stock: userId → units the user holds or took (the per-user limit). */
  stockUsers: (s: StockAddress) => stockKeys(s).users,
  /** Hash per core stock: reference → "status|quantity|userId" of every take it knows. */
  stockRefs: (s: StockAddress) => stockKeys(s).refs,
  /** Set per core stock: the references HELD now (in flight), kept by lua/lib/stock.lua. */
  stockHeld: (s: StockAddress) => stockKeys(s).held,
  /** String: held while one process builds a stock group's state from PostgreSQL. */
  stockBuildLock: (s: StockAddress) => `${stockPrefix(s.group)}${s.stockId}:build-lock`,
  /** Pub/sub channel on which final ticket outcomes are published. */
  outcomesChannel: () => "dq:outcomes",
  /**
   * Counter bumped by every service key revocation: an API process uses its cached key
   * lookups only while this is what it was when they were made (src/auth/service-keys.ts).
   */
  serviceKeysEpoch: () => "dq:service-keys:epoch",
  /** Key prefix of a per-client request counter (rate-limiter-flexible appends `:<client>`). */
  rateLimit: (scope: string) => `dq:rl:${scope}`,
} as const;

/** BullMQ prefix of an event's queues: hash-tagged like the event's own keys. */
export const queuePrefix = (eventId: string) => `dq:{ev:${eventId}}`;

/**
 * BullMQ prefix of the lifecycle queue (scheduled starts and ends), in one hash slot. One
 * per database (`scope`): only workers on the database that holds an event may run its jobs.
 */
export const lifecycleQueuePrefix = (scope: string) => `dq:{lifecycle:${scope}}`;
