// The shop page's one banner for every problem. Each message names its source, so a later
// success clears only its own message (a good poll must not hide a join error).
import { setText } from "../lib/dom.js";

/** @param {HTMLElement} el */
export function createBanner(el) {
  let source = null;
  return {
    get source() {
      return source;
    },
    show(message, from, tone = "error") {
      source = from;
      setText(el, message);
      el.className = `banner banner--${tone}`;
      el.hidden = false;
    },
    /** On a phone the join button may be far below the banner: bring the message into view. */
    reveal() {
      const box = el.getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) el.scrollIntoView({ block: "center" });
    },
    /** Clears the banner; with `from`, only when the message shown is that source's. */
    clear(from) {
      if (from && source !== from) return;
      source = null;
      el.hidden = true;
      el.textContent = "";
    },
  };
}
