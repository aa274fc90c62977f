// A bare Socket.IO 4 server in its own process, for the `walls` benchmark. Prints
// {"port":N} once listening; then, per line on stdin: `rss` prints {"rss":bytes} (after a
// GC when --expose-gc is on), `broadcast` emits `ping:all` to every client. SIGTERM stops it.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { Server } from "socket.io";

const http = createServer();
const io = new Server(http, { path: "/socket.io", transports: ["websocket", "polling"] });
http.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: (http.address() as AddressInfo).port })}\n`);
});
createInterface({ input: process.stdin }).on("line", (line) => {
  if (line === "rss") process.stdout.write(`${JSON.stringify({ rss: process.memoryUsage().rss })}\n`);
  if (line === "broadcast") io.emit("ping:all", { at: Date.now() });
});
process.on("SIGTERM", () => {
  io.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
});
