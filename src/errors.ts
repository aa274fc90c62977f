// The one error type of dropqueue, the error codes of the contract (shared API.md),
// and the mapping from the named negative codes our Lua scripts return.

export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  SALE_NOT_OPEN: 409,
  SOLD_OUT: 409,
  LIMIT_REACHED: 409,
  INVALID_STATE: 409,
  REFERENCE_CONFLICT: 409,
  STOCK_RULE: 422,
  RATE_LIMITED: 429,
  QUEUE_FULL: 503,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface AppErrorOptions {
  code: ErrorCode;
  message: string;
  /** Defaults to the contract's status for the code. */
  status?: number;
  details?: Record<string, unknown>;
  /** Seconds a client should wait before trying again (sets Retry-After). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(opts: AppErrorOptions) {
    super(opts.message, { cause: opts.cause });
    this.name = "AppError";
    this.code = opts.code;
    this.status = opts.status ?? ERROR_STATUS[opts.code];
    this.details = opts.details;
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }

  toJSON() {
    return {
      error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) },
    };
  }
}

/** What a client over its per-second limit is told. */
export const rateLimited = (perSecond: number, retryAfterSeconds = 1) =>
  new AppError({
    code: "RATE_LIMITED",
    message: "Too many requests, slow down",
    retryAfterSeconds,
    details: { limit: perSecond, windowSeconds: 1 },
  });

export const notFound = (what: string, details?: Record<string, unknown>) =>
  new AppError({ code: "NOT_FOUND", message: `${what} not found`, details });

/**
 * Named negative codes returned by lua/*.lua. Scripts return non-negative numbers or
 * tables for success and one of these for a business outcome.
 */
export const LUA_CODES = {
  NO_EVENT: -1,
  SALE_NOT_OPEN: -2,
  NO_PRODUCT: -3,
  SOLD_OUT: -4,
  LIMIT_REACHED: -5,
  QUEUE_FULL: -6,
  PAUSED: -7,
  WAIT: -8,
  NO_TICKET: -9,
  SALE_ENDED: -10,
  STOCK_RULE: -11,
  INVALID_STATE: -12,
  RATE_LIMITED: -13,
} as const;

export type LuaCodeName = keyof typeof LUA_CODES;

const LUA_NAMES = new Map<number, LuaCodeName>(
  Object.entries(LUA_CODES).map(([name, code]) => [code, name as LuaCodeName]),
);

export function luaCodeName(code: number): LuaCodeName | undefined {
  return LUA_NAMES.get(code);
}

/** Turns a Lua business code into the AppError a client sees. */
export function luaError(code: number, details?: Record<string, unknown>): AppError {
  switch (luaCodeName(code)) {
    case "NO_EVENT":
      return notFound("event", details);
    case "NO_PRODUCT":
      return notFound("product", details);
    case "NO_TICKET":
      return notFound("ticket", details);
    case "SALE_NOT_OPEN":
    case "SALE_ENDED":
      return new AppError({ code: "SALE_NOT_OPEN", message: "The sale is not open", details });
    case "SOLD_OUT":
      return new AppError({ code: "SOLD_OUT", message: "Nothing is left of this product", details });
    case "LIMIT_REACHED":
      return new AppError({
        code: "LIMIT_REACHED",
        message: "You already hold or bought your limit of this product",
        details,
      });
    case "QUEUE_FULL":
      return new AppError({
        code: "QUEUE_FULL",
        message: "The waiting room is full, try again shortly",
        retryAfterSeconds: 5,
        details,
      });
    case "STOCK_RULE":
      return new AppError({ code: "STOCK_RULE", message: "The stock change breaks a stock rule", details });
    case "INVALID_STATE":
      return new AppError({
        code: "INVALID_STATE",
        message: "Not allowed in the event's current state",
        details,
      });
    default:
      return new AppError({ code: "INTERNAL", message: `Unexpected script result ${code}` });
  }
}
