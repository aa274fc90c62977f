// Who used the CPU during a measurement: the API and worker processes, Redis, PostgreSQL
// (all its backends), the bench process with its helpers (load generators it spawned), and
// every other process on the machine (a test run next door shows up here), as % of one core,
// from /proc (Linux). This is the evidence for which wall a figure runs into, and for
// whether the machine was quiet while it was measured.
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

/**
 * CPU ticks of a process and of its children that ended and were reaped (PostgreSQL
 * backends that closed, a redis-benchmark that finished), so they are not lost.
 */
function ticksOf(pid: number): number {
  try {
    // Fields after the command name (which may hold spaces): utime, stime, cutime, cstime
    // are the 14th to 17th.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  } catch {
    return 0;
  }
}

function pidsNamed(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() === name) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function descendants(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      for (const kid of kids ? kids.split(" ").map(Number) : []) out.push(kid, ...descendants(kid));
    }
  } catch {
    // gone meanwhile
  }
  return out;
}

/** user + nice + system ticks of the whole machine, and steal (time the hypervisor took). */
function machineTicks(): { busy: number; steal: number } {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]?.split(/\s+/).slice(1).map(Number) ?? [];
  return { busy: (cpu[0] ?? 0) + (cpu[1] ?? 0) + (cpu[2] ?? 0), steal: cpu[7] ?? 0 };
}

export type CpuShares = Record<string, number>;

/** Starts counting; `stop()` returns each group's CPU as % of one core over the interval. */
export function cpuSampler(groups: Record<string, number[]>): { stop(): CpuShares } {
  const read = () => {
    const named: Record<string, number[]> = {
      ...groups,
      redis: pidsNamed("redis-server"),
      postgres: pidsNamed("postgres"),
    };
    const taken = new Set(Object.values(named).flat());
    named.bench = [process.pid, ...descendants(process.pid).filter((p) => !taken.has(p))];
    const ticks = Object.fromEntries(
      Object.entries(named).map(([k, pids]) => [k, pids.reduce((s, p) => s + ticksOf(p), 0)]),
    );
    return { ticks, machine: machineTicks() };
  };
  const before = read();
  const t0 = performance.now();
  return {
    stop() {
      const after = read();
      const seconds = (performance.now() - t0) / 1000;
      const share = (ticks: number) => Math.round((100 * ticks) / TICKS_PER_SECOND / seconds);
      const out: CpuShares = {};
      let ours = 0;
      for (const k of Object.keys(after.ticks)) {
        const d = Math.max(0, (after.ticks[k] ?? 0) - (before.ticks[k] ?? 0));
        ours += d;
        out[k] = share(d);
      }
      out.others = share(Math.max(0, after.machine.busy - before.machine.busy - ours));
      out.steal = share(after.machine.steal - before.machine.steal);
      return out;
    },
  };
}

export const formatCpu = (c: CpuShares | undefined) =>
  c
    ? Object.entries(c)
        .map(([k, v]) => `${k} ${v} %`)
        .join(", ")
    : "—";
