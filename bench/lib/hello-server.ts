// A hello-world server in its own process, for the `walls` benchmark: `express` (Express 5,
// the framework of the API) or `http` (plain node:http). Prints {"port":N} once listening;
// SIGTERM stops it.
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";

const kind = process.argv[2];
let handler: RequestListener;
if (kind === "express") {
  const app = express();
  app.get("/", (_req, res) => {
    res.send("Hello World!");
  });
  handler = app;
} else if (kind === "http") {
  handler = (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("Hello World!");
  };
} else {
  process.stderr.write("usage: hello-server.ts express|http\n");
  process.exit(2);
}

const server = createServer(handler);
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
