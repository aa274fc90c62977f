// What the admin page says about states, errors and times, in one place. Codes and
// shapes come from shared API.md.

const locale = typeof navigator !== "undefined" ? navigator.language : undefined;
const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
const timeWithSeconds = new Intl.DateTimeFormat(locale, {
  hour: "numeric",
  minute: "2-digit",
  second: "2-digit",
});

/** Event status → pill words and tone (.pill--<tone> in css/components.css). */
export function statusPill(status) {
  const words = { DRAFT: "Draft", SCHEDULED: "Scheduled", LIVE: "Live", PAUSED: "Paused", ENDED: "Ended" };
  return {
    words: words[status] ?? String(status ?? "Unknown"),
    tone: String(status ?? "draft").toLowerCase(),
  };
}

export function formatDateTime(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? "—" : dateTime.format(date);
}

export function formatClock(ms) {
  return timeWithSeconds.format(new Date(ms));
}

/** A lifecycle action's failure as one sentence. */
export function actionErrorMessage(action, err) {
  if (err.code === "INVALID_STATE") {
    const now = err.details?.status;
    return now
      ? `Can't ${action} this event: it is ${statusPill(now).words.toLowerCase()} now.`
      : `Can't ${action} this event now: ${err.message}`;
  }
  return generalErrorMessage(err);
}

/** A stock change's failure as one sentence, with the allowed bounds of a STOCK_RULE. */
export function stockErrorMessage(err) {
  if (err.code === "STOCK_RULE") {
    const d = err.details ?? {};
    const floor = `${d.min} are sold or reserved`;
    if (d.max === null || d.max === undefined)
      return `Not allowed: the total must be at least ${d.min} (${floor}).`;
    const ceiling = `${d.max} was the total when the sale first went live`;
    return d.min === d.max
      ? `Not allowed: the total must stay at ${d.min} (${floor}, and ${ceiling}).`
      : `Not allowed: the total must be between ${d.min} and ${d.max} (${floor}; ${ceiling}).`;
  }
  if (err.code === "VALIDATION_FAILED") return "Enter a whole number of units, 0 or more.";
  if (err.code === "INVALID_STATE") return err.message;
  return generalErrorMessage(err);
}

export function generalErrorMessage(err) {
  switch (err?.code) {
    case "NETWORK":
      return "Can't reach the API. Check that it is running and try again.";
    case "UNAUTHORIZED":
      return "The admin token was not accepted.";
    case "NOT_FOUND":
      return "Not found: it may have been removed.";
    case "RATE_LIMITED":
      return "Too many requests at once. Wait a moment and try again.";
    case "INTERNAL":
      return "The API had a problem. Try again; the API's log says more.";
    default:
      return err?.message ? String(err.message) : "Something went wrong.";
  }
}

/** An API field message (zod's wording) made friendlier for a form. */
export function fieldMessage(message) {
  const text = String(message ?? "");
  if (/^Too small: expected string/.test(text)) return "Required.";
  if (/expected number, received (null|undefined|NaN)/.test(text)) return "Enter a number.";
  if (/expected int/.test(text)) return "Enter a whole number.";
  if (/^Invalid ISO datetime/.test(text)) return "Enter a date and time.";
  const tooSmall = /^Too small: expected number to be >=?(-?[\d.]+)/.exec(text);
  if (tooSmall) return `Must be at least ${tooSmall[1]}.`;
  const tooBig = /^Too big: expected number to be <=?(-?[\d.]+)/.exec(text);
  if (tooBig) return `Must be at most ${tooBig[1]}.`;
  if (/^Too big: expected string/.test(text)) return "Too long.";
  return /[A-Za-z0-9)]$/.test(text) ? `${text}.` : text;
}

export const REJECT_REASONS = [
  ["SOLD_OUT", "Sold out"],
  ["LIMIT_REACHED", "Limit reached"],
  ["SALE_ENDED", "Sale ended"],
];

export const FAIL_REASONS = [
  ["PAYMENT_DECLINED", "Payment declined"],
  ["PROCESSING_FAILED", "Processing failed"],
];
