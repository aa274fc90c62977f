-- What a join must bring, per event (src/waiting-room/admission.ts): a signed identity assertion
-- from the shop's backend (the user id comes from it, never from the body), and a solved
-- proof-of-work puzzle of `powDifficulty` leading zero bits (0: none).
ALTER TABLE "Event" ADD COLUMN "requireIdentity" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "Event" ADD COLUMN "powDifficulty" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Event" ADD CONSTRAINT "Event_powDifficulty_check" CHECK ("powDifficulty" >= 0 AND "powDifficulty" <= 32);
