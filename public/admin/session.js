// The admin token of this browser tab: asked once, kept in sessionStorage (gone when the
// tab closes), sent as `Authorization: Bearer`. Every admin call goes through adminApi,
// so a token the API stops accepting signs the page out in one place.

import { ApiError, api } from "../lib/api.js";
import { paths } from "../lib/contract.js";

const KEY = "dropqueue:adminToken";
let memory = ""; // when sessionStorage is unavailable (some private modes)

export function readToken() {
  try {
    return window.sessionStorage.getItem(KEY) ?? memory;
  } catch {
    return memory;
  }
}

export function saveToken(token) {
  memory = token;
  try {
    window.sessionStorage.setItem(KEY, token);
  } catch {
    // kept in memory only: a reload asks again
  }
}

export function clearToken() {
  memory = "";
  try {
    window.sessionStorage.removeItem(KEY);
  } catch {
    // nothing to do
  }
}

/**
 * An admin API caller. Resolves with the answer's body; rejects with an ApiError. A 401
 * calls onUnauthorized once per token (several calls may fail together).
 * @param {{onUnauthorized: () => void}} opts
 * @returns {(path: string, opts?: {method?: string, body?: unknown, signal?: AbortSignal}) => Promise<any>}
 */
export function createAdminApi({ onUnauthorized }) {
  let toldFor = null;
  return async (path, opts = {}) => {
    const token = readToken();
    try {
      const { data } = await api(path, { ...opts, token });
      return data;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401 && toldFor !== token) {
        toldFor = token;
        onUnauthorized();
      }
      throw err;
    }
  };
}

/**
 * Checks a token before keeping it: true, false (refused), or throws (API unreachable).
 * Asks for an event that cannot exist: the token is checked first, and a 404 costs the
 * API one primary-key lookup, where listing the events would read them all.
 */
export async function tokenWorks(token) {
  try {
    await api(paths.adminTokenCheck, { token });
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return false;
    if (err instanceof ApiError && err.status === 404) return true;
    throw err;
  }
}
