// Rules of the source tree that no compiler checks: files stay readable in size, the
// features, realtime and the worker processes never reach into the HTTP layer, and the processes (src/, workers/)
// run on the runtime dependencies alone (test and bench tools are dev dependencies).
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const MOST_LINES = 400;

function filesUnder(dir: string, ext = /\.(ts|js)$/): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && ext.test(d.name))
    .map((d) => path.relative(ROOT, path.join(d.parentPath, d.name)));
}

/** The module specifiers a file imports (static and dynamic, type-only included). */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), "utf8");
  return [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/g),
  ].map((m) => m[1] ?? m[2] ?? "");
}

describe("the source tree", () => {
  it(`has no file in src/ over ${MOST_LINES} lines`, () => {
    const long = filesUnder("src")
      .map((file) => ({ file, lines: readFileSync(path.join(ROOT, file), "utf8").split("\n").length }))
      .filter((f) => f.lines > MOST_LINES);
    expect(long).toEqual([]);
  });

  it("keeps src/http/ to itself: only the API process' composition root imports it (not the workers)", () => {
    const offenders = [...filesUnder("src"), ...filesUnder("workers")]
      .filter((file) => !file.startsWith(path.join("src", "http")) && file !== path.join("src", "server.ts"))
      .flatMap((file) =>
        importsOf(file)
          .filter((spec) => spec.startsWith("."))
          .map((spec) => path.relative(ROOT, path.resolve(ROOT, path.dirname(file), spec)))
          .filter((target) => target.startsWith(path.join("src", "http") + path.sep))
          .map((target) => `${file} → ${target}`),
      );
    expect(offenders).toEqual([]);
  });

  it("runs src/ and workers/ on the runtime dependencies alone", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const builtins = new Set(builtinModules);
    const packageOf = (spec: string) =>
      spec
        .split("/")
        .slice(0, spec.startsWith("@") ? 2 : 1)
        .join("/");
    const missing = [...filesUnder("src"), ...filesUnder("workers")].flatMap((file) =>
      importsOf(file)
        .filter((spec) => !spec.startsWith(".") && !spec.startsWith("node:") && !builtins.has(spec))
        .map(packageOf)
        .filter((name) => !(name in pkg.dependencies))
        .map((name) => `${file} imports ${name}`),
    );
    expect(missing).toEqual([]);
    // The test and bench clients are not among them.
    expect(pkg.dependencies).not.toHaveProperty("socket.io-client");
    expect(pkg.dependencies).not.toHaveProperty("undici");
  });
});
