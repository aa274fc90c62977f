// The pages' shape (public/, ES modules without a build step): small files, every relative
// import resolves, and the API's paths, socket event names and statuses written in one
// module (lib/contract.js) that both pages use. No I/O beyond reading the files.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PUBLIC = fileURLToPath(new URL("../../public", import.meta.url));
const CONTRACT = "lib/contract.js";

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? files(path.join(dir, d.name)) : [path.join(dir, d.name)],
  );
const sources = files(PUBLIC).filter((f) => /\.(js|css|html)$/.test(f));
const scripts = sources.filter((f) => f.endsWith(".js"));
const rel = (f: string) => path.relative(PUBLIC, f);
/** The code of a script without its comments (a comment may name an event). */
const code = (f: string) =>
  readFileSync(f, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");

describe("public/", () => {
  it("has no file over 400 lines", () => {
    const long = sources
      .map((f) => [rel(f), readFileSync(f, "utf8").split("\n").length] as const)
      .filter(([, lines]) => lines > 400);
    expect(long).toEqual([]);
  });

  it("every relative import of a script names a file that exists", () => {
    for (const file of scripts) {
      for (const [, target = ""] of code(file).matchAll(/\bfrom\s+"(\.{1,2}\/[^"]+)"/g)) {
        expect(existsSync(path.resolve(path.dirname(file), target)), `${rel(file)} → ${target}`).toBe(true);
      }
    }
  });

  it("API paths, socket event names and final statuses are written only in lib/contract.js", () => {
    const literal = /["'`](\/api\/|\/admin\/queues|queue:position|ticket:result|event:stats)/;
    const offenders = scripts.filter((f) => rel(f) !== CONTRACT && literal.test(code(f))).map(rel);
    expect(offenders).toEqual([]);
    for (const page of ["shop.js", "admin.js"]) {
      const uses = (f: string) => /from\s+"(\.\/|\.\.\/)lib\/contract\.js"/.test(code(f));
      const own = scripts.filter((f) => rel(f) === page || rel(f).startsWith(`${page.replace(".js", "")}/`));
      expect(own.some(uses), `${page} and its views use ${CONTRACT}`).toBe(true);
    }
  });

  it("keeps no page-wide `ui` or `state` object: each view module owns its nodes and state", () => {
    for (const page of ["shop.js", "admin.js"]) {
      expect(code(path.join(PUBLIC, page)), page).not.toMatch(/^const state = \{/m);
    }
  });
});
