// The columns every stock ledger shows (an event's products, a core stock, a location's stocks):
// its reason as a badge, the quantity (an ADJUST signed), the reference.
import { h } from "../lib/dom.js";
import { formatNumber } from "../lib/format.js";

export const LEDGER_MOVEMENT_COLUMNS = [
  {
    label: "Reason",
    cell: (e) => h("span", { class: `ledger-reason ledger-reason--${e.reason.toLowerCase()}` }, e.reason),
  },
  {
    label: "Quantity",
    num: true,
    cell: (e) =>
      e.reason === "ADJUST" && e.quantity > 0 ? `+${formatNumber(e.quantity)}` : formatNumber(e.quantity),
  },
  { label: "Reference", cell: (e) => (e.reference ? h("code", {}, e.reference) : "—") },
];
