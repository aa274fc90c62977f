// What the fuzz files share (test/e2e/fuzz-*.test.ts): raw requests over node:http (any path
// bytes, any body), the property every answer must hold (never a 5xx; a 4xx in the contract's
// error shape with a code that fits its status, no stack trace), and hostile strings, header
// values and path segments.
import http from "node:http";
import fc from "fast-check";
import { expect } from "vitest";
import { ERROR_STATUS } from "../../src/errors.js";

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** A sender to one base URL over a keep-alive agent: raw paths and any body bytes. */
export function createSender(baseUrl: () => string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  function send(
    method: string,
    path: string,
    opts: { headers?: Record<string, string>; body?: string } = {},
  ): Promise<Answer> {
    const headers = { ...opts.headers };
    if (opts.body !== undefined) headers["content-length"] = String(Buffer.byteLength(opts.body));
    return new Promise((resolve, reject) => {
      const req = http.request(`${baseUrl()}${path}`, { method, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString(),
          }),
        );
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(opts.body);
    });
  }
  return { send, close: () => agent.destroy() };
}

/** The statuses each code may come with: the contract's, and the body parser's 413/415/431. */
const STATUSES: Record<string, number[]> = Object.fromEntries(
  Object.entries(ERROR_STATUS)
    .filter(([, status]) => status < 500)
    .map(([code, status]) => [code, code === "VALIDATION_FAILED" ? [status, 413, 415, 431] : [status]]),
);

/** Never a 5xx; a 4xx is `{"error":{"code","message","details"?}}` with a code that fits. */
export function expectSane(res: Answer, what: string) {
  const where = `${what} → ${res.status} ${res.text.slice(0, 300)}`;
  expect(res.status, where).toBeGreaterThanOrEqual(200);
  expect(res.status, where).toBeLessThan(500);
  if (res.status < 400) return;
  expect(res.headers["content-type"], where).toMatch(/^application\/json/);
  const body = JSON.parse(res.text);
  expect(Object.keys(body), where).toEqual(["error"]);
  const { code, message, details, ...rest } = body.error;
  expect(rest, where).toEqual({});
  expect(typeof message, where).toBe("string");
  expect(STATUSES[code], where).toContain(res.status);
  if (details !== undefined) expect(typeof details === "object" && details !== null, where).toBe(true);
  expect(res.text, where).not.toMatch(/\.ts:\d+|node_modules|at [\w.]+ \(/);
}

/** fast-check at a fixed seed, bounded runs, stopping at the first failure. */
export const checkWith =
  (seed: number) =>
  <Ts extends [unknown, ...unknown[]]>(prop: fc.IAsyncProperty<Ts>, numRuns: number) =>
    fc.assert(prop, { seed, numRuns, endOnFailure: true });

const ODD = [
  "",
  " ",
  "\u0000",
  "\u202e",
  "💥",
  "%",
  "..",
  "\n",
  "__proto__",
  "constructor",
  "NaN",
  "-1",
  "null",
];

/** Strings a careless parser trips on: binary, control and bidi characters, prototype names, long runs. */
export const oddString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom(...ODD),
  fc.integer({ min: 190, max: 3000 }).map((n) => "u".repeat(n)),
);

/** Printable ASCII: what a header value may carry. */
export const headerText = (max: number) =>
  fc.string({
    unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
    maxLength: max,
  });

/**
 * A path segment of any shape: well-formed ids, a real one in other cases and with a trailing
 * slash, encoded characters (slashes, NUL, dots, malformed escapes), very long ids, and odd strings.
 */
export function pathSegment(real: string[]) {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...real) },
    fc
      .constantFrom(...real)
      .chain((id) =>
        fc.constantFrom(
          id.toUpperCase(),
          id.toLowerCase(),
          `${id}/`,
          `${id}//`,
          `${id}%2F`,
          `${id}%20`,
          encodeURIComponent(` ${id}`),
          `${id}.json`,
          `${id}?x=1`,
          `${id}#frag`,
          `${id}%00`,
          `${id};x`,
        ),
      ),
    fc.constantFrom(
      "%00",
      "..",
      "%2e%2e",
      "%2F",
      "%zz",
      "%",
      "a".repeat(65),
      "a".repeat(5000),
      "__proto__",
      "constructor",
    ),
    fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
    oddString.map(encodeURIComponent),
  );
}

/** A query string: none, repeated keys, arrays, huge values, odd encodings. */
export const queryString = fc.oneof(
  { weight: 3, arbitrary: fc.constant("") },
  fc.constantFrom(
    "?",
    "?limit=5",
    "?limit=0",
    "?limit=-1",
    "?limit=1e9",
    "?limit=abc",
    "?limit=5&limit=6",
    "?limit[]=5",
    "?cursor=1",
    "?cursor=-1",
    "?cursor=999999999999999999999",
    "?cursor=%00",
    "?cursor=1&cursor=2",
    "?cursor[a]=1",
    "?__proto__[x]=1",
    "?%zz",
    `?cursor=${"9".repeat(3000)}`,
    "?unknown=1",
  ),
  fc
    .dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 3 })
    .map((d) => `?${new URLSearchParams(d)}`),
);

/** ISO times: good ones, ones PostgreSQL cannot hold (year 0), out of JavaScript's range, and impossible dates. */
export const isoTime = fc.constantFrom(
  "2026-12-05T10:00:00Z",
  "2030-01-01T00:00:00+02:00",
  "2020-01-01T00:00:00Z",
  "0000-01-01T00:00:00Z",
  "9999-12-31T23:59:59.999Z",
  "+275760-09-13T00:00:00.000Z",
  "2026-13-45T25:61:61Z",
  "2026-02-30T00:00:00Z",
  "2026-12-05T10:00:00+99:99",
  "2026-12-05",
);
