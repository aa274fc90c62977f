// What services need from the outside world, built once per process by server.ts or a
// worker entry point and handed down (tests build their own).
import type { PrismaClient } from "@prisma/client";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Config } from "./config.js";
import type { PurchaseQueues } from "./purchase/jobs.js";
import type { OrderStore } from "./purchase/order-store.js";
import type { TakeStore } from "./stock/take-store.js";
import type { TicketStore } from "./waiting-room/ticket-store.js";

export interface Deps {
  config: Config;
  redis: Redis;
  prisma: PrismaClient;
  queues: PurchaseQueues;
  tickets: TicketStore;
  orders: OrderStore;
  /** The group-committed writes of the stock core's takes. */
  takes: TakeStore;
  log: Logger;
}
