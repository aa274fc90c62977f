// What a join must bring before it reaches the waiting room, per event: the shop's identity
// assertion (requireIdentity) and a solved proof-of-work puzzle (powDifficulty). The event's
// two settings are read from PostgreSQL and kept SETTINGS_TTL_MS per process, so a surge's
// joins cost no extra round trip; a changed setting holds everywhere within that time.
import { z } from "zod";
import type { Deps } from "../deps.js";
import { AppError, notFound } from "../errors.js";
import { SKU } from "../events/event.schemas.js";
import { parseInput } from "../validate.js";
import { type JoinInput, joinInput, USER_ID } from "../waiting-room/ticket.schemas.js";
import { ShopperIdentity } from "./identity.js";
import { PowPuzzles, powSolution } from "./pow.js";

const SETTINGS_TTL_MS = 2000;

/** The join's body: the waiting room's input, plus what an event may ask for. */
export const joinBody = z.strictObject({
  userId: USER_ID.optional().describe(
    "The shopper; ignored (the assertion's `sub` is used) when the event requires identity",
  ),
  sku: SKU,
  quantity: z.number().int().min(1).max(1000).default(1),
  identity: z
    .string()
    .max(8192)
    .optional()
    .describe("The shop backend's signed JWT for this shopper (`sub` = user id), when the event requires it"),
  pow: powSolution.optional(),
});
export type JoinBody = z.infer<typeof joinBody>;

export interface AdmissionSettings {
  requireIdentity: boolean;
  powDifficulty: number;
}

export class Admission {
  readonly identity: ShopperIdentity | null;
  readonly puzzles: PowPuzzles;
  readonly #settings = new Map<string, { at: number; value: Promise<AdmissionSettings> }>();

  constructor(private readonly deps: Deps) {
    this.identity = deps.config.identity ? new ShopperIdentity(deps.config.identity) : null;
    this.puzzles = new PowPuzzles(deps.config.tokenSecret, deps.redis);
  }

  async settings(eventId: string): Promise<AdmissionSettings> {
    const cached = this.#settings.get(eventId);
    if (cached && Date.now() - cached.at < SETTINGS_TTL_MS) return cached.value;
    const value = this.deps.prisma.event
      .findUnique({ where: { id: eventId }, select: { requireIdentity: true, powDifficulty: true } })
      .then((row) => {
        if (!row) throw notFound("event", { eventId });
        return row;
      });
    if (this.#settings.size > 10_000) this.#settings.clear();
    this.#settings.set(eventId, { at: Date.now(), value });
    // An unknown event stays cached (a flood of made-up ids costs one query each per TTL);
    // a database fault does not.
    value.catch((err: unknown) => {
      if (!(err instanceof AppError && err.code === "NOT_FOUND")) this.#settings.delete(eventId);
    });
    return value;
  }

  forget(eventId: string): void {
    this.#settings.delete(eventId);
  }

  /** The waiting room's input for a join body, or the 4xx that says what is missing. */
  async admit(eventId: string, body: JoinBody): Promise<JoinInput> {
    const settings = await this.settings(eventId);
    if (settings.powDifficulty > 0) await this.puzzles.verify(eventId, settings.powDifficulty, body.pow);
    let userId = body.userId;
    if (settings.requireIdentity) {
      if (!this.identity)
        throw new AppError({
          code: "SERVICE_UNAVAILABLE",
          message: "The event requires shopper identity, but no verifier is configured",
          retryAfterSeconds: 60,
        });
      userId = await this.identity.userId(body.identity);
    }
    // Without identity the body's userId is required, in the usual error shape.
    return parseInput(joinInput, { userId, sku: body.sku, quantity: body.quantity }, "body");
  }
}

const admissions = new WeakMap<object, Admission>();
/** The admission of a process's dependencies (its settings cache is shared by its routes). */
export function admissionOf(deps: Deps): Admission {
  let admission = admissions.get(deps.redis);
  if (!admission) {
    admission = new Admission(deps);
    admissions.set(deps.redis, admission);
  }
  return admission;
}
