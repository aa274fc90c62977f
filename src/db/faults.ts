// Telling a fault of the database (unreachable, restarting, out of connections) from an error
// about what was asked of it (a constraint, a value out of range). The first is worth retrying
// as it was; the second fails the same way every time.
import { Prisma } from "@prisma/client";

// Driver adapter error kinds (@prisma/driver-adapter-utils) that say nothing about the query.
const CONNECTION_KINDS = new Set([
  "DatabaseNotReachable",
  "DatabaseDoesNotExist",
  "DatabaseAccessDenied",
  "AuthenticationFailed",
  "ConnectionClosed",
  "SocketTimeout",
  "TlsConnectionError",
  "TooManyConnections",
]);

// SQLSTATE classes: 08 connection exception, 53 insufficient resources, 57 operator
// intervention (admin shutdown, crash shutdown, cannot connect now), 58 system error.
const CONNECTION_SQLSTATE = /^(08|53|57|58)/;

// What pg (and Node's sockets) throw when the connection itself goes; Prisma passes them on as
// they are, not as driver adapter errors.
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH"]);
const PG_CONNECTION_MESSAGE = /Connection terminated|is not queryable/;

/** Whether `err` is the database failing, not the statement: retrying it smaller cannot help. */
export function isConnectionFault(err: unknown): boolean {
  if (!(err instanceof Prisma.PrismaClientKnownRequestError) && err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && SOCKET_CODES.has(code)) return true;
    if (PG_CONNECTION_MESSAGE.test(err.message)) return true;
  }
  if (
    err instanceof Prisma.PrismaClientInitializationError ||
    err instanceof Prisma.PrismaClientRustPanicError
  ) {
    return true;
  }
  if (err instanceof Prisma.PrismaClientKnownRequestError) {
    if (["P1001", "P1002", "P1008", "P1017", "P2024"].includes(err.code)) return true;
    const cause = (
      err.meta as { driverAdapterError?: { cause?: { kind?: string; code?: string } } } | undefined
    )?.driverAdapterError?.cause;
    if (cause?.kind && CONNECTION_KINDS.has(cause.kind)) return true;
    return cause?.kind === "postgres" && CONNECTION_SQLSTATE.test(cause.code ?? "");
  }
  return false;
}
