// Redis connections, to one Redis server (REDIS_URL) or to a Redis Cluster
// (REDIS_CLUSTER_NODES). The command client carries our Lua scripts; BullMQ gets
// connections of its own; the realtime subscriber is a duplicate of the command client,
// because a subscribed connection can do nothing else.
import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { Config } from "../config.js";
import { defineScripts } from "./scripts.js";

/** Where Redis is: a URL, or a config that names a URL or the nodes of a cluster. */
export type RedisTarget = string | Pick<Config, "redisUrl" | "redisClusterNodes">;

/** The one place a connection is made: a Cluster when the target names cluster nodes. */
function connect(target: RedisTarget, options: RedisOptions): Redis {
  if (typeof target === "string") return new Redis(target, options);
  if (target.redisClusterNodes.length === 0) return new Redis(target.redisUrl, options);
  const cluster = new Cluster(target.redisClusterNodes, {
    // Per-node options (BullMQ reads maxRetriesPerRequest from here on a Cluster).
    redisOptions: options,
    // Keep any command on a master: a replica may lag behind a reservation.
    scaleReads: "master",
  });
  // The cast, once, here: ioredis' Cluster has the command surface the code uses (commands,
  // multi and pipeline within one slot, defineCommand, duplicate, pub/sub, events, disconnect)
  // but is not declared as a Redis. Every key of an event shares the hash tag {ev:<id>}, so
  // each script, MULTI and pipeline of an event runs in one slot. Not to be used on such a
  // client: a pipeline or MULTI that spans events (or the global keys), SELECT, KEYS/SCAN,
  // FLUSHALL (they reach one node only).
  return cluster as unknown as Redis;
}

/** The command client of a process (Deps.redis), with every lua/ script defined on it. */
export function createRedis(target: RedisTarget, options: RedisOptions = {}): Redis {
  return defineScripts(connect(target, { lazyConnect: false, ...options }));
}

/**
 * A connection for BullMQ workers and their queues: it retries forever rather than failing
 * commands (BullMQ requires maxRetriesPerRequest: null for blocking connections).
 */
export function createBullConnection(target: RedisTarget): Redis {
  return connect(target, { maxRetriesPerRequest: null });
}
