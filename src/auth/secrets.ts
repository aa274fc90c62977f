// Secrets as callers present them: the bearer token of an Authorization header, and a
// constant-time comparison. Shared by the HTTP routes and the Socket.IO handshakes, so it
// lives apart from both.
import { timingSafeEqual } from "node:crypto";

/** Constant-time comparison of two secrets. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header, if it is one. */
export const bearer = (header: string | undefined) =>
  // The scheme is case-insensitive (RFC 9110).
  header && /^bearer /i.test(header) ? header.slice(7) : undefined;
