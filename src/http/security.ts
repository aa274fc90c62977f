// The API's guard at the HTTP edge: security headers (helmet, with a Content Security
// Policy the pages in public/ work under), CORS by config (CORS_ORIGINS), which request
// bodies are read at all, and the Socket.IO options that follow the same rules.
// `trust proxy` (TRUST_PROXY) is set in createApp; its parsing is in src/config.ts.
import { type RequestHandler, Router } from "express";
import helmet from "helmet";
import type { ServerOptions } from "socket.io";
import type { Config } from "../config.js";
import { AppError } from "../errors.js";
import { DASHBOARD_PATH, SIGN_IN_PATH } from "./queues-dashboard.js";

const isSignInForm = (method: string, path: string) =>
  method === "POST" && path.replace(/\/+$/, "").toLowerCase() === SIGN_IN_PATH;

/** The most a request body (JSON, the only kind read) or a Socket.IO message may weigh. */
export const BODY_LIMIT_BYTES = 64 * 1024;

type Directives = Record<string, string[] | null>;

/**
 * The pages (public/): same-origin scripts (including /socket.io/socket.io.min.js) and
 * stylesheets, no inline script or style element, no plugins, never framed. `connect-src
 * 'self'` covers fetch and, since CSP 3, the WebSocket to the same host.
 */
export const PAGE_CSP: Directives = {
  "default-src": ["'self'"],
  "base-uri": ["'self'"],
  "connect-src": ["'self'"],
  "font-src": ["'self'"],
  "form-action": ["'self'"],
  "frame-ancestors": ["'none'"],
  "img-src": ["'self'", "data:"],
  "object-src": ["'none'"],
  "script-src": ["'self'"],
  "script-src-attr": ["'none'"],
  "style-src": ["'self'"],
};

/**
 * The queue dashboard (bull-board) renders with inline style attributes and one inline
 * style element, and asks Google Fonts for its typeface; its scripts are its own files.
 */
const DASHBOARD_CSP: Directives = {
  ...PAGE_CSP,
  "style-src": ["'self'", "'unsafe-inline'", "https://fonts.googleapis.com"],
  "font-src": ["'self'", "https://fonts.gstatic.com"],
};

const serialize = (directives: Directives) =>
  Object.entries(directives)
    .map(([name, values]) => [name, ...(values ?? [])].join(" "))
    .join("; ");

/** Helmet's headers on every answer, with the CSP of the pages; looser only where a page needs it. */
export function securityHeaders(): Router {
  const router = Router();
  router.use(
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives: PAGE_CSP },
      // The API does not decide for the shop's sibling domains; the TLS terminator may add them.
      strictTransportSecurity: { maxAge: 180 * 24 * 3600, includeSubDomains: false },
      xFrameOptions: { action: "deny" },
    }),
  );
  router.use(DASHBOARD_PATH, (_req, res, next) => {
    res.setHeader("Content-Security-Policy", serialize(DASHBOARD_CSP));
    next();
  });
  return router;
}

/**
 * CORS for /api: an Origin listed in CORS_ORIGINS (or any, with `*`) may read answers and
 * send the Authorization and Content-Type headers; any other gets no CORS header, so the
 * browser keeps the answer from it. No credentials: the API authenticates by bearer
 * tokens, never cookies. Preflights are answered here, before the rate limit counts them.
 */
export function cors(origins: readonly string[]): RequestHandler {
  const any = origins.includes("*");
  const allowed = new Set(origins);
  return (req, res, next) => {
    const origin = req.get("origin");
    if (origins.length > 0 && !any) res.vary("Origin");
    const ok = origin !== undefined && (any || allowed.has(origin));
    if (ok) {
      res.setHeader("Access-Control-Allow-Origin", any ? "*" : origin);
      res.setHeader("Access-Control-Expose-Headers", "Retry-After");
    }
    if (req.method === "OPTIONS" && req.get("access-control-request-method") !== undefined) {
      if (ok) {
        res.setHeader("Access-Control-Allow-Methods", "GET, POST, PUT");
        res.setHeader("Access-Control-Allow-Headers", "Authorization, Content-Type");
        res.setHeader("Access-Control-Max-Age", "600");
      }
      res.status(204).end();
      return;
    }
    next();
  };
}

/**
 * Only JSON bodies are read (express.json, strict, BODY_LIMIT_BYTES). A body of any other
 * type is refused rather than left unread behind a route that ignores it (400, as the
 * contract has VALIDATION_FAILED), and one that announces more than the limit is refused
 * (413) before a byte of it is read.
 */
export function bodyGuard(limitBytes = BODY_LIMIT_BYTES): RequestHandler {
  return (req, _res, next) => {
    const length = req.get("content-length");
    const chunked = req.get("transfer-encoding") !== undefined;
    if (!chunked && (length === undefined || Number(length) === 0)) return next();
    // The dashboard's sign-in is a plain HTML form (its own parser caps it at 2 kB).
    if (isSignInForm(req.method, req.path) && req.is("application/x-www-form-urlencoded")) return next();
    if (!req.is("application/json")) {
      throw new AppError({
        code: "VALIDATION_FAILED",
        message: "Send the body as JSON (Content-Type: application/json)",
        details: { in: "body", contentType: req.get("content-type")?.slice(0, 100) ?? null },
      });
    }
    if (length !== undefined && Number(length) > limitBytes) {
      throw new AppError({
        code: "VALIDATION_FAILED",
        status: 413,
        message: "The body is too large",
        details: { in: "body", limitBytes },
      });
    }
    next();
  };
}

/** Socket.IO's share: the same allowed origins (for the polling transport) and message size. */
export function socketServerOptions(security: Config["security"]): Partial<ServerOptions> {
  const { corsOrigins } = security;
  return {
    maxHttpBufferSize: BODY_LIMIT_BYTES,
    ...(corsOrigins.length > 0
      ? { cors: { origin: corsOrigins.includes("*") ? "*" : [...corsOrigins], methods: ["GET", "POST"] } }
      : {}),
  };
}
