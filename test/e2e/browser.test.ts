// The two pages in a real browser (Debian's Chromium through playwright-core) against an
// in-process stack: a shopper waits in line, meets sold-out products, reloads mid-wait and
// gets an order; an admin signs in, creates and starts an event, watches a surge live,
// adjusts stock within the rules, reconciles and stops it. Screenshots of every step go
// to test-results/screenshots/ (git-ignored).
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimulatedPayment } from "../../src/purchase/payment.js";
import { PurchaseWorkerPool } from "../../src/purchase/worker-pool.js";
import { ADMIN_TOKEN, liveEvent, startTestStack, type TestStack } from "../support/app.js";
import {
  collectPageErrors,
  hasChromium,
  LAPTOP,
  launchBrowser,
  NO_CHROMIUM_MESSAGE,
  PHONE,
  screenshots,
} from "../support/browser.js";
import { failJobsForGood } from "../support/dead-letters.js";

if (!hasChromium) console.warn(`[browser tests] ${NO_CHROMIUM_MESSAGE}`);

const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" };

describe.skipIf(!hasChromium)(hasChromium ? "browser" : `browser (${NO_CHROMIUM_MESSAGE})`, () => {
  let stack: TestStack;
  let browser: Browser;

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startTestStack({ workerPools: 1 }), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  async function call(method: string, path: string, body?: unknown) {
    const res = await fetch(`${stack.url}${path}`, {
      method,
      headers: adminHeaders,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
    return { status: res.status, body: (await res.json()) as any };
  }

  const join = (eventId: string, userId: string, sku: string) =>
    call("POST", `/api/events/${eventId}/tickets`, { userId, sku });

  /** A tab of its own (a new context) whose script errors and CSP refusals are collected. */
  async function openPage(viewport: { width: number; height: number }) {
    const context = await browser.newContext({ viewport });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    return { context, page, errors: collectPageErrors(page) };
  }

  /** Polls until the matcher holds (vitest's default of 1 s is short for a loaded CI box). */
  const eventually = <T>(read: () => Promise<T>, timeout = 10_000) =>
    expect.poll(read, { timeout, interval: 100 });

  /** A number-valued attribute of a test id (NaN while missing). */
  const numberOf = async (page: Page, testId: string, attr = "data-value") =>
    Number(
      (await page
        .getByTestId(testId)
        .getAttribute(attr, { timeout: 2_000 })
        .catch(() => null)) ?? Number.NaN,
    );

  it("shopper: waits in line as it moves, sees sold-out products, resumes after a reload, gets CONFIRMED", async () => {
    const event = await liveEvent(stack.deps, {
      name: "Browser drop",
      admissionRate: 2, // slow enough to watch the line move
      products: [
        { sku: "A", name: "Runner sneaker", priceCents: 12_000, stock: 30 },
        { sku: "ZERO", name: "Signed poster", priceCents: 5_000, stock: 0 },
        { sku: "GONE", name: "Tote bag", priceCents: 1_500, stock: 1 },
      ],
    });
    // Shoppers ahead, over HTTP, in order: about 14 s of line at 2 a second, so the line has
    // not reached the page's shopper by the time the page joins on a loaded machine.
    for (let i = 0; i < 28; i++) expect((await join(event.id, `ahead-${i}`, "A")).status).toBe(202);

    const { context, page, errors } = await openPage(PHONE);
    const { shot } = screenshots(page, "shopper");

    await page.goto(`${stack.url}/?event=${event.id}`);
    await page.getByTestId("join-A").waitFor();
    // A product without stock says so and cannot be joined.
    await page.getByTestId("sold-out-ZERO").waitFor();
    expect(await page.getByTestId("join-ZERO").isDisabled()).toBe(true);
    await page.getByTestId("user-id").fill("browser-shopper");
    await shot("products");

    // A product sold out while the page is open: joining it is refused with SOLD_OUT.
    expect(
      (await call("PUT", `/api/admin/events/${event.id}/products/GONE/stock`, { total: 0 })).status,
    ).toBe(200);
    // (Unless the page's own poll saw it first and disabled the button: then the badge says it.)
    const clicked = await page
      .getByTestId("join-GONE")
      .click({ timeout: 1_000 })
      .then(() => true)
      .catch(() => false);
    if (clicked) await eventually(() => page.getByTestId("error").textContent()).toMatch(/Sold out/);
    await page.getByTestId("sold-out-GONE").waitFor();
    await shot("sold-out");

    // Join the line: the place in line goes down as the line moves.
    await page.getByTestId("join-A").click();
    await page.getByTestId("position").waitFor();
    const first = await numberOf(page, "position");
    expect(first).toBeGreaterThan(1);
    expect(await page.getByTestId("eta").textContent()).toMatch(/about|any moment/);
    await shot("waiting");
    await eventually(() => numberOf(page, "position")).toBeLessThan(first);
    await shot("line-moved");

    // A reload mid-wait keeps the ticket: the page goes straight back to the line.
    const ticketOf = () =>
      page.evaluate((id) => JSON.parse(localStorage.getItem(`dropqueue:ticket:${id}`) ?? "null"), event.id);
    const before = await ticketOf();
    expect(before?.ticketId).toBeTruthy();
    await page.reload();
    await page.getByTestId("position").waitFor({ timeout: 5_000 });
    expect(await page.getByTestId("join-A").isVisible()).toBe(false);
    expect((await ticketOf())?.ticketId).toBe(before.ticketId);
    await shot("after-reload");

    await eventually(() => page.getByTestId("outcome").getAttribute("data-status"), 20_000).toBe("CONFIRMED");
    const orderId = (await page.getByTestId("order-id").textContent())?.trim();
    expect(orderId).toBeTruthy();
    const orders = await call("GET", `/api/admin/events/${event.id}/orders?limit=50`);
    expect(orders.body.items).toContainEqual(
      expect.objectContaining({
        orderId,
        ticketId: before.ticketId,
        userId: "browser-shopper",
        status: "CONFIRMED",
      }),
    );
    await shot("confirmed");

    expect(errors).toEqual([]);
    await context.close();
  });

  it("shopper: solves the event's proof-of-work puzzle in a Web Worker, then joins", async () => {
    const event = await liveEvent(stack.deps, {
      name: "Bot-proof drop",
      powDifficulty: 14,
      products: [{ sku: "A", name: "Runner sneaker", priceCents: 12_000, stock: 5 }],
    });
    // Without a solution the API refuses the join.
    expect((await join(event.id, "no-puzzle", "A")).status).toBe(400);

    const { context, page, errors } = await openPage(PHONE);
    const workers: string[] = [];
    page.on("worker", (worker) => workers.push(worker.url()));
    await page.goto(`${stack.url}/?event=${event.id}`);
    await page.getByTestId("join-A").waitFor();
    await page.getByTestId("user-id").fill("pow-shopper");
    await page.getByTestId("join-A").click();
    await eventually(() => page.getByTestId("outcome").getAttribute("data-status"), 20_000).toBe("CONFIRMED");
    const solved = await page.evaluate(() => document.documentElement.dataset.pow ?? "");
    expect(solved).toMatch(/^solved 14 bits in \d+ ms$/);
    expect(workers.some((url) => url.endsWith("/shop/pow.worker.js"))).toBe(true);
    const row = await stack.deps.prisma.ticket.findFirstOrThrow({
      where: { eventId: event.id, userId: "pow-shopper" },
    });
    expect(row.status).toBe("CONFIRMED");
    console.log(`browser proof-of-work: ${solved}`);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("admin: signs in, creates and starts an event, watches a surge live, adjusts stock, reconciles, stops", async () => {
    const { context, page, errors } = await openPage(LAPTOP);
    const { shot } = screenshots(page, "admin");
    const byId = (id: string) => page.getByTestId(id);

    // Sign in: a wrong token is refused with a clear message, the right one is kept for the tab.
    await page.goto(`${stack.url}/admin.html`);
    await byId("token-input").waitFor();
    await shot("sign-in");
    await byId("token-input").fill("not-the-admin-token");
    await byId("token-save").click();
    await byId("token-error").waitFor();
    expect(await byId("token-error").textContent()).toMatch(/not accepted/);
    await shot("wrong-token");
    await byId("token-input").fill(ADMIN_TOKEN);
    await byId("token-save").click();
    await byId("event-list").waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem("dropqueue:adminToken"))).toBe(ADMIN_TOKEN);
    // The dashboard has its own sign-in form: the token never travels in a URL.
    expect(await byId("queues-link").getAttribute("href")).toBe("/admin/queues");
    expect(await byId("docs-link").getAttribute("href")).toBe("/api/docs.html");
    await eventually(() => byId("live-status").getAttribute("data-state")).toBe("live");

    // Create: the API's validation errors show next to their fields.
    await byId("new-event").click();
    await byId("create-form").waitFor();
    await byId("product-sku-0").fill("bad sku!");
    await byId("product-name-0").fill("Runner sneaker");
    await byId("product-price-0").fill("120");
    await byId("product-stock-0").fill("30");
    await byId("create-submit").click();
    await byId("error-field-name").waitFor();
    expect(await byId("error-field-name").textContent()).toMatch(/Required/);
    expect(await byId("error-product-sku-0").textContent()).toMatch(/letters, digits/);
    await shot("create-errors");

    await byId("field-name").fill("Browser surge");
    await byId("field-admissionRate").fill("50");
    await byId("field-perUserLimit").fill("1");
    await byId("product-sku-0").fill("A");
    await byId("add-product").click();
    await byId("product-sku-1").fill("B");
    await byId("product-name-1").fill("Cap");
    await byId("product-price-1").fill("25.50");
    await byId("product-stock-1").fill("100");
    await shot("create-filled");
    await byId("create-submit").click();
    await byId("event-view").waitFor();
    await eventually(() => byId("event-status").getAttribute("data-status")).toBe("DRAFT");
    const eventId = (await byId("event-id").textContent())?.trim() ?? "";
    expect(eventId).toMatch(/^ev_/);
    await byId(`event-row-${eventId}`).waitFor();
    const created = await call("GET", `/api/admin/events/${eventId}`);
    expect(created.body).toMatchObject({ name: "Browser surge", admissionRate: 50, perUserLimit: 1 });
    expect(created.body.products).toEqual([
      expect.objectContaining({ sku: "A", priceCents: 12_000, total: 30 }),
      expect.objectContaining({ sku: "B", name: "Cap", priceCents: 2_550, total: 100 }),
    ]);
    expect(await byId("action-start").isEnabled()).toBe(true);
    expect(await byId("action-pause").isDisabled()).toBe(true);
    expect(await byId("action-resume").isDisabled()).toBe(true);
    await shot("created");

    // Start, then a small surge: 120 joins for the 30 A's, 80 for the 100 B's.
    await byId("action-start").click();
    await eventually(() => byId("event-status").getAttribute("data-status")).toBe("LIVE");
    expect(await byId("action-start").isDisabled()).toBe(true);
    expect(await byId("action-pause").isEnabled()).toBe(true);
    const joins = [
      ...Array.from({ length: 120 }, (_, i) => [`surge-a${i}`, "A"] as const),
      ...Array.from({ length: 80 }, (_, i) => [`surge-b${i}`, "B"] as const),
    ];
    let next = 0;
    const answered: number[] = [];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < joins.length) {
          const [userId, sku] = joins[next++] ?? ["", ""];
          answered.push((await join(eventId, userId, sku)).status);
        }
      }),
    );
    expect(answered.filter((s) => s === 202).length).toBeGreaterThan(100);

    // The figures move live, and the chart draws them.
    await eventually(() => numberOf(page, "stat-joins")).toBeGreaterThan(0);
    await eventually(() => numberOf(page, "stat-confirmed")).toBeGreaterThan(0);
    await eventually(() => numberOf(page, "chart", "data-points")).toBeGreaterThan(2);
    expect(await page.locator('[data-testid="chart"] polyline[data-series="Joins"]').count()).toBe(1);
    expect(await page.locator('[data-testid="chart"] polyline[data-series="A"]').count()).toBe(1);
    await shot("surge-live");
    await eventually(
      async () => [
        await numberOf(page, "stat-sold-A"),
        await numberOf(page, "stat-sold-B"),
        await numberOf(page, "stat-waiting"),
        await numberOf(page, "stat-processing"),
        await numberOf(page, "stat-remaining-A"),
      ],
      20_000,
    ).toEqual([30, 80, 0, 0, 0]);
    await eventually(() => numberOf(page, "stat-confirmed")).toBe(110);
    await shot("surge-done");

    // Stock: a change within the rules is saved; one below sold + reserved shows the rule's bounds.
    await byId("stock-input-B").fill("90");
    await byId("stock-save-B").click();
    await eventually(() => byId("stock-ok-B").textContent()).toMatch(/Saved/);
    await eventually(() => numberOf(page, "stat-total-B")).toBe(90);
    await byId("stock-input-A").fill("10");
    await byId("stock-save-A").click();
    await byId("stock-error").waitFor();
    expect(await byId("stock-error").getAttribute("data-sku")).toBe("A");
    expect(await byId("stock-error").textContent()).toMatch(/must stay at 30 \(30 are sold or reserved/);
    expect((await call("GET", `/api/admin/events/${eventId}`)).body.products[0].total).toBe(30);
    await shot("stock-rule");

    // Reconcile shows its report; orders and the ledger are listed.
    await byId("reconcile").click();
    await byId("reconcile-summary").waitFor();
    expect(await byId("reconcile-summary").textContent()).toMatch(/agree/);
    await byId("orders-refresh").click();
    await eventually(() => page.getByTestId("orders-row").count()).toBe(15);
    await eventually(() => byId("orders-next").isEnabled()).toBe(true);
    await byId("orders-next").click();
    await eventually(() => byId("orders-page").textContent()).toBe("Page 2");
    await eventually(() => page.getByTestId("ledger-row").count()).toBeGreaterThan(0);
    await shot("reconcile-orders-ledger");

    // Paused behind the page's back (its re-read held back): the page's own pause is the same
    // action sent again, which answers the event as it is (actions are idempotent): no error.
    const eventUrl = (url: URL) => url.pathname === `/api/admin/events/${eventId}`;
    const held: { continue(): Promise<void> }[] = [];
    let holding = true;
    await page.route(eventUrl, (route) => (holding ? void held.push(route) : route.continue()));
    expect((await call("POST", `/api/admin/events/${eventId}/pause`)).status).toBe(200);
    await byId("action-pause").click();
    holding = false;
    await Promise.all(held.map((route) => route.continue()));
    await page.unroute(eventUrl);
    await eventually(() => byId("event-status").getAttribute("data-status")).toBe("PAUSED");
    expect(await byId("action-error").isVisible()).toBe(false);
    await shot("paused-twice");
    await byId("action-resume").click();
    await eventually(() => byId("event-status").getAttribute("data-status")).toBe("LIVE");

    // Stop, after a confirmation.
    await byId("action-stop").click();
    await byId("stop-confirm").waitFor();
    await shot("stop-confirm", { fullPage: false });
    await byId("action-stop-confirm").click();
    await eventually(() => byId("event-status").getAttribute("data-status")).toBe("ENDED");
    for (const action of ["start", "pause", "resume", "stop"]) {
      expect(await byId(`action-${action}`).isDisabled()).toBe(true);
    }
    await eventually(() =>
      page.locator(`[data-testid="event-row-${eventId}"] [data-status]`).getAttribute("data-status"),
    ).toBe("ENDED");
    await shot("ended");

    // The same page on a phone: no sideways scrolling, and a look at each part.
    await page.setViewportSize(PHONE);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    for (const part of ["event-view", "stat-joins", "chart", "products-table", "orders"]) {
      await byId(part).scrollIntoViewIfNeeded();
      await shot(`phone-${part}`, { fullPage: false });
    }
    await byId("new-event").click();
    await byId("create-form").waitFor();
    await byId("add-product").scrollIntoViewIfNeeded();
    await shot("phone-create", { fullPage: false });
    await page.emulateMedia({ colorScheme: "dark" });
    await page.goBack(); // to the event again (#<id>)
    await byId("chart").scrollIntoViewIfNeeded();
    await shot("phone-dark", { fullPage: false });

    expect(errors).toEqual([]);
    await context.close();
  });
  it("admin: lists refunds and an event's dead letters, and retries each safely", async () => {
    // A purchase dead letter whose ticket has no outcome: no purchase worker serves it meanwhile.
    await stack.workers[0]?.close();
    const event = await liveEvent(stack.deps, {
      products: [{ sku: "A", name: "Sneaker", priceCents: 2_500, stock: 5 }],
    });
    const joined = await join(event.id, "dead-letter-shopper", "A");
    expect(joined.status).toBe(202);
    const ticketId: string = joined.body.ticketId;
    await failJobsForGood(stack.deps, event.id, 1);
    // A refund whose attempts ran out (the provider was away).
    const refundTicket = `t_refund_${Date.now()}`;
    await stack.deps.prisma.refund.create({
      data: {
        ticketId: refundTicket,
        eventId: event.id,
        userId: "refunded-shopper",
        amountCents: 2_500n,
        reason: "CANCELLED",
        status: "FAILED",
        attempts: 8,
        lastError: "payment provider unavailable",
      },
    });

    const { context, page, errors } = await openPage(LAPTOP);
    const { shot } = screenshots(page, "admin-dead-letters");
    const byId = (id: string) => page.getByTestId(id);
    await page.goto(`${stack.url}/admin.html`);
    await byId("token-input").fill(ADMIN_TOKEN);
    await byId("token-save").click();
    await byId("event-list").waitFor();

    // Refunds: status, amount, reason, attempts, last error; Retry on the FAILED one.
    await byId("refunds-link").click();
    await byId("refunds-view").waitFor();
    const refundRow = page.getByTestId("refunds-row").filter({ hasText: refundTicket });
    await refundRow.waitFor();
    expect(await refundRow.locator("[data-status]").getAttribute("data-status")).toBe("FAILED");
    const rowText = (await refundRow.textContent()) ?? "";
    expect(rowText).toMatch(/\$25\.00/);
    expect(rowText).toMatch(/CANCELLED/);
    expect(rowText).toMatch(/payment provider unavailable/);
    await shot("refunds-failed");
    await byId(`refund-retry-${refundTicket}`).click();
    await eventually(async () => {
      const row = await stack.deps.prisma.refund.findUnique({ where: { ticketId: refundTicket } });
      return row?.status;
    }).toMatch(/^(REFUNDED|NOT_CHARGED)$/);
    await byId("refunds-refresh").click();
    await eventually(() => refundRow.locator("[data-status]").getAttribute("data-status")).toMatch(
      /^(REFUNDED|NOT_CHARGED)$/,
    );
    expect(await byId(`refund-retry-${refundTicket}`).count()).toBe(0);
    await shot("refunds-retried");

    // The event's dead letters: the ticket without an outcome is retried, and ends CONFIRMED once.
    await page.goto(`${stack.url}/admin.html#${event.id}`);
    await byId(`dead-letter-retry-${ticketId}`).waitFor();
    expect(await page.getByTestId("dead-letters-row").count()).toBe(1);
    await shot("dead-letter");
    const pool = new PurchaseWorkerPool(stack.deps, new SimulatedPayment(), {
      concurrency: 8,
      syncEveryMs: 100,
    });
    await pool.start();
    stack.workers[0] = pool;
    await byId(`dead-letter-retry-${ticketId}`).click();
    await eventually(async () => {
      const t = await stack.deps.prisma.ticket.findUnique({ where: { id: ticketId } });
      return t?.status;
    }).toBe("CONFIRMED");
    expect(await stack.deps.prisma.order.count({ where: { ticketId } })).toBe(1);
    await byId("dead-letters-refresh").click();
    await byId("dead-letters-empty").waitFor({ state: "visible" });
    await shot("dead-letter-retried");

    expect(errors).toEqual([]);
    await context.close();
  });
});
