// The admin token check: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time.
import { timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { AppError } from "../errors.js";

/** Constant-time comparison of two secrets. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export const bearer = (header: string | undefined) =>
  // The scheme is case-insensitive (RFC 9110).
  header && /^bearer /i.test(header) ? header.slice(7) : undefined;

export function requireAdmin(adminToken: string): RequestHandler {
  return (req, _res, next) => {
    const token = bearer(req.get("authorization"));
    if (!token || !sameSecret(token, adminToken)) {
      throw new AppError({ code: "UNAUTHORIZED", message: "A valid admin token is required" });
    }
    next();
  };
}
