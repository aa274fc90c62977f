// The local-stack toolkit: free ports, a local redis-server, an embedded PostgreSQL, the
// migrations, child processes with a clean shutdown, and a whole stack of API and worker
// processes. Used by `npm run demo`, the benchmarks and the tests; never by the product itself.
export { type Stack, type StackOptions, startStack } from "./app-stack.js";
export { migrate, runPrisma } from "./migrate.js";
export { assertPortFree, freePort, freePorts, poll, waitReady } from "./ports.js";
export {
  type LocalPostgres,
  type LocalPostgresOptions,
  type PostgresProbe,
  probePostgres,
  startLocalPostgres,
} from "./postgres.js";
export {
  indent,
  killAllNow,
  type LocalProcess,
  type ProcessOptions,
  runTask,
  StackError,
  startProcess,
  stopChild,
} from "./processes.js";
export { findRedisServer, type LocalRedis, redisAnswers, startLocalRedis } from "./redis.js";
export { ROOT } from "./root.js";
