// The admin API's gates: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time,
// with failed authentications rate-limited per client (src/auth/admin-guard.ts).
import type { RequestHandler } from "express";
import { adminGuard } from "../auth/admin-guard.js";
import { clientKey } from "../auth/client-key.js";
import { bearer, sameSecret } from "../auth/secrets.js";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import { ApiRouter, TAGS } from "./api-router.js";

/**
 * The admin API's gate, mounted in front of /api/admin: a valid Bearer admin token, with
 * failures rate-limited per client.
 */
export function adminGate(deps: Pick<Deps, "redis" | "config">): RequestHandler {
  const guard = adminGuard(deps);
  return async (req, _res, next) => {
    await guard.authenticate(clientKey(req), guard.isAdmin(bearer(req.get("authorization"))));
    next();
  };
}

/** The plain token check the admin routers carry themselves (adminGate runs before them). */
export function requireAdmin(adminToken: string): RequestHandler {
  return (req, _res, next) => {
    const token = bearer(req.get("authorization"));
    if (!token || !sameSecret(token, adminToken)) {
      throw new AppError({ code: "UNAUTHORIZED", message: "A valid admin token is required" });
    }
    next();
  };
}

/** A router of the admin API: under /api/admin, documented as needing the admin token, and checking it. */
export function adminApi(deps: Pick<Deps, "config">): ApiRouter {
  const api = new ApiRouter({
    base: "/api/admin",
    tag: TAGS.admin,
    security: ["adminToken"],
    errors: ["RATE_LIMITED"],
  });
  api.use(requireAdmin(deps.config.adminToken));
  return api;
}
