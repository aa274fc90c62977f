// The admin page's v2 views in a real browser (Debian's Chromium through playwright-core; the
// sibling of browser.test.ts, which is the event views'): an admin makes a service key, a stock
// and a coupon through the page, sees their figures move as a service takes with the key,
// is told why a total is refused, and revokes the key. Screenshots go to test-results/screenshots/.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, startTestStack, type TestStack } from "../support/app.js";
import {
  collectPageErrors,
  hasChromium,
  LAPTOP,
  launchBrowser,
  NO_CHROMIUM_MESSAGE,
  screenshots,
} from "../support/browser.js";

if (!hasChromium) console.warn(`[browser tests] ${NO_CHROMIUM_MESSAGE}`);

describe.skipIf(!hasChromium)(
  hasChromium ? "browser: stocks" : `browser: stocks (${NO_CHROMIUM_MESSAGE})`,
  () => {
    let stack: TestStack;
    let browser: Browser;

    beforeAll(async () => {
      [stack, browser] = await Promise.all([startTestStack({ workerPools: 0 }), launchBrowser()]);
    });
    afterAll(async () => {
      await browser?.close();
      await stack?.close();
    });

    const eventually = <T>(read: () => Promise<T>, timeout = 10_000) =>
      expect.poll(read, { timeout, interval: 100 });

    async function serviceCall(key: string, method: string, path: string, body?: unknown) {
      const res = await fetch(`${stack.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
      return { status: res.status, body: (await res.json().catch(() => null)) as any };
    }

    /** The data-value of a figure (a number, or "unlimited"). */
    const value = (page: Page, testId: string) =>
      page.getByTestId(testId).getAttribute("data-value", { timeout: 5_000 });

    it("admin: makes a service key, a stock and a coupon through the page and sees their figures move", async () => {
      const context = await browser.newContext({ viewport: LAPTOP });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      const { shot } = screenshots(page, "admin-stocks");
      const byId = (id: string) => page.getByTestId(id);
      // The test database keeps earlier runs' stocks, coupons and keys: this run's are named apart.
      const run = Date.now().toString(36);

      await page.goto(`${stack.url}/admin.html`);
      await byId("token-input").fill(ADMIN_TOKEN);
      await byId("token-save").click();
      await byId("event-list").waitFor();

      // A form with nothing in it says what is missing, before asking the API.
      await byId("stocks-link").click();
      await byId("stocks-view").waitFor();
      await byId("stock-form-submit").click();
      await byId("stock-form-error-name").waitFor();
      expect(await byId("stock-form-error-total").textContent()).toMatch(/Unlimited/);

      // A stock: 10 units, 3 a user, held 60 s. It shows as DRAFT, then LIVE after Confirm.
      await byId("stock-form-name").fill(`Spring voucher ${run}`);
      await byId("stock-form-total").fill("10");
      await byId("stock-form-perUserLimit").fill("3");
      await byId("stock-form-holdSeconds").fill("60");
      await byId("stock-form-submit").click();
      const stockRow = page.locator(`[data-testid^="stock-row-"][data-name="Spring voucher ${run}"]`);
      await stockRow.waitFor();
      const stockId = ((await stockRow.getAttribute("data-testid")) ?? "").replace("stock-row-", "");
      expect(await byId(`stock-status-${stockId}`).getAttribute("data-status")).toBe("DRAFT");
      await byId(`stock-confirm-${stockId}`).click();
      await eventually(() => byId(`stock-status-${stockId}`).getAttribute("data-status")).toBe("LIVE");

      // A service key made through the page, shown once with a copy button.
      await byId("service-keys-link").click();
      await byId("service-key-form-name").fill(`shop checkout ${run}`);
      await byId("service-key-form-scopes-stocks").check();
      await byId("service-key-form-scopes-coupons").check();
      await byId("service-key-form-submit").click();
      await byId("new-key").waitFor();
      expect(await byId("new-key").textContent()).toMatch(/will not be shown again/);
      const key = ((await byId("new-key-value").textContent()) ?? "").trim();
      expect(key).toMatch(/^dqk_/);
      const keyRow = byId("service-keys-row").filter({ hasText: `shop checkout ${run}` });
      await keyRow.waitFor();
      await shot("service-key-made");

      // A service takes 4 units (HELD) and confirms 1 of them: the page shows held 3, taken 1.
      for (const [reference, quantity] of [
        ["order-1", 1],
        ["order-2", 3],
      ] as const) {
        const taken = await serviceCall(key, "POST", `/api/stocks/${stockId}/takes`, {
          reference,
          userId: `u-${reference}`,
          quantity,
        });
        expect(taken.status).toBe(201);
      }
      expect((await serviceCall(key, "POST", `/api/stocks/${stockId}/takes/order-1/confirm`)).status).toBe(
        200,
      );
      await byId("stocks-link").click();
      await eventually(() => value(page, `stock-remaining-${stockId}`)).toBe("6");
      expect(await value(page, `stock-held-${stockId}`)).toBe("3");
      expect(await value(page, `stock-taken-${stockId}`)).toBe("1");
      expect(await value(page, `stock-total-${stockId}`)).toBe("10");

      // Below what is held and taken: refused, and the page says why under the stock's row.
      await byId(`stock-total-input-${stockId}`).fill("2");
      await byId(`stock-total-save-${stockId}`).click();
      await byId("stock-total-error").waitFor();
      expect(await byId("stock-total-error").textContent()).toMatch(/Not allowed: .*at least 4/);
      await shot("stocks-total-refused");
      // Within the rule: accepted.
      await byId(`stock-total-input-${stockId}`).fill("8");
      await byId(`stock-total-save-${stockId}`).click();
      await eventually(() => value(page, `stock-total-${stockId}`)).toBe("8");
      expect(await byId("stock-total-error").isVisible()).toBe(false);
      await byId(`stock-sync-${stockId}`).click();
      await eventually(() => byId(`stock-synced-${stockId}`).textContent()).not.toBe("never");
      await byId(`stock-ledger-${stockId}`).click();
      await eventually(() => page.getByTestId("stock-ledger-row").count()).toBeGreaterThanOrEqual(4);
      await shot("stocks");

      // A coupon: 100 issues, unlimited uses; confirmed; issued twice and redeemed once by the service.
      await byId("coupons-link").click();
      await byId("coupon-form-name").fill(`WELCOME10 ${run}`);
      await byId("coupon-form-issueTotal").fill("100");
      await byId("coupon-form-useTotal-unlimited").check();
      await byId("coupon-form-perUserIssueLimit").fill("1");
      await byId("coupon-form-submit").click();
      const couponRow = page.locator(`[data-testid^="coupon-row-"][data-name="WELCOME10 ${run}"]`);
      await couponRow.waitFor();
      const couponId = ((await couponRow.getAttribute("data-testid")) ?? "").replace("coupon-row-", "");
      expect(await value(page, `coupon-use-total-${couponId}`)).toBe("unlimited");
      await byId(`coupon-confirm-${couponId}`).click();
      await eventually(() => byId(`coupon-status-${couponId}`).getAttribute("data-status")).toBe("LIVE");
      const codes: string[] = [];
      for (const userId of ["ana", "ben"]) {
        const issued = await serviceCall(key, "POST", `/api/coupons/${couponId}/issues`, {
          userId,
          reference: `issue-${userId}`,
        });
        expect(issued.status).toBe(201);
        codes.push(issued.body.code);
      }
      expect(
        (await serviceCall(key, "POST", `/api/coupon-codes/${codes[0]}/redeem`, { orderReference: "o-1" }))
          .status,
      ).toBe(200);
      await byId("coupons-refresh").click();
      await eventually(() => value(page, `coupon-issue-remaining-${couponId}`)).toBe("98");
      expect(await value(page, `coupon-issue-taken-${couponId}`)).toBe("2");
      expect(await value(page, `coupon-use-taken-${couponId}`)).toBe("1");
      expect(await value(page, `coupon-use-remaining-${couponId}`)).toBe("unlimited");
      await byId(`coupon-sync-${couponId}`).click();
      await eventually(() => byId(`coupon-synced-${couponId}`).textContent()).not.toBe("never");
      await shot("coupons");

      // Revoking the key: it stops working at once.
      await byId("service-keys-link").click();
      const revoke = keyRow.locator('[data-testid^="service-key-revoke-"]');
      await revoke.click();
      await keyRow.locator('[data-testid^="service-key-revoked-"]').waitFor();
      expect((await serviceCall(key, "GET", `/api/stocks/${stockId}`)).status).toBe(401);
      expect(await byId("new-key").isVisible()).toBe(false); // leaving the view forgot the key
      await shot("service-keys");

      expect(errors).toEqual([]);
      await context.close();
    });

    it("admin: empty lists say so, the API's errors read as sentences, its field errors sit by their fields", async () => {
      const context = await browser.newContext({ viewport: LAPTOP });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      const { shot } = screenshots(page, "admin-stocks-empty");
      const byId = (id: string) => page.getByTestId(id);
      // The shared test database has rows: the lists are answered empty here.
      for (const list of ["stocks", "service-keys"])
        await page.route(`**/api/admin/${list}`, (route) =>
          route.request().method() === "GET" ? route.fulfill({ json: [] }) : route.fallback(),
        );
      await page.route("**/api/admin/coupons", (route) =>
        route.fulfill({
          status: 503,
          json: {
            error: { code: "SERVICE_UNAVAILABLE", message: "Redis is not reachable; try again shortly" },
          },
        }),
      );
      await page.goto(`${stack.url}/admin.html#stocks`);
      await byId("token-input").fill(ADMIN_TOKEN);
      await byId("token-save").click();
      await byId("stocks-empty").waitFor();
      expect(await byId("stocks-table").isVisible()).toBe(false);

      // The API's own field errors: an end before the start is shown under "Ends at".
      await byId("stock-form-name").fill("Backwards");
      await byId("stock-form-total").fill("5");
      await byId("stock-form-startsAt").fill("2030-01-02T10:00");
      await byId("stock-form-endsAt").fill("2030-01-01T10:00");
      await byId("stock-form-submit").click();
      expect(await byId("stock-form-error-endsAt").textContent()).toBe("Must be after “Starts at”.");
      expect(await byId("stock-form-error").textContent()).toMatch(/fix the fields/);
      await shot("stocks-empty-field-error");

      await byId("coupons-link").click();
      await byId("coupons-error").waitFor();
      expect(await byId("coupons-empty").isVisible()).toBe(false); // unknown is not empty
      expect(await byId("coupons-error").textContent()).toBe(
        "Couldn't load the coupons: Redis is not reachable; try again shortly",
      );
      await shot("coupons-error");
      await byId("service-keys-link").click();
      await byId("service-keys-empty").waitFor();
      await shot("service-keys-empty");
      expect(errors).toEqual([]);
      await context.close();
    });
  },
);
