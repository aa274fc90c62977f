// localStorage that never throws: private browsing, a full quota or disabled storage
// must not break the page, it only loses memory across reloads.

const memory = new Map();

export function readJson(key) {
  let raw;
  try {
    raw = window.localStorage.getItem(key);
  } catch {
    raw = memory.get(key) ?? null;
  }
  if (raw == null) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return null;
  }
}

export function writeJson(key, value) {
  const raw = JSON.stringify(value);
  memory.set(key, raw);
  try {
    window.localStorage.setItem(key, raw);
  } catch {
    // kept in memory only
  }
}

export function remove(key) {
  memory.delete(key);
  try {
    window.localStorage.removeItem(key);
  } catch {
    // nothing to do
  }
}
