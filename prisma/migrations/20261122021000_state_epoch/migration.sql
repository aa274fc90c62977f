-- AlterTable
ALTER TABLE "Event" ADD COLUMN     "stateEpoch" INTEGER NOT NULL DEFAULT 0;

