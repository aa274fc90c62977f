// An event's products as the sale reads them from PostgreSQL: the Product row (sku, name,
// price) with the figures of its core Stock (kind EVENT, src/redis/keys.ts eventStock), the
// only place its total, its ceiling (liveTotal) and its per-user limit live (issue 13).
import type { Prisma } from "@prisma/client";

/** Prisma `include` of a product's stock figures. */
export const productStock = {
  stock: { select: { status: true, total: true, liveTotal: true, perUserLimit: true } },
} as const;

export type ProductWithStock = Prisma.ProductGetPayload<{ include: typeof productStock }>;

export interface EventProduct {
  sku: string;
  name: string;
  priceCents: number;
  stockId: string;
  total: number;
  liveTotal: number | null;
  /** The product's own limit; null: the event's. */
  perUserLimit: number | null;
}

export function eventProduct(p: ProductWithStock): EventProduct {
  return {
    sku: p.sku,
    name: p.name,
    priceCents: p.priceCents,
    stockId: p.stockId,
    // An event product's stock is never unlimited (created with a count).
    total: p.stock.total ?? 0,
    liveTotal: p.stock.liveTotal,
    perUserLimit: p.stock.perUserLimit,
  };
}
