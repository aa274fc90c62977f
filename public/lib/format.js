// Formatting for people: money, times, durations. Locale comes from the browser.

const locale = typeof navigator !== "undefined" ? navigator.language : undefined;
const moneyFormats = new Map();

/** priceCents → "$120.00" in the shop's currency. */
export function formatMoney(cents, currency = "USD") {
  let format = moneyFormats.get(currency);
  if (!format) {
    format = new Intl.NumberFormat(locale, { style: "currency", currency });
    moneyFormats.set(currency, format);
  }
  return format.format(cents / 100);
}

export function formatNumber(n) {
  return new Intl.NumberFormat(locale).format(n);
}

/** A local time; the date too when it is not today. */
export function formatTime(iso, now = new Date()) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const sameDay = date.toDateString() === now.toDateString();
  const options = sameDay
    ? { hour: "numeric", minute: "2-digit" }
    : { weekday: "short", month: "short", day: "numeric", hour: "numeric", minute: "2-digit" };
  return new Intl.DateTimeFormat(locale, options).format(date);
}

/** 130 → "2 min 10 s", 4000 → "1 h 6 min", 200000 → "2 d 7 h". */
export function formatDuration(totalSeconds) {
  const s = Math.max(0, Math.round(totalSeconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** A wait estimate in words: "about 2 min 10 s". */
export function formatEta(etaSeconds) {
  if (!Number.isFinite(etaSeconds)) return "";
  if (etaSeconds <= 1) return "any moment now";
  return `about ${formatDuration(etaSeconds)}`;
}
