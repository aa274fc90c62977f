// The catalog's products and locations, and a product's stock at a location: a core Stock of
// kind LOCATION in the location's group ("loc:<locationId>"), made LIVE on first need, so an
// order's lines at one location are taken in one atomic step. What is available is the core's
// live `remaining` (or, under ORDER_STOCK_MODE=rowlock, PostgreSQL's total less the row-lock
// path's commitments).
import { createHash, randomBytes } from "node:crypto";
import type { CatalogProduct, Location, LocationStock } from "@prisma/client";
import { Prisma } from "@prisma/client";
import type { Deps } from "../deps.js";
import { AppError, notFound } from "../errors.js";
import { confirmStock, createStock, stockViews } from "../stock/stocks.service.js";
import type { LocationInput, LocationView, ProductInput, ProductStockView } from "./catalog.schemas.js";

export const locationGroup = (locationId: string) => `loc:${locationId}`;

/** The core stock id of a product at a location: derived, so two first receipts make one stock. */
export const locationStockId = (locationId: string, sku: string) =>
  `lst_${createHash("sha256").update(`${locationId}\u0000${sku}`).digest("base64url").slice(0, 24)}`;

const newLocationId = () => `loc_${randomBytes(9).toString("base64url")}`;

export const productOut = (p: CatalogProduct) => ({
  sku: p.sku,
  name: p.name,
  priceCents: p.priceCents,
  description: p.description,
});

export const locationOut = (l: Location): LocationView => ({
  id: l.id,
  name: l.name,
  kind: l.kind,
  lat: l.lat,
  lng: l.lng,
});

export async function createProduct(deps: Deps, input: ProductInput) {
  try {
    return productOut(await deps.prisma.catalogProduct.create({ data: input }));
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002") {
      throw new AppError({
        code: "INVALID_STATE",
        message: "A product with this sku exists",
        details: { sku: input.sku },
      });
    }
    throw err;
  }
}

export async function createLocation(deps: Deps, input: LocationInput): Promise<LocationView> {
  const row = await deps.prisma.location.create({
    data: {
      id: newLocationId(),
      name: input.name,
      kind: input.kind,
      lat: input.lat ?? null,
      lng: input.lng ?? null,
    },
  });
  return locationOut(row);
}

export async function listLocations(deps: Deps): Promise<LocationView[]> {
  const rows = await deps.prisma.location.findMany({ orderBy: { createdAt: "asc" } });
  return rows.map(locationOut);
}

export async function requireLocation(deps: Deps, locationId: string, kind?: "STORE" | "WAREHOUSE") {
  const row = await deps.prisma.location.findUnique({ where: { id: locationId } });
  if (!row || (kind && row.kind !== kind))
    throw notFound(kind === "STORE" ? "store" : "location", { locationId });
  return row;
}

export async function requireProducts(deps: Deps, skus: string[]): Promise<Map<string, CatalogProduct>> {
  const rows = await deps.prisma.catalogProduct.findMany({ where: { sku: { in: skus } } });
  const out = new Map(rows.map((r) => [r.sku, r]));
  const missing = skus.find((s) => !out.has(s));
  if (missing !== undefined) throw notFound("product", { sku: missing });
  return out;
}

/** The product's stock at the location, made (empty, LIVE) when it has none yet. */
export async function ensureLocationStock(
  deps: Deps,
  locationId: string,
  sku: string,
): Promise<LocationStock> {
  const found = await deps.prisma.locationStock.findUnique({
    where: { locationId_sku: { locationId, sku } },
  });
  if (found) return found;
  const stockId = locationStockId(locationId, sku);
  try {
    await createStock(deps, {
      id: stockId,
      name: `${sku} at ${locationId}`,
      total: 0,
      kind: "LOCATION",
      group: locationGroup(locationId),
    });
  } catch (err) {
    // Made by a concurrent first receipt: the same id, so the same stock.
    if (!(err instanceof Prisma.PrismaClientKnownRequestError && err.code === "P2002")) throw err;
  }
  await confirmStock(deps, stockId);
  await deps.prisma.locationStock.createMany({ data: [{ locationId, sku, stockId }], skipDuplicates: true });
  return deps.prisma.locationStock.findUniqueOrThrow({ where: { locationId_sku: { locationId, sku } } });
}

/** Units available per location stock (by stockId), in the mode orders take them. */
export async function availableOf(deps: Deps, rows: LocationStock[]): Promise<Map<string, number>> {
  const stocks = await deps.prisma.stock.findMany({ where: { id: { in: rows.map((r) => r.stockId) } } });
  const out = new Map<string, number>();
  if (deps.config.orderStockMode === "rowlock") {
    const committed = new Map(rows.map((r) => [r.stockId, r.rowlockCommitted]));
    for (const s of stocks) out.set(s.id, Math.max((s.total ?? 0) - (committed.get(s.id) ?? 0), 0));
    return out;
  }
  const views = await stockViews(deps, stocks);
  for (const v of views) out.set(v.id, v.status === "LIVE" ? (v.remaining ?? 0) : 0);
  return out;
}

/** A product with what is available at each location and in all. */
export async function productsWithStock(deps: Deps, skus?: string[]): Promise<ProductStockView[]> {
  const products = await deps.prisma.catalogProduct.findMany({
    where: skus ? { sku: { in: skus } } : {},
    orderBy: { sku: "asc" },
    take: 1000,
  });
  const stocks = await deps.prisma.locationStock.findMany({
    where: { sku: { in: products.map((p) => p.sku) } },
    include: { location: true },
    orderBy: { createdAt: "asc" },
  });
  const available = await availableOf(deps, stocks);
  return products.map((p) => {
    const locations = stocks
      .filter((s) => s.sku === p.sku)
      .map((s) => ({
        locationId: s.locationId,
        kind: s.location.kind,
        available: available.get(s.stockId) ?? 0,
      }));
    return {
      sku: p.sku,
      name: p.name,
      priceCents: p.priceCents,
      available: locations.reduce((sum, l) => sum + l.available, 0),
      locations,
    };
  });
}

export async function getProductWithStock(deps: Deps, sku: string): Promise<ProductStockView> {
  const [view] = await productsWithStock(deps, [sku]);
  if (!view) throw notFound("product", { sku });
  return view;
}

export async function storeProducts(deps: Deps, storeId: string) {
  await requireLocation(deps, storeId, "STORE");
  return locationProducts(deps, storeId);
}

/** The products a location stocks, with what is available of each. */
export async function locationProducts(deps: Deps, storeId: string) {
  await requireLocation(deps, storeId);
  const stocks = await deps.prisma.locationStock.findMany({ where: { locationId: storeId } });
  const products = await deps.prisma.catalogProduct.findMany({
    where: { sku: { in: stocks.map((s) => s.sku) } },
    orderBy: { sku: "asc" },
  });
  const available = await availableOf(deps, stocks);
  const bySku = new Map(stocks.map((s) => [s.sku, s.stockId]));
  return products.map((p) => ({
    sku: p.sku,
    name: p.name,
    priceCents: p.priceCents,
    available: available.get(bySku.get(p.sku) ?? "") ?? 0,
  }));
}

export async function storeStock(deps: Deps, storeId: string, sku: string) {
  await requireLocation(deps, storeId, "STORE");
  await requireProducts(deps, [sku]);
  const row = await deps.prisma.locationStock.findUnique({
    where: { locationId_sku: { locationId: storeId, sku } },
  });
  const available = row ? ((await availableOf(deps, [row])).get(row.stockId) ?? 0) : 0;
  return { locationId: storeId, sku, available };
}

/** Great-circle distance in km (haversine, mean Earth radius). */
export function distanceKm(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const rad = (d: number) => (d * Math.PI) / 180;
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Other stores (no warehouses) that have the product, nearest first (a store without coordinates has no distance: left out). */
export async function nearbyStores(deps: Deps, storeId: string, sku: string, limit: number) {
  const here = await requireLocation(deps, storeId, "STORE");
  await requireProducts(deps, [sku]);
  const stocks = await deps.prisma.locationStock.findMany({
    where: { sku, locationId: { not: storeId }, location: { kind: "STORE" } },
    include: { location: true },
  });
  const available = await availableOf(deps, stocks);
  const origin = here.lat !== null && here.lng !== null ? { lat: here.lat, lng: here.lng } : null;
  return stocks
    .map((s) => {
      const at = s.location;
      const km =
        origin && at.lat !== null && at.lng !== null
          ? distanceKm(origin, { lat: at.lat, lng: at.lng })
          : null;
      return { locationId: s.locationId, name: at.name, km, available: available.get(s.stockId) ?? 0 };
    })
    .flatMap((s) => (s.available > 0 && s.km !== null ? [{ ...s, km: s.km }] : []))
    .sort((a, b) => a.km - b.km)
    .slice(0, limit)
    .map((s) => ({
      locationId: s.locationId,
      name: s.name,
      distanceKm: Math.round(s.km * 100) / 100,
      available: s.available,
    }));
}
