// The one error renderer: AppErrors in the contract's shape, body-parser failures as
// 4xx, anything else as a generic 500 (logged, never shown).

import { Prisma } from "@prisma/client";
import type { ErrorRequestHandler, RequestHandler } from "express";
import type { Logger } from "pino";
import { AppError } from "../errors.js";

interface BodyParserError {
  type?: string;
  status?: number;
}

export function toAppError(err: unknown): AppError | null {
  if (err instanceof AppError) return err;
  const bp = err as BodyParserError;
  switch (bp?.type) {
    case "entity.parse.failed":
      return new AppError({ code: "VALIDATION_FAILED", message: "The body is not valid JSON" });
    case "entity.too.large":
      return new AppError({ code: "VALIDATION_FAILED", status: 413, message: "The body is too large" });
    case "encoding.unsupported":
    case "charset.unsupported":
      return new AppError({ code: "VALIDATION_FAILED", status: 415, message: "Send JSON in UTF-8" });
    default:
      if (typeof bp?.status === "number" && bp.status >= 400 && bp.status < 500) {
        return new AppError({
          code: "VALIDATION_FAILED",
          status: bp.status,
          message: "The request is not valid",
        });
      }
      return unavailable(err);
  }
}

/** Prisma codes of a database that is away or overloaded (not of a bad request). */
const DATABASE_UNAVAILABLE = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2028"]);

/**
 * PostgreSQL or Redis away or overloaded: 503 with Retry-After, so a client tries again
 * rather than seeing a 500. Anything else stays unknown (a 500).
 */
function unavailable(err: unknown): AppError | null {
  const known =
    (err instanceof Prisma.PrismaClientKnownRequestError && DATABASE_UNAVAILABLE.has(err.code)) ||
    err instanceof Prisma.PrismaClientInitializationError ||
    (err instanceof Error &&
      /^(Connection is closed|Stream isn't writeable|Reached the max retries)/.test(err.message));
  if (!known) return null;
  return new AppError({
    code: "SERVICE_UNAVAILABLE",
    message: "A service behind the shop is busy or away, try again in a moment",
    retryAfterSeconds: 1,
    cause: err,
  });
}

export function errorMiddleware(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const known = toAppError(err);
    if (known) {
      if (known.retryAfterSeconds !== undefined)
        res.setHeader("Retry-After", String(known.retryAfterSeconds));
      res.status(known.status).json(known.toJSON());
      return;
    }
    log.error({ err, method: req.method, url: req.originalUrl }, "unhandled error");
    res.status(500).json({ error: { code: "INTERNAL", message: "Something went wrong on our side" } });
  };
}

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(new AppError({ code: "NOT_FOUND", message: `No route ${req.method} ${req.path}` }));
};
