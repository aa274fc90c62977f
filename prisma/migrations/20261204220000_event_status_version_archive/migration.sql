-- Event.statusVersion: raised by every transition. The status Redis holds carries it, so a
-- projection read before a later transition cannot undo that transition (lua/setSaleStatus-1.lua).
ALTER TABLE "Event" ADD COLUMN "statusVersion" INTEGER NOT NULL DEFAULT 0;

-- An ENDED event whose sale is settled is archived: its Redis state is deleted and
-- PostgreSQL answers every read of it. The loops look only at events not archived.
ALTER TABLE "Event" ADD COLUMN "archivedAt" TIMESTAMP(3);
CREATE INDEX "Event_archivedAt_idx" ON "Event"("archivedAt");
