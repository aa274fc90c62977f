-- An ENDED event whose sale is settled is archived: its Redis state is deleted and
-- PostgreSQL answers every read of it. The loops look only at events not archived.
ALTER TABLE "Event" ADD COLUMN "archivedAt" TIMESTAMP(3);
CREATE INDEX "Event_archivedAt_idx" ON "Event"("archivedAt");
