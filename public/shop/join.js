// Joining the line for a product. Safe to retry: the server hands back the open ticket of
// the same user and product (200) instead of making a second one, so network failures are
// retried, and an overloaded shop's Retry-After is waited out once by the page itself.
import { ApiError, api } from "../lib/api.js";
import { paths } from "../lib/contract.js";
import { clamp } from "../lib/timing.js";
import { joinErrorMessage } from "./messages.js";
import { proofOfWork } from "./pow.js";

const JOIN_NETWORK_RETRIES = 3;

/**
 * @param {{
 *   eventId: string,
 *   catalog: ReturnType<import("./catalog.js").createCatalog>,
 *   shopperId: ReturnType<import("./shopper-id.js").setupShopperId>,
 *   banner: ReturnType<import("./banner.js").createBanner>,
 *   isShopView: () => boolean,
 *   onJoined: (record: object, ticket: object) => void,
 * }} opts
 */
export function createJoin({ eventId, catalog, shopperId, banner, isShopView, onJoined }) {
  let retryTimer = 0;

  async function join(sku, { autoRetried = false, networkTries = 0 } = {}) {
    if (catalog.joining || !isShopView()) return;
    const userId = shopperId.valid();
    if (userId === null) return;
    const quantity = catalog.quantityOf(sku);
    const productName = catalog.productName(sku);
    clearTimeout(retryTimer);
    if (banner.source === "join") banner.clear("join");
    catalog.setJoining(sku);

    try {
      const { data } = await api(paths.tickets(eventId), {
        method: "POST",
        // An event may ask a solved proof-of-work puzzle with the join (shop/pow.js).
        body: { userId, sku, quantity, ...(await proofOfWork(eventId)) },
      });
      if (!data?.ticketId || !data?.token)
        throw new ApiError({ code: "INTERNAL", message: "Unexpected answer" });
      // A 200 hands back the open ticket, whose quantity may differ from what is selected now.
      const record = {
        eventId,
        ticketId: data.ticketId,
        token: data.token,
        sku,
        quantity: Number.isInteger(data.quantity) ? data.quantity : quantity,
      };
      catalog.setJoining(null);
      banner.clear();
      onJoined(record, data);
    } catch (err) {
      catalog.setJoining(null);
      onError(err, sku, productName, { autoRetried, networkTries });
    }
  }

  function onError(err, sku, productName, { autoRetried, networkTries }) {
    if (!(err instanceof ApiError)) {
      console.error(err); // a bug of ours, not an answer of the shop
      banner.show(joinErrorMessage(new ApiError({ code: "INTERNAL", message: String(err) })), "join");
      return;
    }
    // Overload: wait as told (Retry-After), then try once more by ourselves.
    if ((err.code === "QUEUE_FULL" || err.code === "RATE_LIMITED") && !autoRetried) {
      const seconds = clamp(err.retryAfterSeconds ?? 5, 1, 60);
      countdownThen(
        seconds,
        (left) => banner.show(joinErrorMessage(err, { productName, retryIn: left }), "join", "warning"),
        () => join(sku, { autoRetried: true }),
      );
      banner.reveal();
      return;
    }
    if (err.code === "NETWORK" && networkTries < JOIN_NETWORK_RETRIES) {
      banner.show(joinErrorMessage(err, { productName, retryIn: 0 }), "join", "warning");
      banner.reveal();
      retryTimer = setTimeout(
        () => join(sku, { autoRetried, networkTries: networkTries + 1 }),
        1500 * (networkTries + 1),
      );
      return;
    }
    banner.show(joinErrorMessage(err, { productName }), "join");
    banner.reveal();
    // The event view is likely stale (sold out, ended, product gone): refresh it now.
    if (["SOLD_OUT", "SALE_NOT_OPEN", "NOT_FOUND", "LIMIT_REACHED"].includes(err.code)) catalog.refresh();
  }

  /** Calls render(secondsLeft) each second, then done(). Join buttons stay usable meanwhile. */
  function countdownThen(seconds, render, done) {
    clearTimeout(retryTimer);
    let left = seconds;
    const step = () => {
      if (!isShopView()) return;
      if (left <= 0) {
        done();
        return;
      }
      render(left);
      left -= 1;
      retryTimer = setTimeout(step, 1000);
    };
    step();
  }

  return { join };
}
