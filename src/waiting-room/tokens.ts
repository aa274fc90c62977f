// Ticket tokens: signed by the server (HS256), binding ticket, event and user, with an
// expiry. Required to read a ticket, open its socket and cancel its order. Verified by jose;
// signed here with node:crypto's HMAC, synchronously: one token per join answer, and
// jose's WebCrypto sign (a promise and a thread hop per token) was ~7 % of the API's CPU
// under a surge. The token is the same compact JWS jose would make (header, claims, order
// of fields aside); the tests verify ours with jose.
import { createHmac } from "node:crypto";
import { errors, jwtVerify } from "jose";
import { AppError } from "../errors.js";

export interface TicketClaims {
  ticketId: string;
  eventId: string;
  userId: string;
}

const AUDIENCE = "dropqueue:ticket";

/** The protected header of every token, encoded once. */
const HEADER = Buffer.from(JSON.stringify({ alg: "HS256" })).toString("base64url");

export class TicketTokens {
  /** Imported once: jose would import raw bytes again on every verify. */
  readonly #key: Promise<CryptoKey>;
  readonly #secret: Buffer;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.#secret = Buffer.from(secret, "utf8");
    const hmac = { name: "HMAC", hash: "SHA-256" };
    this.#key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), hmac, false, [
      "sign",
      "verify",
    ]);
  }

  sign(claims: TicketClaims): string {
    const iat = Math.floor(Date.now() / 1000);
    const payload = Buffer.from(
      JSON.stringify({
        eid: claims.eventId,
        uid: claims.userId,
        sub: claims.ticketId,
        aud: AUDIENCE,
        iat,
        exp: iat + this.ttlSeconds,
      }),
    ).toString("base64url");
    const signed = `${HEADER}.${payload}`;
    return `${signed}.${createHmac("sha256", this.#secret).update(signed).digest("base64url")}`;
  }

  /** The claims of a valid token for this ticket, or UNAUTHORIZED. */
  async verify(token: string | undefined, ticketId?: string): Promise<TicketClaims> {
    if (!token) throw unauthorized("A ticket token is required");
    try {
      const { payload } = await jwtVerify(token, await this.#key, {
        audience: AUDIENCE,
        algorithms: ["HS256"],
      });
      const claims = {
        ticketId: String(payload.sub),
        eventId: String(payload.eid),
        userId: String(payload.uid),
      };
      if (ticketId !== undefined && claims.ticketId !== ticketId)
        throw unauthorized("The token is for another ticket");
      return claims;
    } catch (err) {
      if (err instanceof AppError) throw err;
      const expired = err instanceof errors.JWTExpired;
      throw unauthorized(expired ? "The ticket token has expired" : "The ticket token is not valid");
    }
  }
}

const unauthorized = (message: string) => new AppError({ code: "UNAUTHORIZED", message });
