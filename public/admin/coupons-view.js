// The Coupons view (#coupons): every coupon with its two stocks side by side — how many
// times it may be issued and how many times redeemed (total, remaining, taken each) —, when
// the live figures were last copied to PostgreSQL, Confirm, Sync and Close, and a form to
// create one (either total may be unlimited).

import { paths, STOCK_ACTIONS_FROM } from "../lib/contract.js";
import { $, h } from "../lib/dom.js";
import { formatNumber } from "../lib/format.js";
import { createForm } from "./form-kit.js";
import {
  actionButton,
  figure,
  nameCell,
  periodText,
  statusBadge,
  stockActionMessage,
  syncedText,
  viewBanner,
} from "./stock-bits.js";

const FIGURES = [
  ["total", "Total"],
  ["remaining", "Left"],
  ["taken", "Taken"],
];
const SIDES = [
  ["issueStock", "issue", "Issued"],
  ["useStock", "use", "Redeemed"],
];

/** @param {{adminApi: Function}} opts */
export function createCouponsView({ adminApi }) {
  const root = $("coupons-view");
  const body = h("tbody");
  const th = (text, attrs = {}) => h("th", { scope: "col", ...attrs }, text);
  const head = h(
    "thead",
    {},
    h(
      "tr",
      {},
      th("Coupon", { rowspan: 2 }),
      th("Status", { rowspan: 2 }),
      ...SIDES.map(([, , label]) => th(label, { colspan: FIGURES.length, class: "th-group" })),
      th("Per user", { rowspan: 2, class: "num" }),
      th("Periods", { rowspan: 2 }),
      th("Synced", { rowspan: 2 }),
      th("Actions", { rowspan: 2 }),
    ),
    h(
      "tr",
      {},
      ...SIDES.flatMap(() =>
        FIGURES.map(([, label], i) => th(label, { class: `num${i === 0 ? " th-group-start" : ""}` })),
      ),
    ),
  );
  const empty = h(
    "p",
    { class: "muted", "data-testid": "coupons-empty" },
    "No coupons yet: create one below.",
  );
  const wrap = h(
    "div",
    { class: "table-wrap" },
    h("table", { class: "table table--compact", "data-testid": "coupons-table" }, head, body),
  );
  const errorNode = h("div", {
    class: "banner banner--error",
    role: "alert",
    "data-testid": "coupons-error",
  });
  const banner = viewBanner(errorNode, "");
  const refresh = h(
    "button",
    { type: "button", class: "btn btn--small btn--ghost", "data-testid": "coupons-refresh" },
    "Refresh",
  );
  refresh.addEventListener("click", () => load());

  const create = createForm({
    id: "coupon-form",
    title: "New coupon",
    submitLabel: "Create coupon",
    fields: [
      { key: "name", label: "Name", required: true, wide: true, placeholder: "e.g. WELCOME10" },
      {
        key: "issueTotal",
        label: "Issue total",
        kind: "int",
        unlimited: true,
        hint: "How many times it may be issued.",
      },
      { key: "issueStartsAt", label: "Issued from", kind: "datetime" },
      { key: "issueEndsAt", label: "Issued until", kind: "datetime" },
      {
        key: "useTotal",
        label: "Use total",
        kind: "int",
        unlimited: true,
        hint: "How many times it may be redeemed.",
      },
      { key: "useStartsAt", label: "Redeemable from", kind: "datetime" },
      { key: "useEndsAt", label: "Redeemable until", kind: "datetime" },
      {
        key: "perUserIssueLimit",
        label: "Per-user issue limit",
        kind: "int",
        min: 1,
        hint: "At most this many codes a user.",
      },
    ],
    send: (b) => adminApi(paths.adminCoupons, { method: "POST", body: b }),
    onCreated: () => load(),
  });
  root.replaceChildren(
    h(
      "section",
      { class: "card stack", "aria-labelledby": "coupons-title" },
      h("div", { class: "section-head" }, h("h1", { id: "coupons-title" }, "Coupons"), refresh),
      h(
        "p",
        { class: "field__hint" },
        "A coupon is two stocks: how many times it may be issued and how many times redeemed. Confirm it " +
          "to issue and redeem it with a service key scoped coupons. While it is live the figures are " +
          "read from Redis; Sync copies them to PostgreSQL. ∞: unlimited.",
      ),
      errorNode,
      empty,
      wrap,
    ),
    h("section", { class: "card stack" }, create.form),
  );
  errorNode.hidden = true;
  wrap.hidden = true;
  empty.hidden = true; // until the list is read: a failed read is not an empty list

  let generation = 0;
  async function load() {
    const mine = ++generation;
    root.setAttribute("aria-busy", "true");
    try {
      const coupons = await adminApi(paths.adminCoupons);
      if (mine !== generation) return;
      const list = Array.isArray(coupons) ? coupons : [];
      body.replaceChildren(...list.map(couponRow));
      empty.hidden = list.length > 0;
      wrap.hidden = list.length === 0;
    } catch (err) {
      if (mine === generation) banner.show(`Couldn't load the coupons: ${stockActionMessage(err)}`);
    } finally {
      if (mine === generation) root.removeAttribute("aria-busy");
    }
  }

  function couponRow(c) {
    const action = (name, label, tone) =>
      STOCK_ACTIONS_FROM[name].includes(c.status)
        ? actionButton({
            label,
            tone,
            testid: `coupon-${name}-${c.id}`,
            run: () => adminApi(paths.adminCouponAction(c.id, name), { method: "POST" }),
            onDone: () => {
              banner.clear();
              load();
            },
            onError: (message) => banner.show(`“${c.name}”: ${message}`),
            describe: stockActionMessage,
          })
        : null;
    const figures = SIDES.flatMap(([field, side]) =>
      FIGURES.map(([key], i) =>
        h(
          "td",
          { class: `num${i === 0 ? " td-group-start" : ""}` },
          figure(c[field]?.[key] ?? null, `coupon-${side}-${key}-${c.id}`),
        ),
      ),
    );
    const synced =
      [c.issueStock?.remainSyncedAt, c.useStock?.remainSyncedAt].filter(Boolean).sort()[0] ?? null;
    return h(
      "tr",
      { "data-testid": `coupon-row-${c.id}`, "data-name": c.name },
      nameCell(c.name, c.id),
      h("td", {}, statusBadge(c.status, `coupon-status-${c.id}`)),
      ...figures,
      h(
        "td",
        { class: "num" },
        c.perUserIssueLimit === null ? h("span", { class: "muted" }, "—") : formatNumber(c.perUserIssueLimit),
      ),
      h(
        "td",
        { class: "small cell-soft" },
        h(
          "span",
          { class: "cell-lines" },
          h(
            "span",
            {},
            h("span", { class: "muted" }, "issue: "),
            periodText(c.issueStock?.startsAt, c.issueStock?.endsAt),
          ),
          h(
            "span",
            {},
            h("span", { class: "muted" }, "use: "),
            periodText(c.useStock?.startsAt, c.useStock?.endsAt),
          ),
        ),
      ),
      h("td", { class: "small cell-soft", "data-testid": `coupon-synced-${c.id}` }, syncedText(synced)),
      h(
        "td",
        {},
        h(
          "div",
          { class: "row-actions" },
          action("confirm", "Confirm", "primary"),
          action("sync", "Sync"),
          action("close", "Close", "danger"),
        ),
      ),
    );
  }

  return { show: () => load(), refresh: () => load(), focusCreate: () => create.focus() };
}
