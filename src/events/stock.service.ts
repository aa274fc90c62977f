// Stock adjustments of a product while its sale may be running (the stock rules of
// shared API.md). Redis and PostgreSQL change together: the product's row is locked, the
// Lua step checks and applies the rule against the live counters, then the row and an
// ADJUST ledger entry are written in the same transaction. When PostgreSQL does not
// commit, the Lua step is undone.
import type { Deps } from "../deps.js";
import { AppError, LUA_CODES, luaError, notFound } from "../errors.js";
import { keys } from "../redis/keys.js";
import type { ProductView } from "./event.schemas.js";

interface EventLockRow {
  status: string;
  firstLiveAt: Date | null;
  perUserLimit: number;
}

interface ProductLockRow {
  name: string;
  priceCents: number;
  total: number;
  liveTotal: number | null;
  perUserLimit: number | null;
}

interface Applied {
  delta: number;
  remaining: number;
  sold: number;
  reserved: number;
}

/** Sets a product's total within the stock rules; answers the product with its live counters. */
export async function adjustStock(
  deps: Deps,
  eventId: string,
  sku: string,
  newTotal: number,
): Promise<ProductView> {
  const log = deps.log.child({ eventId, sku });
  const stockKey = keys.stock(eventId, sku);
  let applied: Applied | undefined;
  try {
    const view = await deps.prisma.$transaction(
      async (tx) => {
        // Event first, then product: the lifecycle transitions lock in the same order. The
        // share lock keeps the event from ending (or first going LIVE) under this change.
        const [event] = await tx.$queryRaw<EventLockRow[]>`
          SELECT "status"::text AS "status", "firstLiveAt", "perUserLimit"
          FROM "Event" WHERE "id" = ${eventId} FOR SHARE`;
        if (!event) throw notFound("event", { eventId });
        if (event.status === "ENDED") {
          throw new AppError({
            code: "INVALID_STATE",
            message: "The stock of an ended event cannot change",
            details: { status: event.status },
          });
        }
        // Serializes adjustments of one product across every API process.
        const [product] = await tx.$queryRaw<ProductLockRow[]>`
          SELECT "name", "priceCents", "total", "liveTotal", "perUserLimit"
          FROM "Product" WHERE "eventId" = ${eventId} AND "sku" = ${sku} FOR UPDATE`;
        if (!product) throw notFound("product", { eventId, sku });

        // Before the first LIVE there is no ceiling; afterwards the total of that moment.
        const ceiling = event.firstLiveAt === null ? -1 : (product.liveTotal ?? product.total);
        const reply = await deps.redis.adjustStock(stockKey, newTotal, ceiling);
        if (typeof reply === "number") {
          if (reply === LUA_CODES.NO_PRODUCT) {
            throw new AppError({
              code: "INVALID_STATE",
              message: "The event has no live stock in Redis; reconcile it first",
              details: { eventId, sku },
            });
          }
          throw luaError(reply, { eventId, sku });
        }
        // Both answers share their tail: {code, delta | min, remaining | max, sold, reserved, total}.
        const [code, x = 0, y = 0, sold = 0, reserved = 0, current = 0] = reply.map(Number);
        if (code === LUA_CODES.STOCK_RULE) {
          throw stockRule({ asked: newTotal, min: x, max: y, sold, reserved, current });
        }
        applied = { delta: x, remaining: y, sold, reserved };

        await tx.product.update({ where: { eventId_sku: { eventId, sku } }, data: { total: newTotal } });
        if (applied.delta !== 0) {
          await tx.ledgerEntry.create({
            data: { eventId, sku, reason: "ADJUST", quantity: applied.delta, reference: "admin" },
          });
        }
        return {
          sku,
          name: product.name,
          priceCents: product.priceCents,
          perUserLimit: product.perUserLimit ?? event.perUserLimit,
          total: newTotal,
          remaining: applied.remaining,
          reserved: applied.reserved,
          sold: applied.sold,
        } satisfies ProductView;
      },
      { maxWait: 5_000, timeout: 10_000 },
    );
    log.info({ total: newTotal, delta: applied?.delta }, "stock adjusted");
    return view;
  } catch (err) {
    if (applied && applied.delta !== 0) await undo(deps, stockKey, applied.delta, log);
    throw err;
  }
}

function stockRule(r: {
  asked: number;
  min: number;
  max: number;
  sold: number;
  reserved: number;
  current: number;
}): AppError {
  const max = r.max < 0 ? null : r.max;
  const why =
    r.asked < r.min
      ? `it cannot go below what is sold (${r.sold}) and reserved (${r.reserved})`
      : `it cannot go above ${max}, the total when the sale first went live`;
  return new AppError({
    code: "STOCK_RULE",
    message: `A total of ${r.asked} breaks a stock rule: ${why}`,
    details: { min: r.min, max, sold: r.sold, reserved: r.reserved, current: r.current },
  });
}

/**
 * Takes an applied change back out of Redis after PostgreSQL did not commit it. Units the
 * change freed may have been reserved meanwhile; they are not taken from their buyers, so
 * the total then stays above PostgreSQL's until the reconciler settles it.
 */
async function undo(deps: Deps, stockKey: string, delta: number, log: Deps["log"]): Promise<void> {
  try {
    const reply = await deps.redis.adjustStock(stockKey, -delta, -1, "by");
    const undone = Array.isArray(reply) ? Number(reply[1]) : Number.NaN;
    if (undone === -delta) log.warn({ delta }, "stock adjustment not committed: undone in Redis");
    else log.error({ delta, undone }, "stock adjustment only partly undone in Redis; reconcile the event");
  } catch (err) {
    log.error({ err, delta }, "could not undo a stock adjustment in Redis; reconcile the event");
  }
}
