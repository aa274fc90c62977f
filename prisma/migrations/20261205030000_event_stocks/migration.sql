-- Issue 13: an event's products are users of the stock core. Each product's units become a core
-- "Stock" of kind EVENT (id "<eventId>.<sku>", group "ev:<eventId>": src/redis/keys.ts eventStock),
-- which alone holds the total, the ceiling of the first LIVE and the per-user limit; the sale's
-- ledger becomes the core's "StockMovement" (RESERVE→TAKE, SALE→CONFIRM, RESTORE→RELEASE,
-- CANCEL→RETURN). Existing rows are carried over, then the old columns, table and enum go.

-- The product's stock id, as src/redis/keys.ts eventStock builds it.
ALTER TABLE "Product" ADD COLUMN "stockId" TEXT;
UPDATE "Product" SET "stockId" = "eventId" || '.' || "sku";

-- One stock per product: LIVE once its event went LIVE, CLOSED once its sale was archived.
INSERT INTO "Stock" ("id", "name", "kind", "group", "status", "total", "liveTotal", "perUserLimit",
                     "archivedAt", "createdAt", "updatedAt")
SELECT p."stockId", p."name", 'EVENT', 'ev:' || p."eventId",
       (CASE WHEN e."archivedAt" IS NOT NULL THEN 'CLOSED'
             WHEN e."firstLiveAt" IS NOT NULL THEN 'LIVE'
             ELSE 'DRAFT' END)::"StockStatus",
       p."total", p."liveTotal", p."perUserLimit", e."archivedAt", e."createdAt", CURRENT_TIMESTAMP
FROM "Product" p JOIN "Event" e ON e."id" = p."eventId";

-- The ledger, in its order, each row with its time. Every row is kept, also one whose product
-- is missing (its stock id is still "<eventId>.<sku>"). INSERT is all the core's ledger allows.
INSERT INTO "StockMovement" ("stockId", "reason", "quantity", "reference", "createdAt")
SELECT l."eventId" || '.' || l."sku",
       (CASE l."reason"::text
          WHEN 'RESERVE' THEN 'TAKE'
          WHEN 'SALE' THEN 'CONFIRM'
          WHEN 'RESTORE' THEN 'RELEASE'
          WHEN 'CANCEL' THEN 'RETURN'
          ELSE l."reason"::text END)::"StockMovementReason",
       l."quantity", l."reference", l."createdAt"
FROM "LedgerEntry" l
ORDER BY l."id";

ALTER TABLE "Product" ALTER COLUMN "stockId" SET NOT NULL;
CREATE UNIQUE INDEX "Product_stockId_key" ON "Product"("stockId");
ALTER TABLE "Product" ADD CONSTRAINT "Product_stockId_fkey" FOREIGN KEY ("stockId") REFERENCES "Stock"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

ALTER TABLE "Product" DROP COLUMN "total",
                      DROP COLUMN "liveTotal",
                      DROP COLUMN "perUserLimit";

-- DROP fires neither the row nor the TRUNCATE trigger: the copy above is the ledger now.
DROP TABLE "LedgerEntry";
DROP FUNCTION "LedgerEntry_insert_only"();
DROP FUNCTION "LedgerEntry_no_truncate"();
DROP TYPE "LedgerReason";
