-- CreateEnum
CREATE TYPE "LocationKind" AS ENUM ('WAREHOUSE', 'STORE');

-- CreateEnum
CREATE TYPE "OrderChannel" AS ENUM ('ONLINE', 'OFFLINE');

-- CreateEnum
CREATE TYPE "Fulfilment" AS ENUM ('DELIVERY', 'SAME_DAY', 'PICKUP');

-- CreateEnum
CREATE TYPE "CatalogOrderStatus" AS ENUM ('PENDING', 'PAID', 'FULFILLED', 'CANCELLED');

-- CreateTable
CREATE TABLE "CatalogProduct" (
    "sku" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "priceCents" INTEGER NOT NULL,
    "description" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CatalogProduct_pkey" PRIMARY KEY ("sku")
);

-- CreateTable
CREATE TABLE "Location" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" "LocationKind" NOT NULL,
    "lat" DOUBLE PRECISION,
    "lng" DOUBLE PRECISION,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Location_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LocationStock" (
    "locationId" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "stockId" TEXT NOT NULL,
    "rowlockCommitted" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LocationStock_pkey" PRIMARY KEY ("locationId","sku")
);

-- CreateTable
CREATE TABLE "CatalogOrder" (
    "id" TEXT NOT NULL,
    "reference" TEXT NOT NULL,
    "userId" TEXT,
    "channel" "OrderChannel" NOT NULL,
    "fulfilment" "Fulfilment",
    "status" "CatalogOrderStatus" NOT NULL,
    "locationId" TEXT NOT NULL,
    "amountCents" BIGINT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CatalogOrder_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CatalogOrderLine" (
    "orderId" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "priceCents" INTEGER NOT NULL,
    "locationId" TEXT NOT NULL,
    "stockId" TEXT NOT NULL,

    CONSTRAINT "CatalogOrderLine_pkey" PRIMARY KEY ("orderId","sku")
);

-- CreateTable
CREATE TABLE "Receipt" (
    "reference" TEXT NOT NULL,
    "locationId" TEXT NOT NULL,
    "lines" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Receipt_pkey" PRIMARY KEY ("reference")
);

-- CreateTable
CREATE TABLE "Transfer" (
    "reference" TEXT NOT NULL,
    "fromId" TEXT NOT NULL,
    "toId" TEXT NOT NULL,
    "lines" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Transfer_pkey" PRIMARY KEY ("reference")
);

-- CreateIndex
CREATE INDEX "Take_reference_idx" ON "Take"("reference");

-- CreateIndex
CREATE UNIQUE INDEX "LocationStock_stockId_key" ON "LocationStock"("stockId");

-- CreateIndex
CREATE INDEX "LocationStock_sku_idx" ON "LocationStock"("sku");

-- CreateIndex
CREATE UNIQUE INDEX "CatalogOrder_reference_key" ON "CatalogOrder"("reference");

-- CreateIndex
CREATE INDEX "CatalogOrder_channel_createdAt_idx" ON "CatalogOrder"("channel", "createdAt");

-- CreateIndex
CREATE INDEX "CatalogOrder_locationId_createdAt_idx" ON "CatalogOrder"("locationId", "createdAt");

-- AddForeignKey
ALTER TABLE "LocationStock" ADD CONSTRAINT "LocationStock_locationId_fkey" FOREIGN KEY ("locationId") REFERENCES "Location"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CatalogOrderLine" ADD CONSTRAINT "CatalogOrderLine_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "CatalogOrder"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


ALTER TABLE "CatalogProduct" ADD CONSTRAINT "CatalogProduct_price_check" CHECK ("priceCents" >= 0);
ALTER TABLE "CatalogOrderLine" ADD CONSTRAINT "CatalogOrderLine_quantity_check" CHECK ("quantity" >= 1);
-- The comparison path (ORDER_STOCK_MODE=rowlock) never commits more than it may.
ALTER TABLE "LocationStock" ADD CONSTRAINT "LocationStock_rowlock_check" CHECK ("rowlockCommitted" >= 0);

GRANT SELECT, INSERT, UPDATE ON "CatalogProduct", "Location", "LocationStock", "CatalogOrder",
  "CatalogOrderLine" TO dropqueue_app;
GRANT SELECT, INSERT ON "Receipt", "Transfer" TO dropqueue_app;
