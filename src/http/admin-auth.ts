// The admin token check: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time.
import type { RequestHandler } from "express";
import { bearer, sameSecret } from "../auth/secrets.js";
import { AppError } from "../errors.js";

export function requireAdmin(adminToken: string): RequestHandler {
  return (req, _res, next) => {
    const token = bearer(req.get("authorization"));
    if (!token || !sameSecret(token, adminToken)) {
      throw new AppError({ code: "UNAUTHORIZED", message: "A valid admin token is required" });
    }
    next();
  };
}
