// The one way the pages talk to the API: JSON in, JSON out, and every failure turned into
// an ApiError with the contract's stable `code` (plus NETWORK when the shop can't be
// reached at all), so callers switch on codes and never parse responses themselves.

const TIMEOUT_MS = 10_000;

export class ApiError extends Error {
  /**
   * @param {{code: string, message: string, status?: number, details?: unknown, retryAfterSeconds?: number}} opts
   */
  constructor({ code, message, status = 0, details, retryAfterSeconds }) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.details = details;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** True when trying again later may work (network, overload, server hiccup). */
  get transient() {
    return this.code === "NETWORK" || this.status >= 500 || this.status === 429;
  }
}

/**
 * Calls the API. Resolves with the parsed JSON body of a 2xx answer (and its status),
 * rejects with an ApiError otherwise.
 * @param {string} path e.g. "/api/events/abc"
 * @param {{method?: string, body?: unknown, token?: string, signal?: AbortSignal}} [opts]
 * @returns {Promise<{status: number, data: any}>}
 */
export async function api(path, { method = "GET", body, token, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;

  // A hung request must not freeze the page: time out and let the caller retry.
  // (A plain controller rather than AbortSignal.any/timeout, for older phones.)
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  const onAbort = () => controller.abort();
  signal?.addEventListener("abort", onAbort, { once: true });

  let res;
  let text;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
      cache: "no-store",
    });
    text = await res.text();
  } catch (err) {
    if (signal?.aborted) throw err; // the caller gave up: not an error to show
    throw new ApiError({ code: "NETWORK", message: "Can't reach the shop" });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }

  let data = null;
  let parsed = !text;
  if (text) {
    try {
      data = JSON.parse(text);
      parsed = true;
    } catch {
      // A proxy's HTML error page, for instance: handled below.
    }
  }
  if (res.ok && parsed) return { status: res.status, data };

  const error = data && typeof data === "object" ? data.error : undefined;
  throw new ApiError({
    code:
      typeof error?.code === "string"
        ? error.code
        : res.ok || res.status >= 500
          ? "INTERNAL"
          : `HTTP_${res.status}`,
    message: typeof error?.message === "string" ? error.message : `The shop answered ${res.status}`,
    status: res.status,
    details: error?.details,
    retryAfterSeconds: parseRetryAfter(res.headers.get("Retry-After")),
  });
}

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfter(value) {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}
