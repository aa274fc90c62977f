// A table over one of the admin API's cursor-paged lists (orders, ledger): previous and
// next page (the cursors seen so far are kept, since the API only pages forward), a
// refresh, and an error line. Rows are built by the caller's column definitions.

import { h, setText } from "../lib/dom.js";
import { generalErrorMessage } from "./messages.js";

/**
 * @param {{
 *   root: HTMLElement,
 *   testid: string,
 *   columns: {label: string, num?: boolean, cell: (item: any) => string | Node}[],
 *   load: (cursor: string | null) => Promise<{items: any[], nextCursor: string | null}>,
 *   emptyText: string,
 * }} opts
 */
export function createPager({ root, testid, columns, load, emptyText }) {
  const body = h("tbody");
  const table = h(
    "table",
    { class: "table", "data-testid": `${testid}-table` },
    h(
      "thead",
      {},
      h("tr", {}, ...columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.label))),
    ),
    body,
  );
  const empty = h("p", { class: "muted", "data-testid": `${testid}-empty` }, emptyText);
  const error = h("div", { class: "banner banner--error", role: "alert", "data-testid": `${testid}-error` });
  const prev = h(
    "button",
    { type: "button", class: "btn btn--small", "data-testid": `${testid}-prev` },
    "← Previous",
  );
  const next = h(
    "button",
    { type: "button", class: "btn btn--small", "data-testid": `${testid}-next` },
    "Next →",
  );
  const refresh = h(
    "button",
    { type: "button", class: "btn btn--small btn--ghost", "data-testid": `${testid}-refresh` },
    "Refresh",
  );
  const pageLabel = h("span", { class: "muted small", "data-testid": `${testid}-page` });
  const paging = h("span", { class: "pager__paging" }, prev, pageLabel, next);
  const wrap = h("div", { class: "table-wrap" }, table);
  root.replaceChildren(error, empty, wrap, h("div", { class: "pager" }, paging, refresh));
  error.hidden = true;

  /** cursors[i] is the cursor that loads page i (null for the first). */
  let cursors = [null];
  let page = 0;
  let nextCursor = null;
  let generation = 0;

  async function show(index) {
    const mine = ++generation;
    // The buttons keep saying what the shown page allows: a newer click simply wins (generation).
    root.setAttribute("aria-busy", "true");
    try {
      const data = await load(cursors[index] ?? null);
      if (mine !== generation) return;
      page = index;
      nextCursor = data.nextCursor ?? null;
      if (nextCursor) cursors[index + 1] = nextCursor;
      cursors.length = Math.min(cursors.length, index + 2);
      render(data.items ?? []);
      error.hidden = true;
    } catch (err) {
      if (mine !== generation) return;
      setText(error, `Couldn't load this page: ${generalErrorMessage(err)}`);
      error.hidden = false;
    } finally {
      if (mine === generation) {
        root.removeAttribute("aria-busy");
        prev.disabled = page === 0;
        next.disabled = !nextCursor;
        paging.hidden = page === 0 && !nextCursor; // one page: nothing to page through
      }
    }
  }

  function render(items) {
    body.replaceChildren(
      ...items.map((item) =>
        h(
          "tr",
          { "data-testid": `${testid}-row` },
          ...columns.map((c) => h("td", { class: c.num ? "num" : null }, c.cell(item))),
        ),
      ),
    );
    empty.hidden = items.length > 0;
    wrap.hidden = items.length === 0;
    setText(pageLabel, items.length > 0 || page > 0 ? `Page ${page + 1}` : "");
  }

  prev.addEventListener("click", () => show(Math.max(0, page - 1)));
  next.addEventListener("click", () => {
    if (nextCursor) show(page + 1);
  });
  refresh.addEventListener("click", () => show(page));

  return {
    /** Back to the first page (a new event or a new filter). */
    reset() {
      cursors = [null];
      page = 0;
      nextCursor = null;
      return show(0);
    },
    /** Reloads the shown page (quietly skipped while one is loading). */
    refreshIfFirstPage() {
      if (page === 0 && root.getAttribute("aria-busy") !== "true") return show(0);
    },
  };
}
