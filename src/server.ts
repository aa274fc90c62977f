// Composition root of an API process: config → clients → app → listen → drain.
import { closeDeps, createDeps, onShutdown } from "./bootstrap.js";
import { loadConfigOrExit } from "./config.js";
import { startApiServer } from "./http/api-server.js";

const config = loadConfigOrExit();
const deps = createDeps(config, { name: "api" });
const server = await startApiServer(deps);
deps.log.info({ url: server.url }, "API listening");
onShutdown(deps.log, async () => {
  // Joins and /readyz answer 503, sockets move to other API processes, requests in hand finish.
  await server.drain({ delayMs: config.http.drainDelayMs });
  await closeDeps(deps);
});
