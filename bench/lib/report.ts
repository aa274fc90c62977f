// Output of the benchmarks: aligned tables on stdout, progress on stderr (one rewritten
// line on a terminal, plain lines otherwise, at most one every half second).

export type Cell = string | number;

/** Rounds for display: integers with thousands separators, small numbers to one decimal. */
export function fmt(n: number | undefined | null, digits = 0): string {
  if (n === undefined || n === null || Number.isNaN(n)) return "—";
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function pct(part: number | undefined, whole: number | undefined): string {
  if (!part || !whole) return "—";
  const share = (100 * part) / whole;
  return `${share < 10 ? share.toFixed(1) : share.toFixed(0)} %`;
}

/** A table with a title; numbers (and cells that look like figures) are right-aligned. */
export function table(title: string, headers: string[], rows: Cell[][]): string {
  const text = rows.map((row) => row.map((c) => (typeof c === "number" ? fmt(c) : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? "").length)));
  const numeric = headers.map((_, i) =>
    rows.every((r) => typeof r[i] === "number" || /^[-—\d.,%×\s]+[a-zA-Z/%]*$/.test(String(r[i] ?? ""))),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] && i > 0 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "─".repeat(w)).join("  ");
  return [title, line(headers), rule, ...text.map(line)].join("\n");
}

let lastProgress = 0;
let progressOpen = false;

/** One progress line on stderr; `force` for lines that must not be skipped. */
export function progress(scenario: string, message: string, force = false): void {
  const now = Date.now();
  if (!force && now - lastProgress < 500) return;
  lastProgress = now;
  const line = `[${scenario}] ${message}`;
  if (process.stderr.isTTY) {
    process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 120) - 1)}`);
    progressOpen = true;
  } else {
    process.stderr.write(`${line}\n`);
  }
}

/** Ends a rewritten progress line before something else is printed. */
export function progressDone(): void {
  if (progressOpen) process.stderr.write("\n");
  progressOpen = false;
}
