// The admin page's catalog view (#locations) in a real browser (Debian's Chromium through
// playwright-core) against an in-process stack: an admin adds a product, a warehouse and a
// store, receives goods, moves some to the store, sees each location's stock, and the orders by
// channel once a till has sold. Screenshots go to test-results/screenshots/ (git-ignored).
import { randomBytes } from "node:crypto";
import type { Browser } from "playwright-core";
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

describe.skipIf(!hasChromium)(
  hasChromium ? "browser: catalog" : `browser: catalog (${NO_CHROMIUM_MESSAGE})`,
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

    const call = async (method: string, path: string, body: unknown, token = ADMIN_TOKEN) => {
      const res = await fetch(`${stack.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field
      return (await res.json()) as any;
    };

    it("admin: adds a product and two locations, receives, transfers, sees the stock and the till's orders", async () => {
      const context = await browser.newContext({ viewport: LAPTOP });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      const { shot } = screenshots(page, "admin-catalog");
      const byId = (id: string) => page.getByTestId(id);
      const tag = randomBytes(3).toString("hex");
      const sku = `cap-${tag}`;

      await page.goto(`${stack.url}/admin.html`);
      await byId("token-input").fill(ADMIN_TOKEN);
      await byId("token-save").click();
      await byId("locations-link").click();
      await byId("catalog-view").waitFor();

      await byId("loc-sku").fill(sku);
      await byId("loc-name").fill("Cap");
      await byId("loc-priceCents").fill("2500");
      await byId("product-form").locator("button").click();
      await expect.poll(() => byId("locations-message").textContent()).toBe("Product added.");
      for (const [name, kind] of [
        [`Depot ${tag}`, "WAREHOUSE"],
        [`Shop ${tag}`, "STORE"],
      ] as const) {
        await byId("loc-locationName").fill(name);
        await byId("loc-kind").selectOption(kind);
        await byId("location-form").locator("button").click();
        await expect.poll(() => byId("locations-list").textContent()).toContain(name);
      }
      const locations = await call("GET", "/api/admin/locations", undefined);
      const depot = locations.find((l: { name: string }) => l.name === `Depot ${tag}`).id;
      const shop = locations.find((l: { name: string }) => l.name === `Shop ${tag}`).id;

      await byId("loc-receiptTo").selectOption(depot);
      await byId("loc-receiptSku").fill(sku);
      await byId("loc-receiptQuantity").fill("40");
      await byId("receipt-form").locator("button").click();
      await expect.poll(() => byId("locations-message").textContent()).toBe("Goods received.");

      await byId("loc-from").selectOption(depot);
      await byId("loc-to").selectOption(shop);
      await byId("loc-transferSku").fill(sku);
      await byId("loc-transferQuantity").fill("50");
      await byId("transfer-form").locator("button").click();
      await expect.poll(() => byId("locations-message").textContent()).toMatch(/\(cap-/);
      await byId("loc-transferQuantity").fill("15");
      await byId("transfer-form").locator("button").click();
      await expect.poll(() => byId("locations-message").textContent()).toBe("Moved.");
      await shot("transferred");

      await byId("location-row")
        .filter({ hasText: `Shop ${tag}` })
        .click();
      await expect.poll(() => byId("location-stock").textContent()).toContain("15");
      await byId("location-row")
        .filter({ hasText: `Depot ${tag}` })
        .click();
      await expect.poll(() => byId("location-stock").textContent()).toContain("25");

      // A sale at the shop's till, then the orders at the tills.
      const key = (await call("POST", "/api/admin/service-keys", { name: "till", scopes: [`store:${shop}`] }))
        .key;
      await call(
        "POST",
        `/api/stores/${shop}/orders`,
        { reference: `t-${tag}`, lines: [{ sku, quantity: 2 }] },
        key,
      );
      await page.reload();
      await byId("catalog-view").waitFor();
      await byId("orders-channel").selectOption("OFFLINE");
      await expect.poll(() => byId("catalog-orders-list").textContent()).toContain(`t-${tag}`);
      await shot("orders");
      expect(errors).toEqual([]);
      await context.close();
    });
  },
);
