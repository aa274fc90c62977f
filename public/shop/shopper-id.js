// The shopper id field: made up once and kept in localStorage, checked on join.
import { USER_ID_RE } from "../lib/contract.js";
import { $, setAttr, setText } from "../lib/dom.js";
import * as storage from "../lib/storage.js";

const USER_KEY = "dropqueue:userId";

export function setupShopperId() {
  const input = $("user-id");
  const error = $("user-id-error");

  let userId = storage.readJson(USER_KEY);
  if (typeof userId !== "string" || !USER_ID_RE.test(userId)) {
    userId = `shopper-${randomWord(4)}`;
    storage.writeJson(USER_KEY, userId);
  }
  input.value = userId;

  /** Shows or clears the field's error; returns whether the id is valid. */
  const check = (value, { quiet = false } = {}) => {
    const valid = USER_ID_RE.test(value);
    if (valid || !quiet) {
      setAttr(input, "aria-invalid", valid ? null : "true");
      error.hidden = valid;
      setText(error, valid ? "" : "Use 1 to 64 letters, digits or . _ : @ - (no spaces).");
    }
    return valid;
  };
  // Checked while typing only to clear a shown error, and for real on join: an error
  // appearing on blur would shift the layout under the pointer and eat the click.
  input.addEventListener("input", () => {
    const value = input.value.trim();
    if (check(value, { quiet: true })) storage.writeJson(USER_KEY, value);
  });

  return {
    /** The id to join with, or null after showing why it is not valid. */
    valid() {
      const value = input.value.trim();
      if (check(value)) return value;
      input.focus();
      return null;
    },
  };
}

/** Letters and digits that can't be mistaken for each other (no 0/o, 1/l/i). */
function randomWord(length) {
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}
