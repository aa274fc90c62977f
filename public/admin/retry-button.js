// A Retry button of a row (a refund's, a dead letter's): busy while it asks, then the list
// is read again; a refusal shows on the row's button as its title and in the list's banner.

import { ApiError } from "../lib/api.js";
import { h, setText } from "../lib/dom.js";
import { generalErrorMessage } from "./messages.js";

/**
 * @param {{testid: string, label: string, retry: () => Promise<unknown>, onDone: () => void, onError: (message: string) => void}} opts
 */
export function retryButton({ testid, label, retry, onDone, onError }) {
  const button = h("button", { type: "button", class: "btn btn--small", "data-testid": testid }, "Retry");
  button.setAttribute("aria-label", label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    setText(button, "Retrying…");
    try {
      await retry();
      setText(button, "Queued");
      onDone();
    } catch (err) {
      button.disabled = false;
      setText(button, "Retry");
      if (err instanceof ApiError && err.status === 401) return;
      onError(generalErrorMessage(err));
    }
  });
  return button;
}
