-- CreateEnum
CREATE TYPE "EventStatus" AS ENUM ('DRAFT', 'SCHEDULED', 'LIVE', 'PAUSED', 'ENDED');

-- CreateEnum
CREATE TYPE "OrderStatus" AS ENUM ('CONFIRMED', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "LedgerReason" AS ENUM ('INITIAL', 'ADJUST', 'RESERVE', 'SALE', 'RESTORE', 'CANCEL');

-- CreateTable
CREATE TABLE "Event" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" "EventStatus" NOT NULL DEFAULT 'DRAFT',
    "startsAt" TIMESTAMP(3),
    "endsAt" TIMESTAMP(3),
    "admissionRate" INTEGER NOT NULL,
    "perUserLimit" INTEGER NOT NULL DEFAULT 1,
    "paymentFailureRate" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "waitingCapacity" INTEGER,
    "firstLiveAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Product" (
    "eventId" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "priceCents" INTEGER NOT NULL,
    "total" INTEGER NOT NULL,
    "liveTotal" INTEGER,
    "perUserLimit" INTEGER,

    CONSTRAINT "Product_pkey" PRIMARY KEY ("eventId","sku")
);

-- CreateTable
CREATE TABLE "Order" (
    "id" TEXT NOT NULL,
    "ticketId" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "amountCents" INTEGER NOT NULL,
    "status" "OrderStatus" NOT NULL,
    "reason" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Order_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LedgerEntry" (
    "id" BIGSERIAL NOT NULL,
    "eventId" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "reason" "LedgerReason" NOT NULL,
    "quantity" INTEGER NOT NULL,
    "reference" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "LedgerEntry_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Event_status_idx" ON "Event"("status");

-- CreateIndex
CREATE UNIQUE INDEX "Order_ticketId_key" ON "Order"("ticketId");

-- CreateIndex
CREATE INDEX "Order_eventId_status_id_idx" ON "Order"("eventId", "status", "id");

-- CreateIndex
CREATE INDEX "Order_eventId_sku_userId_idx" ON "Order"("eventId", "sku", "userId");

-- CreateIndex
CREATE INDEX "LedgerEntry_eventId_sku_id_idx" ON "LedgerEntry"("eventId", "sku", "id");

-- AddForeignKey
ALTER TABLE "Product" ADD CONSTRAINT "Product_eventId_fkey" FOREIGN KEY ("eventId") REFERENCES "Event"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Order" ADD CONSTRAINT "Order_eventId_fkey" FOREIGN KEY ("eventId") REFERENCES "Event"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LedgerEntry" ADD CONSTRAINT "LedgerEntry_eventId_fkey" FOREIGN KEY ("eventId") REFERENCES "Event"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- ---------------------------------------------------------------------------------------------
-- Hand-written below: rules Prisma's schema cannot express. Prisma's diff does not see CHECK
-- constraints or triggers, so `migrate diff` still reports no drift against schema.prisma.
-- ---------------------------------------------------------------------------------------------

-- Stock and money never go negative, and every order is for at least one unit.
ALTER TABLE "Product" ADD CONSTRAINT "Product_total_check" CHECK ("total" >= 0);
ALTER TABLE "Product" ADD CONSTRAINT "Product_priceCents_check" CHECK ("priceCents" >= 0);
ALTER TABLE "Order" ADD CONSTRAINT "Order_quantity_check" CHECK ("quantity" > 0);
ALTER TABLE "Event" ADD CONSTRAINT "Event_admissionRate_check" CHECK ("admissionRate" > 0);
ALTER TABLE "Event" ADD CONSTRAINT "Event_paymentFailureRate_check"
  CHECK ("paymentFailureRate" >= 0 AND "paymentFailureRate" <= 1);

-- The stock ledger is insert-only: a correction is a new entry, never an edit. The reconciler
-- rebuilds stock from it, so an edited or deleted row would silently change history.
CREATE FUNCTION "LedgerEntry_insert_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'LedgerEntry is insert-only: % is not allowed', TG_OP
    USING ERRCODE = 'restrict_violation',
          HINT = 'Record a correction as a new LedgerEntry (reason ADJUST, RESTORE or CANCEL).';
END;
$$;

CREATE TRIGGER "LedgerEntry_insert_only"
  BEFORE UPDATE OR DELETE ON "LedgerEntry"
  FOR EACH ROW EXECUTE FUNCTION "LedgerEntry_insert_only"();
