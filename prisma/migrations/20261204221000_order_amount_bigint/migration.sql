-- An order's amount is price × quantity: up to 1e8 cents × 1,000 units, beyond a 32-bit INTEGER.
-- AlterTable
ALTER TABLE "Order" ALTER COLUMN "amountCents" SET DATA TYPE BIGINT;
