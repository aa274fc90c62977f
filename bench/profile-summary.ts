// Summarises V8 CPU profiles (.cpuprofile files written by node --cpu-prof): the functions
// with the most self time, self time by package, and time by the package that asked for
// it (node's own code and V8's natives counted to the first package above them: a socket
// write under ioredis is ioredis's). Usage:
//   npx tsx bench/profile-summary.ts <file.cpuprofile | dir> [--top 10]
// A directory means its largest profile (tsx's own launcher process writes a tiny one).
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  share: number;
}

/** Where a script comes from: a package name, node's own code, or the project's file. */
export function packageOf(url: string): string {
  if (!url) return "(V8 / native)";
  if (url.startsWith("node:")) return "node (core)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "node_modules/".length).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  const m = /\/(src|workers|lua|bench)\/(.*)$/.exec(url);
  return m ? `dropqueue ${m[1]}/${m[2]}` : url.replace(/^file:\/\//, "");
}

export function summarise(profile: Profile, top: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, { name: string; where: string; us: number }>();
  const pkgs = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)?.callFrame;
    if (!f) continue;
    const name = f.functionName || "(anonymous)";
    const file = f.url ? `${packageOf(f.url)} ${path.basename(f.url)}:${f.lineNumber + 1}` : packageOf(f.url);
    const key = `${name}@${file}`;
    const entry = fns.get(key) ?? { name, where: file, us: 0 };
    entry.us += us;
    fns.set(key, entry);
    const pkg = ["(idle)", "(program)", "(garbage collector)"].includes(name) ? name : packageOf(f.url);
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
  }
  // Each sample to the first package on its stack that is not node's or V8's own.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const askers = new Map<string, number>();
  for (const [id, us] of self) {
    const leaf = byId.get(id)?.callFrame;
    if (!leaf || leaf.functionName === "(idle)") continue;
    let asker = leaf.functionName === "(garbage collector)" ? leaf.functionName : "node (core)";
    for (let at: number | undefined = id; at !== undefined && asker === "node (core)"; at = parent.get(at)) {
      const pkg = packageOf(byId.get(at)?.callFrame.url ?? "");
      if (pkg !== "node (core)" && pkg !== "(V8 / native)")
        asker = pkg.replace(/^dropqueue (\w+)\/.*$/, "dropqueue $1/");
    }
    askers.set(asker, (askers.get(asker) ?? 0) + us);
  }
  const idle = [...fns.values()].filter((f) => f.name === "(idle)").reduce((s, f) => s + f.us, 0);
  const busy = total - idle;
  const rank = (entries: [string, number][]) =>
    entries
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), share: Math.round((1000 * us) / busy) / 10 }));
  return {
    seconds: Math.round(total / 1e5) / 10,
    busySeconds: Math.round(busy / 1e5) / 10,
    functions: [...fns.values()]
      .filter((f) => f.name !== "(idle)")
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({
        name: f.name,
        where: f.where,
        ms: Math.round(f.us / 1000),
        share: Math.round((1000 * f.us) / busy) / 10,
      })),
    packages: rank([...pkgs.entries()].filter(([k]) => k !== "(idle)")),
    askers: rank([...askers.entries()]),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: "string", default: "10" } },
  });
  const top = Number(values.top);
  for (const target of positionals) {
    let file = target;
    if (statSync(target).isDirectory()) {
      const files = readdirSync(target)
        .filter((f) => f.endsWith(".cpuprofile"))
        .map((f) => path.join(target, f));
      file = files.sort((a, b) => statSync(b).size - statSync(a).size)[0] ?? "";
      if (!file) throw new Error(`no .cpuprofile in ${target}`);
    }
    const s = summarise(JSON.parse(readFileSync(file, "utf8")) as Profile, top);
    const lines = [
      `${file}: ${s.seconds} s profiled, ${s.busySeconds} s not idle`,
      `Top ${top} functions by self time (% of non-idle time)`,
      ...s.functions.map(
        (f, i) =>
          `${String(i + 1).padStart(3)}. ${String(f.ms).padStart(7)} ms ${`${f.share.toFixed(1)} %`.padStart(7)}  ${f.name}  (${f.where})`,
      ),
      `Self time by package`,
      ...s.packages.map(
        (p) => `     ${String(p.ms).padStart(7)} ms ${`${p.share.toFixed(1)} %`.padStart(7)}  ${p.name}`,
      ),
      `Time by the package that asked for it (node core and natives under it included)`,
      ...s.askers.map(
        (p) => `     ${String(p.ms).padStart(7)} ms ${`${p.share.toFixed(1)} %`.padStart(7)}  ${p.name}`,
      ),
    ];
    process.stdout.write(`${lines.join("\n")}\n\n`);
  }
}
