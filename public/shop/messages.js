// Everything the shopper page says about states and errors, in one place, so wording
// changes (or a translation) touch one file. The codes come from shared API.md.

import { formatTime } from "../lib/format.js";

/** Event status → {words, tone} for the status pill. */
export function eventStatusWords(event) {
  switch (event.status) {
    case "DRAFT":
      return { words: "Not open yet", tone: "draft" };
    case "SCHEDULED":
      return event.startsAt
        ? { words: `Starts at ${formatTime(event.startsAt)}`, tone: "scheduled" }
        : { words: "Not open yet", tone: "scheduled" };
    case "LIVE":
      return { words: "On sale", tone: "live" };
    case "PAUSED":
      return { words: "Paused — the line is on hold", tone: "paused" };
    case "ENDED":
      return { words: "Ended", tone: "ended" };
    default:
      return { words: String(event.status ?? "Unknown"), tone: "draft" };
  }
}

/**
 * A join error as one human sentence. `retryIn` is set when the page will retry by itself.
 * @param {import("../lib/api.js").ApiError} err
 * @param {{productName?: string, retryIn?: number}} ctx
 */
export function joinErrorMessage(err, { productName = "this product", retryIn } = {}) {
  switch (err.code) {
    case "SOLD_OUT":
      return `Sold out — nothing left of ${productName}.`;
    case "SALE_NOT_OPEN":
      return "The sale is not open.";
    case "LIMIT_REACHED":
      return `You already have your limit of ${productName}.`;
    case "QUEUE_FULL":
      return retryIn !== undefined
        ? `The waiting room is full, we'll retry in ${retryIn} s.`
        : "The waiting room is still full. Please try again in a moment.";
    case "RATE_LIMITED":
      return retryIn !== undefined
        ? `Too many tries at once, we'll retry in ${retryIn} s.`
        : "Too many tries at once. Please wait a moment and try again.";
    case "VALIDATION_FAILED":
      return validationMessage(err.details);
    case "NOT_FOUND":
      return `We couldn't find ${productName} in this sale. It may have been removed.`;
    case "NETWORK":
      return retryIn !== undefined
        ? "Can't reach the shop, retrying…"
        : "Can't reach the shop. Check your connection and try again.";
    default:
      return "Something went wrong on our side. Please try again.";
  }
}

function validationMessage(details) {
  const fields = Array.isArray(details?.fields) ? details.fields : [];
  const names = { userId: "your shopper id", quantity: "the quantity", sku: "the product" };
  const which = fields.map((f) => names[f?.path] ?? f?.path).filter(Boolean);
  return which.length > 0
    ? `Please check ${[...new Set(which)].join(" and ")}.`
    : "Something in the request was not valid. Please check and try again.";
}

/** What a waiting ticket's status means, for the headline. */
export function waitingHeadline(status) {
  switch (status) {
    case "PREQUEUE":
      return "You're in the pre-queue";
    case "PROCESSING":
      return "It's your turn — completing your purchase…";
    default:
      return "You're in line";
  }
}

export function prequeueNote(startsAt) {
  const when = startsAt ? `at ${formatTime(startsAt)}` : "";
  return `When the sale starts${when ? ` ${when}` : ""}, your place is drawn at random among everyone who joined early.`;
}

/**
 * The final screen for a ticket outcome.
 * @returns {{title: string, text: string, tone: "good"|"bad"|"neutral", icon: string}}
 */
export function outcomeCopy(status, reason, productName = "this product") {
  if (status === "CONFIRMED") {
    return {
      title: "You got it!",
      text: `Your order for ${productName} is confirmed.`,
      tone: "good",
      icon: "✓",
    };
  }
  if (status === "CANCELLED") {
    return {
      title: "Order cancelled",
      text: "This order was cancelled and its stock went back on sale.",
      tone: "neutral",
      icon: "–",
    };
  }
  switch (reason) {
    case "SOLD_OUT":
      return {
        title: "Sold out",
        text: `Everything of ${productName} was sold before your turn.`,
        tone: "bad",
        icon: "✕",
      };
    case "LIMIT_REACHED":
      return {
        title: "You already have your limit",
        text: `You already hold or bought your limit of ${productName}.`,
        tone: "neutral",
        icon: "!",
      };
    case "SALE_ENDED":
      return {
        title: "The sale ended",
        text: "The sale ended before your turn came.",
        tone: "bad",
        icon: "✕",
      };
    case "PAYMENT_DECLINED":
      return {
        title: "Payment declined",
        text: "Your payment didn't go through, so the order was not placed.",
        tone: "bad",
        icon: "✕",
      };
    case "PROCESSING_FAILED":
      return {
        title: "Something went wrong, your stock was released",
        text: "We couldn't complete the purchase; the units held for you went back on sale.",
        tone: "bad",
        icon: "!",
      };
    default:
      return {
        title: status === "FAILED" ? "The purchase failed" : "Not this time",
        text: "Your ticket is closed.",
        tone: "bad",
        icon: "✕",
      };
  }
}
