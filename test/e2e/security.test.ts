// The HTTP edge (src/http/security.ts): helmet's headers on every answer with a Content
// Security Policy the pages work under (checked in Chromium when it is installed), CORS
// by CORS_ORIGINS for the API and Socket.IO, bodies other than JSON or over the limit
// refused in the contract's shape, and X-Forwarded-For believed only as TRUST_PROXY says.
import { readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Config, ConfigError, loadConfig } from "../../src/config.js";
import { type ApiServer, startApiServer } from "../../src/http/api-server.js";
import { BODY_LIMIT_BYTES } from "../../src/http/security.js";
import { ADMIN_TOKEN, liveEvent, startTestStack, type TestStack } from "../support/app.js";
import { hasChromium, launchBrowser, NO_CHROMIUM_MESSAGE } from "../support/browser.js";

const SHOP = "https://shop.example";
const PUBLIC_DIR = fileURLToPath(new URL("../../public", import.meta.url));

let stack: TestStack;
/** Extra API servers on the same dependencies with another edge config. */
const extra: ApiServer[] = [];

beforeAll(async () => {
  stack = await startTestStack({ workerPools: 1, env: { CORS_ORIGINS: SHOP } });
});
afterAll(async () => {
  await Promise.all(extra.map((s) => s.close()));
  await stack.close();
});

/** Another API process (as far as HTTP goes) with the security and rate-limit settings changed. */
async function serverWith(security: Partial<Config["security"]>, rateLimitPerSecond = 0): Promise<string> {
  const { config } = stack.deps;
  const server = await startApiServer(
    {
      ...stack.deps,
      config: {
        ...config,
        security: { ...config.security, ...security },
        defaults: { ...config.defaults, rateLimitPerSecond },
      },
    },
    { port: 0, host: "127.0.0.1" },
  );
  extra.push(server);
  return server.url;
}

async function call(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body };
}

function expectError(res: { status: number; body: unknown }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toMatchObject({ error: { code, message: expect.any(String) } });
}

/** The directives of a Content-Security-Policy header. */
function directives(header: string | null): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of (header ?? "").split(";")) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) map.set(name, values);
  }
  return map;
}

const product = { sku: "A", name: "Sneaker", priceCents: 12000, stock: 5 };

describe("security headers", () => {
  it("every answer (page, JSON, error) carries helmet's headers", async () => {
    for (const p of ["/", "/admin.html", "/api/events/ev_missing", "/healthz", "/no/such/route"]) {
      const { headers } = await call(`${stack.url}${p}`);
      expect(headers.get("x-content-type-options"), p).toBe("nosniff");
      expect(headers.get("x-frame-options"), p).toBe("DENY");
      expect(headers.get("referrer-policy"), p).toBe("no-referrer");
      expect(headers.get("cross-origin-opener-policy"), p).toBe("same-origin");
      expect(headers.get("cross-origin-resource-policy"), p).toBe("same-origin");
      expect(headers.get("strict-transport-security"), p).toMatch(/^max-age=\d+$/);
      expect(headers.get("x-powered-by"), p).toBeNull();
      const csp = directives(headers.get("content-security-policy"));
      expect(csp.get("default-src"), p).toEqual(["'self'"]);
      expect(csp.get("script-src"), p).toEqual(["'self'"]);
      expect(csp.get("script-src-attr"), p).toEqual(["'none'"]);
      expect(csp.get("object-src"), p).toEqual(["'none'"]);
      expect(csp.get("frame-ancestors"), p).toEqual(["'none'"]);
      // Served over plain HTTP by the demo and compose: no upgrade of same-origin requests.
      expect(csp.has("upgrade-insecure-requests"), p).toBe(false);
    }
  });

  it("the pages need nothing the CSP refuses: same-origin scripts and styles only, no inline code", async () => {
    const pages = readdirSync(PUBLIC_DIR).filter((f) => f.endsWith(".html"));
    expect(pages).toEqual(expect.arrayContaining(["index.html", "admin.html"]));
    for (const page of pages) {
      const html = readFileSync(path.join(PUBLIC_DIR, page), "utf8");
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
      expect(scripts.length, page).toBeGreaterThan(0);
      for (const [, attrs = "", body = ""] of scripts) {
        expect(body.trim(), `${page}: inline script`).toBe("");
        const src = /\bsrc="([^"]+)"/.exec(attrs)?.[1];
        expect(src, `${page}: script without src`).toMatch(/^\/[^/]/);
        expect((await call(`${stack.url}${src}`)).status, `${page}: ${src}`).toBe(200);
      }
      expect(html, `${page}: inline style`).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
      for (const [, href] of html.matchAll(/<link\b[^>]*\bhref="([^"]+)"/gi)) {
        expect(href, `${page}: ${href}`).toMatch(/^\/[^/]/);
        expect((await call(`${stack.url}${href}`)).status, `${page}: ${href}`).toBe(200);
      }
    }
    // The client scripts build no code from strings (script-src has no 'unsafe-eval').
    const scriptsIn = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
        d.isDirectory()
          ? scriptsIn(path.join(dir, d.name))
          : d.name.endsWith(".js")
            ? [path.join(dir, d.name)]
            : [],
      );
    for (const file of scriptsIn(PUBLIC_DIR)) {
      expect(readFileSync(file, "utf8"), file).not.toMatch(/\beval\(|new Function\(|\.innerHTML\s*=/);
    }
  });

  it("the API docs page is Swagger UI's files under the pages' CSP: no inline code, nothing from elsewhere", async () => {
    const res = await fetch(`${stack.url}/api/docs.html`);
    const html = await res.text();
    const csp = directives(res.headers.get("content-security-policy"));
    expect(csp.get("script-src")).toEqual(["'self'"]);
    expect(csp.get("style-src")).toEqual(["'self'"]);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs = "", body = ""] of scripts) {
      expect(body.trim(), "inline script").toBe("");
      const src = /\bsrc="([^"]+)"/.exec(attrs)?.[1];
      expect(src).toMatch(/^\/[^/]/);
      expect((await call(`${stack.url}${src}`)).status, src).toBe(200);
    }
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
  });
});

describe.skipIf(!hasChromium)(
  hasChromium ? "the CSP in a browser" : `the CSP in a browser (${NO_CHROMIUM_MESSAGE})`,
  () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchBrowser();
    });
    afterAll(() => browser?.close());

    /** Opens a page and returns the CSP violations it met (none may be the pages' own). */
    async function visit(url: string, ready: () => boolean) {
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on("console", (msg) => {
        if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text());
      });
      await page.addInitScript(() => {
        document.addEventListener("securitypolicyviolation", (e) => {
          console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`);
        });
      });
      await page.goto(url);
      // A function, not a string: Playwright evaluates strings with eval, which the CSP refuses.
      await page.waitForFunction(ready, undefined, { timeout: 10_000 });
      return { page, violations };
    }

    it("the shopper page loads its scripts and styles, and its socket reaches the server", async () => {
      const event = await liveEvent(stack.deps, { products: [product] });
      const { page, violations } = await visit(
        `${stack.url}/?event=${event.id}`,
        () => "io" in window && getComputedStyle(document.body).fontFamily !== "",
      );
      // A WebSocket to the same host under connect-src 'self': refused for its token, not by the CSP.
      const code = await page.evaluate(
        () =>
          new Promise<string>((resolve) => {
            // biome-ignore lint/suspicious/noExplicitAny: the page's global from socket.io.min.js
            const sock = (window as any).io({ path: "/socket.io", transports: ["websocket"], auth: {} });
            sock.on("connect_error", (err: { data?: { code?: string } }) => {
              sock.close();
              resolve(err.data?.code ?? "none");
            });
          }),
      );
      expect(code).toBe("UNAUTHORIZED");
      expect(violations).toEqual([]);
      await page.close();
    });

    it("the admin page, the API docs page and the queue dashboard render without a violation", async () => {
      const pages: [string, () => boolean][] = [
        [
          `${stack.url}/admin.html`,
          () => "io" in window && document.getElementById("gate")?.hidden === false,
        ],
        [`${stack.url}/api/docs.html`, () => document.querySelectorAll(".opblock").length > 10],
      ];
      for (const [url, ready] of pages) {
        const { page, violations } = await visit(url, ready);
        expect(violations, url).toEqual([]);
        await page.close();
      }
      // The dashboard: its sign-in form (the token in a POST body), then the board itself.
      const { page, violations } = await visit(
        `${stack.url}/admin/queues`,
        () => document.querySelector("form input[name=token]") !== null,
      );
      await page.fill("input[name=token]", ADMIN_TOKEN);
      await page.click("#sign-in");
      await page.waitForFunction(() => document.querySelector("#root header") !== null, undefined, {
        timeout: 10_000,
      });
      expect(page.url()).toBe(`${stack.url}/admin/queues`);
      expect(violations).toEqual([]);
      await page.close();
    });
  },
);

describe("CORS", () => {
  const preflight = (url: string, origin: string) =>
    call(`${url}/api/events/ev_x/tickets`, {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });

  it("an origin in CORS_ORIGINS may read the API's answers (errors too) and send JSON", async () => {
    const event = await liveEvent(stack.deps, { products: [product] });
    const ok = await call(`${stack.url}/api/events/${event.id}`, { headers: { origin: SHOP } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(ok.headers.get("access-control-expose-headers")).toContain("Retry-After");
    expect(ok.headers.get("vary")).toMatch(/Origin/i);

    const refused = await call(`${stack.url}/api/events/ev_missing`, { headers: { origin: SHOP } });
    expectError(refused, 404, "NOT_FOUND");
    expect(refused.headers.get("access-control-allow-origin")).toBe(SHOP);

    const pre = await preflight(stack.url, SHOP);
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe(SHOP);
    expect(pre.headers.get("access-control-allow-methods")).toContain("POST");
    expect(pre.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("content-type");
    expect(pre.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("any other origin gets no Access-Control-Allow-Origin, from the API or the preflight", async () => {
    for (const origin of [
      "https://evil.example",
      "https://shop.example.evil.example",
      "null",
      `${SHOP}:8443`,
    ]) {
      const res = await call(`${stack.url}/api/events/ev_missing`, { headers: { origin } });
      expectError(res, 404, "NOT_FOUND");
      expect(res.headers.get("access-control-allow-origin"), origin).toBeNull();
      const pre = await preflight(stack.url, origin);
      expect(pre.headers.get("access-control-allow-origin"), origin).toBeNull();
      expect(pre.headers.get("access-control-allow-methods"), origin).toBeNull();
    }
  });

  it("without CORS_ORIGINS (the default) the API is same-origin only", async () => {
    const url = await serverWith({ corsOrigins: [] });
    const res = await call(`${url}/api/events/ev_missing`, { headers: { origin: SHOP } });
    expectError(res, 404, "NOT_FOUND");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect((await preflight(url, SHOP)).headers.get("access-control-allow-origin")).toBeNull();
    // A same-origin page's requests (which carry its own Origin) are not refused.
    const own = await call(`${url}/api/events/ev_missing`, { headers: { origin: url } });
    expectError(own, 404, "NOT_FOUND");
  });

  it("Socket.IO's polling transport follows the same list", async () => {
    const handshake = (url: string, origin: string) =>
      call(`${url}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });
    const allowed = await handshake(stack.url, SHOP);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(SHOP);
    const other = await handshake(stack.url, "https://evil.example");
    expect(other.headers.get("access-control-allow-origin")).not.toBe("https://evil.example");
    const sameOriginOnly = await serverWith({ corsOrigins: [] });
    expect((await handshake(sameOriginOnly, SHOP)).headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("request bodies", () => {
  const post = (body: BodyInit, headers: Record<string, string>) =>
    call(`${stack.url}/api/admin/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers },
      body,
    });

  it("a JSON body over the limit is 413 in the contract's shape, whether announced or streamed", async () => {
    const huge = JSON.stringify({ name: "x".repeat(BODY_LIMIT_BYTES), products: [product] });
    expectError(await post(huge, { "content-type": "application/json" }), 413, "VALIDATION_FAILED");
    // Chunked (no Content-Length): counted while read, refused at the limit.
    const chunks = [huge.slice(0, 1000), huge.slice(1000)];
    const stream = new ReadableStream({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(new TextEncoder().encode(next));
      },
    });
    const streamed = await call(`${stack.url}/api/admin/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expectError(streamed, 413, "VALIDATION_FAILED");
    // Just under the limit is read (and then validated).
    const under = JSON.stringify({ name: "x", products: [product], pad: "y".repeat(BODY_LIMIT_BYTES - 200) });
    expectError(await post(under, { "content-type": "application/json" }), 400, "VALIDATION_FAILED");
  });

  it("a body of any other type is refused, never left unread behind a route", async () => {
    const cases: [BodyInit, Record<string, string>][] = [
      ['{"name":"x"}', { "content-type": "text/plain" }],
      ["name=x&products=1", { "content-type": "application/x-www-form-urlencoded" }],
      [
        "--b\r\nContent-Disposition: form-data; name=x\r\n\r\n1\r\n--b--",
        { "content-type": "multipart/form-data; boundary=b" },
      ],
      ["<event/>", { "content-type": "application/xml" }],
      [new Uint8Array(BODY_LIMIT_BYTES * 4), { "content-type": "application/octet-stream" }],
      ['{"name":"x"}', { "content-type": "application/json; charset=latin1" }],
    ];
    for (const [body, headers] of cases) {
      const res = await post(body, headers);
      // JSON in another charset is body-parser's 415; any other type is the contract's 400.
      expectError(
        res,
        headers["content-type"]?.startsWith("application/json") ? 415 : 400,
        "VALIDATION_FAILED",
      );
      expect((res.body as { error: { message: string } }).error.message).toMatch(/JSON|UTF-8/);
    }
    // No Content-Type at all: fetch sends text/plain for a string; a raw request sends none.
    const untyped = await new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const req = request(
        `${stack.url}/api/events/ev_x/tickets`,
        { method: "POST", headers: { "content-length": "2" } },
        (res) => {
          let text = "";
          res.on("data", (c) => {
            text += c;
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      req.on("error", reject);
      req.end("{}");
    });
    expectError(untyped, 400, "VALIDATION_FAILED");
    // Bodiless POSTs (lifecycle actions, cancel) are unaffected.
    const event = await liveEvent(stack.deps, { products: [product] }, { start: false });
    const started = await call(`${stack.url}/api/admin/events/${event.id}/start`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(started.status).toBe(200);
  });
});

describe("trust proxy", () => {
  const join = (url: string, eventId: string, userId: string, forwardedFor: string) =>
    call(`${url}/api/events/${eventId}/tickets`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": forwardedFor },
      body: JSON.stringify({ userId, sku: "A" }),
    });

  it("by default X-Forwarded-For is not believed: a client cannot dodge its rate limit", async () => {
    const event = await liveEvent(stack.deps, { products: [{ ...product, stock: 100 }] });
    const url = await serverWith({ trustProxy: false }, 1);
    const a = await join(url, event.id, "tp-a", "203.0.113.1");
    const b = await join(url, event.id, "tp-b", "203.0.113.2");
    expect(a.status).toBe(202);
    expectError(b, 429, "RATE_LIMITED");
  });

  it("behind a trusted proxy the forwarded client address keys the limit", async () => {
    const event = await liveEvent(stack.deps, { products: [{ ...product, stock: 100 }] });
    const url = await serverWith({ trustProxy: 1 }, 1);
    // What nginx sends: whatever the client claimed, then the address nginx saw.
    expect((await join(url, event.id, "tp-c", "6.6.6.6, 198.51.100.1")).status).toBe(202);
    expect((await join(url, event.id, "tp-d", "6.6.6.7, 198.51.100.2")).status).toBe(202);
    // The same real client lying about the first hop is still itself.
    expectError(await join(url, event.id, "tp-e", "7.7.7.7, 198.51.100.1"), 429, "RATE_LIMITED");
  });

  it("config: TRUST_PROXY and CORS_ORIGINS are parsed and checked", () => {
    const refused = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error(`accepted ${JSON.stringify(env)}`);
    };
    expect(loadConfig({}).security).toEqual({
      corsOrigins: [],
      trustProxy: false,
      socketsPerClient: 200,
      // The contract's "after 20 failures within a minute".
      adminFailuresPerMinute: 20,
      serviceRequestsPerSecond: 5000,
    });
    expect(loadConfig({ TRUST_PROXY: "" }).security.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "false" }).security.trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "1" }).security.trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: "loopback, 10.0.0.0/8, fd00::/8" }).security.trustProxy).toEqual([
      "loopback",
      "10.0.0.0/8",
      "fd00::/8",
    ]);
    expect(refused({ TRUST_PROXY: "true" })).toMatch(/TRUST_PROXY: .*number of proxies/);
    expect(refused({ TRUST_PROXY: "10.0.0.0/33" })).toMatch(/TRUST_PROXY/);
    expect(refused({ TRUST_PROXY: "nginx" })).toMatch(/TRUST_PROXY/);

    expect(
      loadConfig({ CORS_ORIGINS: "https://Shop.example:443/, http://localhost:5173" }).security.corsOrigins,
    ).toEqual(["https://shop.example", "http://localhost:5173"]);
    expect(loadConfig({ CORS_ORIGINS: "*" }).security.corsOrigins).toEqual(["*"]);
    expect(refused({ CORS_ORIGINS: "shop.example" })).toMatch(/CORS_ORIGINS/);
    expect(refused({ CORS_ORIGINS: "https://shop.example/path" })).toMatch(/CORS_ORIGINS/);
    expect(refused({ CORS_ORIGINS: "*, https://shop.example" })).toMatch(/CORS_ORIGINS/);
  });
});
