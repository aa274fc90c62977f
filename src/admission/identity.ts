// Shopper identity the shop vouches for: a JWT its backend signs for the logged-in shopper
// (`sub` = the user id), verified here against SHOPPER_JWT_SECRET (HS256) or the keys at
// SHOPPER_JWKS_URL (RS256 / ES256), with issuer, audience and expiry checked. An event that
// requires identity takes the user id from the assertion, never from the join's body.
import { createRemoteJWKSet, decodeProtectedHeader, errors, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { Config } from "../config.js";
import { AppError } from "../errors.js";
import { USER_ID } from "../waiting-room/ticket.schemas.js";

/** Assertions are short-lived: the shop signs one per join, not per session. */
export const MAX_ASSERTION_AGE = "15m";

export class ShopperIdentity {
  readonly #secret: Uint8Array | undefined;
  readonly #jwks: JWTVerifyGetKey | undefined;

  constructor(private readonly config: NonNullable<Config["identity"]>) {
    this.#secret = config.secret ? new TextEncoder().encode(config.secret) : undefined;
    this.#jwks = config.jwksUrl
      ? createRemoteJWKSet(new URL(config.jwksUrl), { timeoutDuration: 2000, cooldownDuration: 30_000 })
      : undefined;
  }

  /** The user id the assertion vouches for, or 401 UNAUTHORIZED saying what is wrong. */
  async userId(assertion: string | undefined): Promise<string> {
    if (!assertion) throw refused("The event requires an identity assertion from the shop (body `identity`)");
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(assertion).alg;
    } catch {
      throw refused("The identity assertion is not a JWT");
    }
    const options = {
      issuer: this.config.issuer,
      audience: this.config.audience,
      requiredClaims: ["sub", "exp", "iat"],
      maxTokenAge: MAX_ASSERTION_AGE,
      clockTolerance: 5,
    };
    try {
      const { payload } =
        alg === "HS256" && this.#secret
          ? await jwtVerify(assertion, this.#secret, { ...options, algorithms: ["HS256"] })
          : this.#jwks && (alg === "RS256" || alg === "ES256")
            ? await jwtVerify(assertion, this.#jwks, { ...options, algorithms: ["RS256", "ES256"] })
            : fail(`Identity assertions signed with ${String(alg).slice(0, 20)} are not accepted`);
      const sub = USER_ID.safeParse(payload.sub);
      if (!sub.success) throw refused("The identity assertion's `sub` is not a user id");
      return sub.data;
    } catch (err) {
      if (err instanceof AppError) throw err;
      if (err instanceof errors.JWTExpired) throw refused("The identity assertion has expired");
      if (err instanceof errors.JWTClaimValidationFailed)
        throw refused(`The identity assertion's \`${err.claim}\` is not accepted`);
      if (err instanceof errors.JOSEError) throw refused("The identity assertion is not valid");
      throw err;
    }
  }
}

const refused = (message: string) => new AppError({ code: "UNAUTHORIZED", message });
const fail = (message: string): never => {
  throw refused(message);
};
