// Many Socket.IO clients from the bench process: one WebSocket connection each (no
// multiplexing, no reconnection), opened a bounded number at a time, with a deadline.
import { io, type Socket } from "socket.io-client";

export interface ConnectedSockets {
  sockets: Socket[];
  failed: number;
  seconds: number;
  close(): void;
}

export async function connectSockets(opts: {
  url: string;
  count: number;
  auth: (i: number) => Record<string, string>;
  /** Called before connecting: listeners set here see what the server sends on connect. */
  setup?: (socket: Socket, i: number) => void;
  /** Handshakes in progress at once. */
  concurrency?: number;
  deadlineMs?: number;
  onProgress?: (connected: number) => void;
}): Promise<ConnectedSockets> {
  const sockets: Socket[] = [];
  const all: Socket[] = [];
  let failed = 0;
  let next = 0;
  const start = performance.now();
  const deadline = start + (opts.deadlineMs ?? 60_000);
  const connectOne = (i: number) =>
    new Promise<void>((resolve) => {
      const socket = io(opts.url, {
        path: "/socket.io",
        transports: ["websocket"],
        forceNew: true,
        reconnection: false,
        timeout: 20_000,
        auth: opts.auth(i),
      });
      all.push(socket);
      opts.setup?.(socket, i);
      socket.once("connect", () => {
        sockets.push(socket);
        opts.onProgress?.(sockets.length);
        resolve();
      });
      socket.once("connect_error", () => {
        failed++;
        socket.close();
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: opts.concurrency ?? 200 }, async () => {
      while (next < opts.count && performance.now() < deadline) await connectOne(next++);
    }),
  );
  return {
    sockets,
    failed: failed + (opts.count - next),
    seconds: (performance.now() - start) / 1000,
    close() {
      for (const s of all) s.close();
    },
  };
}
