// The catalog order's state machine: the one place its moves are named. Every change of an
// order's status is a conditional UPDATE from the statuses allowed here (orders.service.ts).
import type { CatalogOrderStatus } from "@prisma/client";
import { AppError } from "../errors.js";

/** To each status, the statuses an order may come from. */
export const ORDER_MOVES: Record<CatalogOrderStatus, readonly CatalogOrderStatus[]> = {
  PENDING: [],
  PAID: ["PENDING"],
  FULFILLED: ["PAID"],
  CANCELLED: ["PENDING", "PAID"],
};

export const canMove = (from: CatalogOrderStatus, to: CatalogOrderStatus): boolean =>
  ORDER_MOVES[to].includes(from);

export function invalidMove(orderId: string, from: CatalogOrderStatus, to: CatalogOrderStatus): AppError {
  return new AppError({
    code: "INVALID_STATE",
    message: `A ${from.toLowerCase()} order cannot become ${to.toLowerCase()}`,
    details: { orderId, status: from, wanted: to, allowedFrom: ORDER_MOVES[to] },
  });
}
