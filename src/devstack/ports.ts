// Ports for processes started on this machine: one the OS picks, or a check that a chosen one is free.
import net from "node:net";

/** A port nobody listens on right now on 127.0.0.1 (the OS picks it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("could not find a free port");
  return address.port;
}

/** Free ports, all distinct (two calls of freePort may return the same one). */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Rejects with the listen error (EADDRINUSE, EACCES…) when `port` cannot be listened on. */
export async function assertPortFree(port: number): Promise<void> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, resolve);
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Polls `attempt` until it returns a value; throws `onTimeout()` when time runs out. */
export async function poll<T>(
  timeoutMs: number,
  attempt: () => Promise<T | undefined>,
  onTimeout: () => Error,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await attempt();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw onTimeout();
}

/** Resolves once GET `<url>/readyz` answers 200. */
export async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await poll(
    timeoutMs,
    async () => {
      try {
        // As long as the time left: on a loaded machine a booting process answers slowly,
        // and a shorter cut would never let an answer arrive.
        const signal = AbortSignal.timeout(Math.max(100, deadline - Date.now()));
        const res = await fetch(`${url}/readyz`, { signal });
        return res.ok ? true : undefined;
      } catch {
        return undefined; // not listening yet
      }
    },
    () => new Error(`${url} did not become ready in ${timeoutMs} ms`),
  );
}
