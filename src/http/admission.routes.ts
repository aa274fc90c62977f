// The admin's switch for what an event's joins must bring (src/admission/): a shop-signed
// identity, a proof-of-work puzzle of some difficulty. The shopper's side (the puzzle) is in
// shopper.routes.ts.
import { z } from "zod";
import { admissionOf } from "../admission/admission.js";
import type { Deps } from "../deps.js";
import { AppError, notFound } from "../errors.js";
import { EVENT_ID } from "../events/event.schemas.js";
import { adminApi } from "./admin-auth.js";
import type { ApiRouter } from "./api-router.js";

const eventParams = z.object({ eventId: EVENT_ID });

export const admissionInput = z
  .strictObject({
    requireIdentity: z.boolean().optional(),
    powDifficulty: z.number().int().min(0).max(32).optional(),
  })
  .describe("What the event's joins must bring; omitted fields stay as they are");

const admissionView = z
  .object({ requireIdentity: z.boolean(), powDifficulty: z.number().int() })
  .meta({ id: "Admission" });

export function admissionAdminRoutes(deps: Deps): ApiRouter {
  const admission = admissionOf(deps);
  const api = adminApi(deps);
  api.route(
    {
      method: "get",
      path: "/events/:eventId/admission",
      summary: "What the event's joins must bring",
      params: eventParams,
      responses: { 200: { description: "The admission settings", schema: admissionView } },
      errors: ["NOT_FOUND"],
    },
    async ({ params }) => {
      admission.forget(params.eventId);
      return { status: 200, body: await admission.settings(params.eventId) };
    },
  );
  api.route(
    {
      method: "put",
      path: "/events/:eventId/admission",
      summary: "Require a shop-signed identity and/or a proof-of-work puzzle for the event's joins",
      params: eventParams,
      body: admissionInput,
      responses: { 200: { description: "The admission settings", schema: admissionView } },
      errors: ["NOT_FOUND", "VALIDATION_FAILED"],
    },
    async ({ params, body }) => {
      const { eventId } = params;
      if (body.requireIdentity && !deps.config.identity)
        throw new AppError({
          code: "VALIDATION_FAILED",
          message:
            "Set SHOPPER_JWT_SECRET or SHOPPER_JWKS_URL (with issuer and audience) before requiring identity",
          details: { in: "body", fields: [{ path: "requireIdentity", message: "no verifier configured" }] },
        });
      const updated = await deps.prisma.event.updateMany({ where: { id: eventId }, data: body });
      if (updated.count === 0) throw notFound("event", { eventId });
      admission.forget(eventId);
      return { status: 200, body: await admission.settings(eventId) };
    },
  );
  return api;
}
