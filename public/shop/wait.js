// The wait view: one held ticket, followed live over Socket.IO (the event is no longer
// polled, so a big line does not turn into a polling storm), with HTTP polling as the
// fallback, until its outcome. The ticket is kept in localStorage per event, so a reload or
// a dropped connection resumes it.
import { api } from "../lib/api.js";
import { FINAL_TICKET, paths } from "../lib/contract.js";
import { $, h, setAttr, setText } from "../lib/dom.js";
import { formatDuration, formatEta, formatNumber } from "../lib/format.js";
import * as storage from "../lib/storage.js";
import { clamp, jitter } from "../lib/timing.js";
import { connectTicket } from "./live.js";
import { outcomeCopy, prequeueNote, waitingHeadline } from "./messages.js";

const TICKET_POLL_MS = 4000; // only when the live socket is missing or down
const FRONT_POLL_MS = 3000; // at the front of the line, to learn about PROCESSING
const ticketKey = (eventId) => `dropqueue:ticket:${eventId}`;

/**
 * @param {{
 *   eventId: string,
 *   catalog: ReturnType<import("./catalog.js").createCatalog>,
 *   banner: ReturnType<import("./banner.js").createBanner>,
 *   isWaitView: () => boolean,
 *   onShow: () => void,
 *   onLeave: (message?: string) => void,
 * }} opts onShow: switch the page to this view; onLeave: the ticket is gone, back to the shop
 */
export function createWait({ eventId, catalog, banner, isWaitView, onShow, onLeave }) {
  const ui = {
    product: $("wait-product"),
    waiting: $("wait-waiting"),
    headline: $("wait-headline"),
    etaLine: $("wait-eta-line"),
    eta: $("eta"),
    progress: $("progress"),
    note: $("wait-note"),
    footer: $("wait-footer"),
    outcome: $("outcome"),
    outcomeIcon: $("outcome-icon"),
    outcomeTitle: $("outcome-title"),
    outcomeText: $("outcome-text"),
    outcomeOrder: $("outcome-order"),
    orderId: $("order-id"),
    orderLabel: $("order-label"),
    startOver: $("start-over"),
    connection: $("connection"),
    // Built once and moved in and out of the headline, so tests and screen readers keep one node.
    position: h("strong", { class: "wait__position", "data-testid": "position" }),
  };
  /** The stored ticket: {eventId, ticketId, token, sku, quantity, firstPosition?, progress?} */
  let ticket = null;
  /** The ticket's last known status and position. */
  let status = null;
  let position;
  let final = false;
  /** {status, reason, orderId} once decided. */
  let outcome = null;
  /** Socket handle from connectTicket, or null when Socket.IO is unavailable. */
  let live = null;
  let connected = false;
  let pollTimer = 0;

  function readStored() {
    const t = storage.readJson(ticketKey(eventId));
    const valid = t && typeof t.ticketId === "string" && typeof t.token === "string" && t.eventId === eventId;
    if (!valid && t) storage.remove(ticketKey(eventId));
    return valid ? t : null;
  }

  function save(record) {
    ticket = record;
    storage.writeJson(ticketKey(eventId), record);
  }

  /** Reload or return visit: ask the server where the stored ticket stands. */
  async function resume(attempt = 0) {
    const record = ticket;
    if (!record) return;
    try {
      const { data } = await api(paths.ticket(record.ticketId), { token: record.token });
      if (ticket !== record) return;
      banner.clear("resume");
      enter(record, data);
    } catch (err) {
      if (ticket !== record) return;
      if (err.status === 401 || err.status === 404 || err.status === 400) {
        forget("Your saved place in line is no longer valid, so it was cleared. Join again to get a place.");
      } else {
        banner.show("Can't reach the shop, retrying… Your place in line is kept.", "resume", "warning");
        setTimeout(() => resume(attempt + 1), jitter(Math.min(2000 * 2 ** attempt, 15_000)));
      }
    }
  }

  function enter(record, answer) {
    final = false;
    outcome = null;
    status = null;
    position = undefined;
    onShow();
    renderProduct();
    apply(answer);
    if (!final) startLive(record);
  }

  /** Shows a ticket as read from the API (join answer or GET). */
  function apply(answer) {
    if (!answer || final) return;
    if (FINAL_TICKET.has(answer.status)) {
      showOutcome(answer);
      return;
    }
    showWaiting(answer.status, answer.position, answer.etaSeconds);
  }

  function showChecking() {
    ui.waiting.hidden = false;
    ui.outcome.hidden = true;
    ui.startOver.hidden = true;
    ui.etaLine.hidden = true;
    setText(ui.headline, "Checking your place in line…");
    setText(ui.note, "");
    renderProgress();
  }

  function renderProduct() {
    if (!ticket) return;
    const qty = ticket.quantity > 1 ? ` × ${ticket.quantity}` : "";
    setText(ui.product, `Your place in line · ${catalog.productName(ticket.sku)}${qty}`);
  }

  function showWaiting(newStatus, newPosition, etaSeconds) {
    if (final) return;
    status = newStatus;
    ui.waiting.hidden = false;
    ui.outcome.hidden = true;
    ui.startOver.hidden = true;
    ui.footer.hidden = false;

    const hasPosition = status === "QUEUED" && Number.isFinite(newPosition);
    if (hasPosition) {
      position = newPosition;
      setText(ui.position, String(formatNumber(position)));
      setAttr(ui.position, "data-value", position);
      if (ui.position.parentNode !== ui.headline) {
        ui.headline.replaceChildren("You are number ", ui.position, " in line");
      }
      if (ticket && !(ticket.firstPosition >= 1)) {
        ticket.firstPosition = position;
        save(ticket);
      }
    } else {
      setText(ui.headline, waitingHeadline(status));
    }

    const showEta = hasPosition && Number.isFinite(etaSeconds);
    ui.etaLine.hidden = !showEta;
    if (showEta) {
      setText(ui.eta, formatEta(etaSeconds));
      setAttr(ui.eta, "data-seconds", etaSeconds);
    }
    renderProgress();
    renderNote();
    schedulePoll();
  }

  function renderNote() {
    let note;
    if (status === "PREQUEUE") {
      const left = catalog.secondsToStart();
      note = prequeueNote(catalog.event?.startsAt);
      if (left !== null && left > 0) note += ` Starts in ${formatDuration(left)}.`;
    } else if (status === "PROCESSING") {
      note = "Reserving your item and taking the payment. This usually takes a few seconds.";
    } else {
      note = "Keep this page open: the line moves by itself and you'll see the result here.";
    }
    setText(ui.note, note);
  }

  /**
   * progress = 1 − position / positionWhenJoined, never going backwards (positions can
   * jump up, e.g. when the pre-queue is drawn ahead of later joiners).
   */
  function renderProgress() {
    let progress = ticket?.progress ?? 0;
    if (status === "PROCESSING") progress = 1;
    else if (status === "QUEUED" && ticket?.firstPosition >= 1 && Number.isFinite(position)) {
      progress = Math.max(progress, 1 - position / ticket.firstPosition);
    }
    progress = clamp(progress, 0, 1);
    if (ticket && progress !== ticket.progress) {
      ticket.progress = progress;
      save(ticket);
    }
    const percent = Math.round(progress * 100);
    setAttr(ui.progress, "aria-valuenow", percent);
    setAttr(
      ui.progress,
      "aria-valuetext",
      status === "QUEUED" && Number.isFinite(position)
        ? `${percent}% — number ${position} in line`
        : `${percent}%`,
    );
    ui.progress.style.setProperty("--progress", `${percent}%`);
  }

  function showOutcome(answer) {
    if (final) return;
    final = true;
    status = answer.status;
    outcome = { status: answer.status, reason: answer.reason, orderId: answer.orderId };
    stopLive();
    clearTimeout(pollTimer);
    ui.connection.hidden = true;
    renderOutcome();
  }

  function renderOutcome() {
    const { reason, orderId } = outcome;
    const copy = outcomeCopy(outcome.status, reason, catalog.productName(ticket?.sku));
    ui.waiting.hidden = true;
    ui.footer.hidden = true;
    ui.outcome.hidden = false;
    ui.outcome.className = `outcome outcome--${copy.tone}`;
    setAttr(ui.outcome, "data-status", outcome.status);
    setAttr(ui.outcome, "data-reason", reason || null);
    setText(ui.outcomeIcon, copy.icon);
    setText(ui.outcomeTitle, copy.title);
    setText(ui.outcomeText, copy.text);
    // A declined payment also leaves an order record: call it a reference, not an order.
    ui.outcomeOrder.hidden = !orderId;
    setText(ui.orderLabel, outcome.status === "CONFIRMED" ? "Order id" : "Reference");
    setText(ui.orderId, orderId ?? "");
    ui.startOver.hidden = false;
  }

  function startLive(record) {
    stopLive();
    connected = false;
    live = connectTicket(record, {
      onPosition: (p) => {
        // Positions are only sent once the line moves, so a scheduled sale has started:
        // say so without every waiting page asking the server at the same moment.
        catalog.markStarted();
        // A late position must not undo "it's your turn".
        if (status !== "PROCESSING") showWaiting("QUEUED", p.position, p.etaSeconds);
      },
      onResult: (r) => showOutcome(r),
      onUnauthorized: () =>
        forget(
          "We couldn't confirm your place in line (its pass may have expired), so it was cleared. Join again: if your place is still open, you get it back.",
        ),
      onConnectionChange: (up) => {
        connected = up;
        ui.connection.hidden = up || final;
        schedulePoll();
      },
      onReconnect: () => poll(),
    });
    schedulePoll();
  }

  function stopLive() {
    live?.close();
    live = null;
    connected = false;
  }

  /**
   * Reading the ticket over HTTP is the fallback: when Socket.IO is missing or down, and at
   * the front of the line, because the socket says when your turn ends, not when it starts.
   */
  function schedulePoll() {
    clearTimeout(pollTimer);
    if (final || !ticket || !isWaitView()) return;
    let delay = null;
    if (!live || !connected) delay = TICKET_POLL_MS;
    else if (status === "QUEUED" && position <= 1) delay = FRONT_POLL_MS;
    if (delay !== null) pollTimer = setTimeout(poll, jitter(delay));
  }

  async function poll() {
    const record = ticket;
    if (!record || final) return;
    try {
      const { data } = await api(paths.ticket(record.ticketId), { token: record.token });
      if (ticket !== record) return;
      if (!live) ui.connection.hidden = true;
      apply(data);
    } catch (err) {
      if (ticket !== record) return;
      if (err.status === 401 || err.status === 404) {
        forget("Your place in line is no longer valid, so it was cleared. Join again to get a place.");
        return;
      }
      if (!live) ui.connection.hidden = false; // the polling fallback is our only link
    }
    schedulePoll();
  }

  /** Drops the ticket (stored too) and goes back to the shop, saying why when there is a reason. */
  function forget(message) {
    stopLive();
    clearTimeout(pollTimer);
    storage.remove(ticketKey(eventId));
    ticket = null;
    final = false;
    outcome = null;
    status = null;
    position = undefined;
    ui.connection.hidden = true;
    onLeave(message);
  }

  return {
    /** Resumes a ticket stored by an earlier visit; false when there is none. */
    resumeStored() {
      const stored = readStored();
      if (!stored) return false;
      ticket = stored;
      onShow();
      showChecking();
      resume();
      return true;
    },
    /** A ticket just joined. */
    joined(record, answer) {
      save(record);
      enter(record, answer);
    },
    forget,
    /** The event was read again: product names may have arrived (after the outcome, too). */
    onEventRendered() {
      renderProduct();
      if (outcome) renderOutcome();
    },
    /** Once a second: the pre-queue note counts down to the start. */
    tick() {
      if (status === "PREQUEUE" && !final) renderNote();
    },
    startOverLink(onClick) {
      ui.startOver.href = `${window.location.pathname}?event=${encodeURIComponent(eventId)}`;
      ui.startOver.addEventListener("click", (e) => {
        e.preventDefault();
        onClick();
      });
    },
  };
}
