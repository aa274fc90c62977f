// What an order needs to know before it takes, read once per process and kept: a location's
// kind, a product's price, the core stock of a product at a location. None of them is edited
// once made (a location stock's id never changes; a product's price has no route that changes
// it — a price read is kept PRICE_MS at most all the same), and a miss is never kept, so a
// product, location or stock made since is found on its first use.
import type { CatalogProduct, Location } from "@prisma/client";
import type { Deps } from "../deps.js";
import { notFound } from "../errors.js";

const PRICE_MS = 5_000;
const MAX = 50_000;

const locations = new Map<string, Location>();
const products = new Map<string, { row: CatalogProduct; until: number }>();
const stocks = new Map<string, string>();

function keep<K, V>(map: Map<K, V>, key: K, value: V): void {
  if (map.size >= MAX) map.clear();
  map.set(key, value);
}

export async function cachedLocation(deps: Deps, locationId: string): Promise<Location | null> {
  const hit = locations.get(locationId);
  if (hit) return hit;
  const row = await deps.prisma.location.findUnique({ where: { id: locationId } });
  if (row) keep(locations, locationId, row);
  return row;
}

/** The products named, by sku; 404 naming the first that does not exist. */
export async function cachedProducts(deps: Deps, skus: string[]): Promise<Map<string, CatalogProduct>> {
  const now = Date.now();
  const missing = skus.filter((s) => (products.get(s)?.until ?? 0) <= now);
  if (missing.length > 0) {
    const rows = await deps.prisma.catalogProduct.findMany({ where: { sku: { in: missing } } });
    for (const row of rows) keep(products, row.sku, { row, until: now + PRICE_MS });
  }
  const out = new Map<string, CatalogProduct>();
  for (const sku of skus) {
    const hit = products.get(sku);
    if (!hit) throw notFound("product", { sku });
    out.set(sku, hit.row);
  }
  return out;
}

const stockKey = (locationId: string, sku: string) => `${locationId}\u0000${sku}`;

/** The core stock of each product at the location, by sku (absent: not stocked there yet). */
export async function cachedLocationStocks(
  deps: Deps,
  locationId: string,
  skus: string[],
): Promise<Map<string, string>> {
  const missing = skus.filter((s) => !stocks.has(stockKey(locationId, s)));
  if (missing.length > 0) {
    const rows = await deps.prisma.locationStock.findMany({ where: { locationId, sku: { in: missing } } });
    for (const row of rows) keep(stocks, stockKey(locationId, row.sku), row.stockId);
  }
  const out = new Map<string, string>();
  for (const sku of skus) {
    const stockId = stocks.get(stockKey(locationId, sku));
    if (stockId) out.set(sku, stockId);
  }
  return out;
}
