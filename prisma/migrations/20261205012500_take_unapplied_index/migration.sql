-- The loop's question "which takes does Redis not show yet?" is `applied IS NULL` (src/recovery/stocks.ts).
-- Takes refused before this migration show nothing in Redis: say so, so they leave that question.
UPDATE "Take" SET "applied" = 'REFUSED' WHERE "status" = 'REFUSED' AND "applied" IS NULL;
UPDATE "Take" SET "applied" = NULL WHERE "status" IN ('HELD', 'CONFIRMED', 'RELEASED') AND "applied" IS DISTINCT FROM "status";

CREATE INDEX "Take_applied_updatedAt_idx" ON "Take"("applied", "updatedAt");
