// Small helpers for timers shared by the pages.

export function clamp(n, min, max) {
  return Math.min(max, Math.max(min, n));
}

/** ±20 %, so thousands of open pages do not poll in lockstep. */
export function jitter(ms) {
  return ms * (0.8 + Math.random() * 0.4);
}
