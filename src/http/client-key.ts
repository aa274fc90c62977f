// Who a request comes from, as the per-client limits count it: the client's address
// (req.ip, which follows X-Forwarded-For only from the proxies TRUST_PROXY names).
import type { Request } from "express";

export function clientKey(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? "unknown";
}
