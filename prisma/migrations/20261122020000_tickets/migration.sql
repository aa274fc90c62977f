-- CreateEnum
CREATE TYPE "TicketStatus" AS ENUM ('PREQUEUE', 'QUEUED', 'PROCESSING', 'CONFIRMED', 'REJECTED', 'FAILED', 'CANCELLED');

-- CreateTable
CREATE TABLE "Ticket" (
    "id" TEXT NOT NULL,
    "eventId" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "seq" INTEGER NOT NULL,
    "status" "TicketStatus" NOT NULL,
    "reason" TEXT,
    "orderId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedAt" TIMESTAMP(3),

    CONSTRAINT "Ticket_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Ticket_eventId_status_idx" ON "Ticket"("eventId", "status");

-- AddForeignKey
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_eventId_fkey" FOREIGN KEY ("eventId") REFERENCES "Event"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- A ticket's quantity is positive, and an outcome needs a decision time.
ALTER TABLE "Ticket" ADD CONSTRAINT "Ticket_quantity_positive" CHECK ("quantity" > 0);
