// Proof-of-work puzzles: a little CPU per join, so one machine cannot join by the thousand.
// The API hands out a short-lived puzzle signed with a key derived from TOKEN_SECRET (so any
// API process can check it, and nothing is stored until it is used); the page solves it in
// a Web Worker (public/shop/pow.js): find a nonce such that SHA-256("<challenge>:<nonce>")
// starts with `difficulty` zero bits (2^difficulty hashes on average). The join brings
// {challenge, nonce}; each puzzle is good for one join (a Redis key marks it spent).
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import { AppError } from "../errors.js";
import { eventPrefix } from "../redis/keys.js";

export const POW_TTL_SECONDS = 120;
export const POW_ALGORITHM = "sha256-leading-zero-bits";

export const powSolution = z
  .strictObject({
    challenge: z.string().max(512),
    nonce: z.string().regex(/^[0-9a-z]{1,32}$/, "1–32 characters of 0-9 a-z"),
  })
  .describe("A solved proof-of-work puzzle (GET /api/events/{eventId}/challenge)");
export type PowSolution = z.infer<typeof powSolution>;

export interface Challenge {
  challenge: string;
  difficulty: number;
  algorithm: typeof POW_ALGORITHM;
  expiresAt: string;
}

/** Redis string per used puzzle (its id), kept until the puzzle expires. */
const spentKey = (eventId: string, id: string) => `${eventPrefix(eventId)}pow:${id}`;

export class PowPuzzles {
  readonly #key: Buffer;

  constructor(
    tokenSecret: string,
    private readonly redis: Redis,
  ) {
    this.#key = createHmac("sha256", tokenSecret).update("dropqueue proof-of-work puzzles").digest();
  }

  issue(eventId: string, difficulty: number, now = Date.now()): Challenge {
    const expires = Math.floor(now / 1000) + POW_TTL_SECONDS;
    const body = `${eventId}.${difficulty}.${expires}.${randomBytes(12).toString("base64url")}`;
    return {
      challenge: `${body}.${this.#mac(body)}`,
      difficulty,
      algorithm: POW_ALGORITHM,
      expiresAt: new Date(expires * 1000).toISOString(),
    };
  }

  /** Resolves when `solution` solves a live, unused puzzle of this event at `difficulty` or more. */
  async verify(eventId: string, difficulty: number, solution: PowSolution | undefined, now = Date.now()) {
    if (!solution)
      throw refused(
        "missing",
        "This event asks a proof-of-work: GET /api/events/{eventId}/challenge, solve it, send `pow`",
      );
    const parts = solution.challenge.split(".");
    const [ev, bits, expires, id, mac] = parts;
    if (parts.length !== 5 || !ev || !bits || !expires || !id || !mac)
      throw refused("malformed", "Not a puzzle of ours");
    const body = parts.slice(0, 4).join(".");
    const expected = Buffer.from(this.#mac(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw refused("malformed", "Not a puzzle of ours");
    if (ev !== eventId) throw refused("wrong-event", "The puzzle is for another event");
    if (Number(bits) < difficulty) throw refused("too-easy", "The puzzle is easier than the event asks");
    if (Number(expires) * 1000 < now) throw refused("expired", "The puzzle has expired: ask for a new one");
    if (leadingZeroBits(solve(solution.challenge, solution.nonce)) < Number(bits))
      throw refused("unsolved", "The nonce does not solve the puzzle");
    const fresh = await this.redis.set(spentKey(eventId, id), "1", "EX", POW_TTL_SECONDS + 5, "NX");
    if (fresh === null) throw refused("spent", "This puzzle was used already: ask for a new one");
  }

  #mac(body: string): string {
    return createHmac("sha256", this.#key).update(body).digest("base64url");
  }
}

/** The hash a nonce is judged by. */
export const solve = (challenge: string, nonce: string) =>
  createHash("sha256").update(`${challenge}:${nonce}`).digest();

export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/** A solver for Node (tests, the bench): the same search the page's Web Worker runs. */
export function solvePuzzle(challenge: string, difficulty: number): string {
  for (let n = 0; ; n++) {
    const nonce = n.toString(36);
    if (leadingZeroBits(solve(challenge, nonce)) >= difficulty) return nonce;
  }
}

const refused = (reason: string, message: string) =>
  new AppError({ code: "VALIDATION_FAILED", message, details: { in: "body", field: "pow", reason } });
