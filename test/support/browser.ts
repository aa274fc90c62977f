// Browser tests drive Debian's Chromium (/usr/bin/chromium) through playwright-core: no
// browser is ever downloaded (never `npx playwright install`). `.ci/run` installs the
// package when it is missing; the tests skip, saying why, only when it is not there.
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM_PATH);
export const NO_CHROMIUM_MESSAGE = `skipped: ${CHROMIUM_PATH} not found (apt-get install -y chromium; .ci/run does it)`;

// Headless, and nothing that would reach out to the network on its own.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Git-ignored (test-results/ in .gitignore). */
export const SCREENSHOT_DIR = path.join(ROOT, "test-results", "screenshots");

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: CHROMIUM_ARGS,
    headless: true,
    timeout: 20_000,
  });
}

export const PHONE = { width: 390, height: 844 };
export const LAPTOP = { width: 1280, height: 860 };

/**
 * Numbered full-page screenshots of one scenario: shot("waiting") writes
 * test-results/screenshots/<scenario>-02-waiting.png. Returns the paths written.
 */
export function screenshots(page: Page, scenario: string) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // A previous run's shots of this scenario would mix with this run's.
  for (const file of readdirSync(SCREENSHOT_DIR)) {
    if (file.startsWith(`${scenario}-`) && file.endsWith(".png")) rmSync(path.join(SCREENSHOT_DIR, file));
  }
  const written: string[] = [];
  let n = 0;
  return {
    written,
    async shot(name: string, opts: { fullPage?: boolean } = {}) {
      n += 1;
      const file = path.join(SCREENSHOT_DIR, `${scenario}-${String(n).padStart(2, "0")}-${name}.png`);
      await page.screenshot({ path: file, fullPage: opts.fullPage ?? true, animations: "disabled" });
      written.push(path.relative(ROOT, file));
    },
  };
}

/** Uncaught errors of the page's scripts and Content Security Policy refusals: a test asserts there were none. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.stack ?? err.message));
  page.on("console", (msg) => {
    if (msg.type() === "error" && /Content Security Policy/i.test(msg.text())) errors.push(msg.text());
  });
  return errors;
}
