// What a benchmark scenario is: a name, a run that returns its figures, and the tables
// that print them (given the walls measured in the same run, or in the latest run).

export interface Walls {
  /** Express 5 hello-world, closed loop, 100 connections (req/s). */
  expressRps: number;
  expressP99Ms: number;
  /** Plain node:http hello-world, same generator (req/s). */
  nodeHttpRps: number;
  /** Stock check + SADD + DECR Lua, 50 clients, no pipelining / 16 deep (ops/s). */
  redisEvalsha: number;
  redisEvalshaP16: number;
  redisTool: string;
  /** Single-row INSERT, autocommit, 8 clients (tx/s). */
  pgInsertTps: number;
  /** BullMQ addBulk of empty jobs / a worker at concurrency 50 draining them (jobs/s). */
  bullmqAddPerSecond: number;
  bullmqWorkerPerSecond: number;
  /** Bare Socket.IO server with many WebSocket clients: memory per connection, broadcast reach. */
  socketio?: { connections: number; bytesPerConnection: number; broadcastReachMs: number };
  /** CPU use while each wall was measured (% of one core), by group; `others` is the rest of the machine. */
  cpu?: Record<string, Record<string, number>>;
}

export interface Context {
  /** Walls of this run, or of the latest run that measured them. */
  walls?: Walls;
  wallsSource?: string;
  /** Figures of the scenarios already run in this run (or the latest run), by name. */
  results: Record<string, unknown>;
  /** The results file a figure in `results` comes from, when not from this run. */
  priorFiles: Record<string, string>;
  /** Where child processes of dropqueue write CPU profiles (--cpu-prof-dir). */
  cpuProfDir?: string;
}

export interface Scenario<R> {
  name: string;
  describe: string;
  run(ctx: Context): Promise<R>;
  tables(result: R, ctx: Context): string[];
}
