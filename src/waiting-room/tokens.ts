// Ticket tokens: signed by the server (HS256 via jose), binding ticket, event and user,
// with an expiry. Required to read a ticket, open its socket and cancel its order.
import { errors, jwtVerify, SignJWT } from "jose";
import { AppError } from "../errors.js";

export interface TicketClaims {
  ticketId: string;
  eventId: string;
  userId: string;
}

const AUDIENCE = "dropqueue:ticket";

export class TicketTokens {
  /** Imported once: jose would import raw bytes again on every sign and verify. */
  readonly #key: Promise<CryptoKey>;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    const hmac = { name: "HMAC", hash: "SHA-256" };
    this.#key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), hmac, false, [
      "sign",
      "verify",
    ]);
  }

  async sign(claims: TicketClaims): Promise<string> {
    return new SignJWT({ eid: claims.eventId, uid: claims.userId })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(claims.ticketId)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(await this.#key);
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
