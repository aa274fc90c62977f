-- Money given back: one row per ticket whose charge must be refunded (an order cancelled, a
-- charged purchase that ended PROCESSING_FAILED). src/purchase/refunds.ts owns it.
CREATE TYPE "RefundStatus" AS ENUM ('PENDING', 'REFUNDED', 'NOT_CHARGED', 'NOT_NEEDED', 'FAILED');

CREATE TABLE "Refund" (
    "ticketId" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "orderId" TEXT,
    "userId" TEXT NOT NULL,
    "amountCents" BIGINT NOT NULL,
    "reason" TEXT NOT NULL,
    "status" "RefundStatus" NOT NULL DEFAULT 'PENDING',
    "reference" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "refundedAt" TIMESTAMP(3),

    CONSTRAINT "Refund_pkey" PRIMARY KEY ("ticketId")
);

CREATE INDEX "Refund_eventId_status_idx" ON "Refund"("eventId", "status");
CREATE INDEX "Refund_status_idx" ON "Refund"("status");

ALTER TABLE "Refund" ADD CONSTRAINT "Refund_amountCents_check" CHECK ("amountCents" >= 0);

GRANT SELECT, INSERT, UPDATE ON "Refund" TO dropqueue_app;
