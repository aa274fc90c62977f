// Child processes started by the local-stack tools (servers, app processes, one-off tasks),
// with the last lines of their output kept for error messages, a stop that asks first and
// insists after a grace period, and one exit hook: nothing started here outlives its parent.
import { type ChildProcess, spawn } from "node:child_process";
import readline from "node:readline";

/** A failure the user can act on: `message` says what went wrong, `hint` what to do about it. */
export class StackError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

export interface ProcessOptions {
  /** A name for messages: "redis-server", "API"… */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Run as this user (PostgreSQL refuses root). */
  uid?: number;
  gid?: number;
  /**
   * Its own process group: a terminal's Ctrl-C then reaches only the parent, which stops its
   * children in its own order, and a stop signals the whole group (helpers the child started go too).
   */
  detached?: boolean;
  /** Where output goes: kept (the default, last lines in `tail`), the parent's stderr, or nowhere. */
  output?: "keep" | "stderr" | "ignore";
  /** Called with each output line when output is kept. */
  onLine?: (line: string) => void;
  /** The polite signal of stop(); SIGTERM unless said otherwise (PostgreSQL: SIGINT, a fast shutdown). */
  stopSignal?: NodeJS.Signals;
  /** How long stop() waits after the polite signal before SIGKILL. */
  graceMs?: number;
}

export interface LocalProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Last lines of output (when kept). */
  readonly tail: string[];
  /** Settles once the process has exited and its output is read: the exit code, or null after a signal. */
  readonly exited: Promise<number | null>;
  readonly running: boolean;
  /** The polite signal, then SIGKILL after the grace period; `signal` overrides the polite one. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Sends a signal (to the group when detached). */
  kill(signal: NodeJS.Signals): void;
}

const live = new Set<LocalProcess>();
let exitHook = false;

/** Last resort (an uncaught error, a plain process.exit): SIGKILL whatever is still running. */
export function killAllNow(): void {
  for (const p of live) p.kill("SIGKILL");
}

export function startProcess(opts: ProcessOptions): LocalProcess {
  if (!exitHook) {
    exitHook = true;
    process.on("exit", killAllNow);
  }
  const output = opts.output ?? "keep";
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio:
      output === "keep"
        ? ["ignore", "pipe", "pipe"]
        : output === "stderr"
          ? ["ignore", process.stderr, process.stderr]
          : "ignore",
    detached: opts.detached ?? false,
    uid: opts.uid,
    gid: opts.gid,
  });
  const tail: string[] = [];
  let done = false;
  const kill = (signal: NodeJS.Signals) => {
    if (done || child.pid === undefined) return;
    try {
      if (opts.detached) process.kill(-child.pid, signal);
      else child.kill(signal);
    } catch {
      // ESRCH: already gone
    }
  };
  const keep = (line: string) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
    opts.onLine?.(line);
  };
  if (output === "keep") {
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) readline.createInterface({ input: stream }).on("line", keep);
    }
  }
  const exited = new Promise<number | null>((resolve) => {
    const finish = (code: number | null) => {
      if (done) return;
      done = true;
      live.delete(proc);
      resolve(code);
    };
    // 'close' rather than 'exit': it comes after the output is read, so the tail is complete.
    child.on("close", (code) => finish(code));
    child.on("error", (err) => {
      keep(`could not run ${opts.command}: ${err.message}`);
      finish(null);
    });
  });
  const proc: LocalProcess = {
    name: opts.name,
    child,
    tail,
    exited,
    get running() {
      return !done;
    },
    kill,
    async stop(signal) {
      if (done) return;
      kill(signal ?? opts.stopSignal ?? "SIGTERM");
      const timer = setTimeout(() => kill("SIGKILL"), opts.graceMs ?? 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  live.add(proc);
  return proc;
}

/** Runs a command to its end; rejects with its last output lines when it fails. Resolves with them. */
export async function runTask(opts: ProcessOptions): Promise<string[]> {
  const task = startProcess({ ...opts, output: "keep" });
  const code = await task.exited;
  if (code !== 0) throw new StackError(`${opts.name} failed:\n${indent(task.tail)}`);
  return task.tail;
}

export const indent = (lines: string[]) => lines.map((l) => `    ${l}`).join("\n");

/** For a child started elsewhere: SIGTERM (a drain), then SIGKILL if it has not exited in time. */
export function stopChild(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
