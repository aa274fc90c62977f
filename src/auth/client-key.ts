// "Which client is this": the one derivation every per-client limit keys on (HTTP rate
// limits, failed admin sign-ins, socket connections, and the join's own limit).
// An IPv4 address stands for itself; an IPv6 address for its /64, the smallest block a
// provider hands one subscriber (anyone holding a /64 could otherwise be 2^64 "clients");
// an IPv4-mapped IPv6 address (::ffff:1.2.3.4) is its IPv4 address. Behind proxies, the
// address is the one TRUST_PROXY lets us believe (Express's req.ip; proxy-addr for sockets).
import type { IncomingMessage } from "node:http";
import { isIPv4, isIPv6 } from "node:net";
import proxyaddr from "proxy-addr";
import type { Config } from "../config.js";

/** The client key of an Express request (req.ip already honours `trust proxy`). */
export function clientKey(req: {
  ip?: string | undefined;
  socket?: { remoteAddress?: string | undefined };
}): string {
  return clientKeyOf(req.ip ?? req.socket?.remoteAddress);
}

/** The client key of a raw request (a Socket.IO handshake), believing proxies as TRUST_PROXY says. */
export function clientKeyOfRequest(
  req: IncomingMessage,
  trustProxy: Config["security"]["trustProxy"],
): string {
  return clientKeyOf(proxyaddr(req, trustFunction(trustProxy)));
}

/** The client key of an address: IPv4 as is, IPv6 as its /64 (`2001:db8:1:2::/64`). */
export function clientKeyOf(address: string | undefined): string {
  if (!address) return "unknown";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (isIPv4(address)) return address;
  const bare = address.replace(/%.*$/, ""); // a zone id (fe80::1%eth0) is not part of the address
  if (!isIPv6(bare)) return address;
  return `${expandIPv6(bare).slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, lower-case hex without leading zeros. */
function expandIPv6(address: string): string[] {
  let text = address.toLowerCase();
  // A trailing dotted quad (::1.2.3.4) is the last two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const fill = tail === undefined ? [] : Array(8 - left.length - right.length).fill("0");
  return [...left, ...fill, ...right].map((group) => Number.parseInt(group || "0", 16).toString(16));
}

/** TRUST_PROXY as proxy-addr's trust function, the way Express compiles `trust proxy`. */
function trustFunction(trust: Config["security"]["trustProxy"]): (address: string, hop: number) => boolean {
  if (trust === false) return () => false;
  if (typeof trust === "number") return (_address, hop) => hop < trust;
  return proxyaddr.compile(trust);
}
