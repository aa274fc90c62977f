-- The one stock core (src/stock/): stocks, takes by reference, and their insert-only ledger.
-- CreateEnum
CREATE TYPE "StockStatus" AS ENUM ('DRAFT', 'LIVE', 'CLOSED');

-- CreateEnum
CREATE TYPE "TakeStatus" AS ENUM ('PENDING', 'HELD', 'CONFIRMED', 'RELEASED', 'REFUSED');

-- CreateEnum
CREATE TYPE "StockMovementReason" AS ENUM ('INITIAL', 'ADJUST', 'INBOUND', 'TRANSFER_OUT', 'TRANSFER_IN', 'TAKE', 'CONFIRM', 'RELEASE', 'RETURN');

-- CreateTable
CREATE TABLE "Stock" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL DEFAULT 'STOCK',
    "group" TEXT NOT NULL,
    "status" "StockStatus" NOT NULL DEFAULT 'DRAFT',
    "total" INTEGER,
    "liveTotal" INTEGER,
    "perUserLimit" INTEGER,
    "startsAt" TIMESTAMP(3),
    "endsAt" TIMESTAMP(3),
    "holdSeconds" INTEGER,
    "stateEpoch" INTEGER NOT NULL DEFAULT 0,
    "remaining" INTEGER,
    "remainSyncedAt" TIMESTAMP(3),
    "archivedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Stock_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Take" (
    "stockId" TEXT NOT NULL,
    "reference" TEXT NOT NULL,
    "userId" TEXT,
    "quantity" INTEGER NOT NULL,
    "status" "TakeStatus" NOT NULL,
    "applied" "TakeStatus",
    "expiresAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Take_pkey" PRIMARY KEY ("stockId","reference")
);

-- CreateTable
CREATE TABLE "StockMovement" (
    "id" BIGSERIAL NOT NULL,
    "stockId" TEXT NOT NULL,
    "reason" "StockMovementReason" NOT NULL,
    "quantity" INTEGER NOT NULL,
    "reference" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "StockMovement_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Stock_status_archivedAt_idx" ON "Stock"("status", "archivedAt");

-- CreateIndex
CREATE INDEX "Stock_group_idx" ON "Stock"("group");

-- CreateIndex
CREATE INDEX "Take_stockId_status_idx" ON "Take"("stockId", "status");

-- CreateIndex
CREATE INDEX "Take_status_updatedAt_idx" ON "Take"("status", "updatedAt");

-- CreateIndex
CREATE INDEX "StockMovement_stockId_id_idx" ON "StockMovement"("stockId", "id");

-- AddForeignKey
ALTER TABLE "Take" ADD CONSTRAINT "Take_stockId_fkey" FOREIGN KEY ("stockId") REFERENCES "Stock"("id") ON DELETE RESTRICT ON UPDATE CASCADE;


ALTER TABLE "Stock" ADD CONSTRAINT "Stock_figures_check"
  CHECK (("total" IS NULL OR "total" >= 0) AND ("perUserLimit" IS NULL OR "perUserLimit" >= 1)
    AND ("holdSeconds" IS NULL OR "holdSeconds" >= 1));
ALTER TABLE "Take" ADD CONSTRAINT "Take_quantity_check" CHECK ("quantity" >= 1);

-- Insert-only, as "LedgerEntry": no UPDATE or DELETE (row trigger), no TRUNCATE (statement trigger).
CREATE FUNCTION "StockMovement_insert_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'StockMovement is insert-only: % is not allowed', TG_OP
    USING ERRCODE = 'restrict_violation',
          HINT = 'Record a correction as a new StockMovement.';
END;
$$;
CREATE TRIGGER "StockMovement_insert_only"
  BEFORE UPDATE OR DELETE ON "StockMovement"
  FOR EACH ROW EXECUTE FUNCTION "StockMovement_insert_only"();
CREATE TRIGGER "StockMovement_no_truncate"
  BEFORE TRUNCATE ON "StockMovement"
  FOR EACH STATEMENT EXECUTE FUNCTION "StockMovement_insert_only"();

GRANT SELECT, INSERT, UPDATE ON "Stock", "Take" TO dropqueue_app;
GRANT SELECT, INSERT ON "StockMovement" TO dropqueue_app;
GRANT USAGE ON SEQUENCE "StockMovement_id_seq" TO dropqueue_app;
