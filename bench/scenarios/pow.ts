// `pow`: what an event's proof-of-work puzzle costs (src/admission/pow.ts). One API process,
// no worker, one event per difficulty; 32 lanes in a closed loop, each: GET the puzzle,
// solve it (in this process, one core, as one bot machine would), join. Per difficulty:
// joins/s, the solve time per puzzle, and the join's own latency. Difficulty 0 is the event
// without a puzzle (the join alone, as today). The figure to read: how many joins per second
// one core can make at each difficulty, against the same without a puzzle.
import { Agent, request } from "undici";
import { solvePuzzle } from "../../src/admission/pow.js";
import { Admin, bootStack } from "../lib/dropqueue.js";
import { percentiles } from "../lib/percentiles.js";
import { fmt, progress, table } from "../lib/report.js";
import type { Scenario } from "./types.js";

export const POW_DIFFICULTIES = [0, 8, 12, 16];
const LANES = 32;
const STEP_MS = 4000;

export interface PowStep {
  difficulty: number;
  joins: number;
  joinsPerSecond: number;
  errors: number;
  solveMs: { p50: number; p99: number };
  joinMs: { p50: number; p99: number };
}

export interface PowResult {
  steps: PowStep[];
}

export const pow: Scenario<PowResult> = {
  name: "pow",
  describe: `joins/s with a proof-of-work puzzle of ${POW_DIFFICULTIES.join(", ")} bits (0: none), ${LANES} lanes, the solver on one core`,
  async run() {
    const stack = await bootStack({ apis: 1, workers: 0 });
    const url = stack.apiUrls[0] ?? "";
    const admin = new Admin(url, stack.adminToken);
    const dispatcher = new Agent({ connections: LANES, keepAliveTimeout: 10_000 });
    const events: string[] = [];
    try {
      const steps: PowStep[] = [];
      for (const difficulty of POW_DIFFICULTIES) {
        const eventId = await admin.createEvent({
          name: `bench pow ${difficulty}`,
          admissionRate: 1,
          products: [{ sku: "P1", stock: 10_000_000 }],
        });
        events.push(eventId);
        await admin.action(eventId, "start");
        const put = await request(`${url}/api/admin/events/${eventId}/admission`, {
          method: "PUT",
          dispatcher,
          headers: { authorization: `Bearer ${stack.adminToken}`, "content-type": "application/json" },
          body: JSON.stringify({ powDifficulty: difficulty }),
        });
        await put.body.text();
        // The settings are cached up to 2 s per process.
        await new Promise((r) => setTimeout(r, 2100));
        const solveMs: number[] = [];
        const joinMs: number[] = [];
        let joins = 0;
        let errors = 0;
        let n = 0;
        const start = performance.now();
        const deadline = start + STEP_MS;
        await Promise.all(
          Array.from({ length: LANES }, async () => {
            while (performance.now() < deadline) {
              const i = n++;
              let body: Record<string, unknown> = { userId: `pow-${difficulty}-${i}`, sku: "P1" };
              if (difficulty > 0) {
                const res = await request(`${url}/api/events/${eventId}/challenge`, { dispatcher });
                const puzzle = (await res.body.json()) as { challenge: string; difficulty: number };
                const t = performance.now();
                const nonce = solvePuzzle(puzzle.challenge, puzzle.difficulty);
                solveMs.push(performance.now() - t);
                body = { ...body, pow: { challenge: puzzle.challenge, nonce } };
              }
              const t0 = performance.now();
              const res = await request(`${url}/api/events/${eventId}/tickets`, {
                method: "POST",
                dispatcher,
                headers: { "content-type": "application/json" },
                body: JSON.stringify(body),
              });
              await res.body.text();
              joinMs.push(performance.now() - t0);
              if (res.statusCode === 202) joins++;
              else errors++;
            }
          }),
        );
        const seconds = (performance.now() - start) / 1000;
        const solve = percentiles(solveMs.length ? solveMs : [0]);
        const join = percentiles(joinMs);
        steps.push({
          difficulty,
          joins,
          joinsPerSecond: Math.round(joins / seconds),
          errors,
          solveMs: { p50: solve.p50, p99: solve.p99 },
          joinMs: { p50: join.p50, p99: join.p99 },
        });
        progress("pow", `${difficulty} bits: ${fmt(joins / seconds)} joins/s`, true);
      }
      return { steps };
    } finally {
      for (const id of events) await admin.stopQuietly(id);
      await dispatcher.close();
      await stack.stop();
    }
  },
  tables(r) {
    const base = r.steps.find((s) => s.difficulty === 0)?.joinsPerSecond;
    return [
      table(
        `Proof-of-work (closed loop, ${LANES} lanes, ${STEP_MS / 1000} s per difficulty; puzzles solved in the load generator, one core)`,
        [
          "difficulty bits",
          "joins/s",
          "of no-puzzle",
          "errors",
          "solve p50 ms",
          "solve p99 ms",
          "join p50 ms",
          "join p99 ms",
        ],
        r.steps.map((s) => [
          s.difficulty === 0 ? "0 (none)" : String(s.difficulty),
          fmt(s.joinsPerSecond),
          base ? `${Math.round((100 * s.joinsPerSecond) / base)} %` : "—",
          fmt(s.errors),
          fmt(s.solveMs.p50, 1),
          fmt(s.solveMs.p99, 1),
          fmt(s.joinMs.p50, 1),
          fmt(s.joinMs.p99, 1),
        ]),
      ),
    ];
  },
};
