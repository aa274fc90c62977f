// Applies prisma/migrations with the project's own Prisma CLI (offline: the JS schema engine).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ROOT } from "./root.js";

// `migrate deploy` and `migrate dev` finish in well under a second, then linger 10 s: the JS schema
// engine races `pg_advisory_lock` against a 10 s timer it never clears. In the CLI processes started
// here, such long timers stop keeping a finished process alive (they still fire while work is
// pending).
const UNREF_LONG_TIMERS = `--import=data:text/javascript,${encodeURIComponent(
  "const arm = globalThis.setTimeout;" +
    "globalThis.setTimeout = (fn, ms, ...args) => { const t = arm(fn, ms, ...args); if (ms >= 10000) t.unref(); return t; };",
)}`;

/** Runs the project's Prisma CLI against `databaseUrl`; rejects with its output on a non-zero exit. */
export async function runPrisma(args: string[], databaseUrl: string): Promise<{ stdout: string }> {
  const cli = [UNREF_LONG_TIMERS, "node_modules/prisma/build/index.js", ...args];
  const { stdout } = await promisify(execFile)(process.execPath, cli, {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(
      `prisma ${args.join(" ")} failed:\n${error.stdout ?? ""}${error.stderr ?? error.message}`,
    );
  });
  return { stdout };
}

/** Applies the migrations (idempotent); resolves with Prisma's summary line. */
export async function migrate(databaseUrl: string): Promise<string> {
  const { stdout } = await runPrisma(["migrate", "deploy"], databaseUrl);
  const lines = stdout.split("\n").reverse();
  return lines.find((l) => /No pending migrations|successfully applied/i.test(l))?.trim() ?? "";
}
