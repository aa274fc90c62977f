// The shapes of service keys (API.md "Service keys"): the scopes a key may carry, what the
// admin sends to make one and what the admin and the key's holder are shown.
import { z } from "zod";

/** The id alphabet of stocks and locations: the same as event ids (events/event.schemas.ts). */
const ID = "[A-Za-z0-9_-]{1,64}";

/**
 * One scope: `stocks` (every stock), `stock:<stockId>`, `coupons`, `orders` (every order,
 * every store's included), `store:<locationId>` (that store's orders).
 */
export const SCOPE = z
  .string()
  .regex(
    new RegExp(`^(stocks|coupons|orders|stock:${ID}|store:${ID})$`),
    "stocks, stock:<stockId>, coupons, orders or store:<locationId>",
  );

export const SERVICE_KEY_ID = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a service key id");

export const serviceKeyInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200).describe('Who holds it: "shop checkout", "till 12"'),
    scopes: z
      .array(SCOPE)
      .min(1)
      .max(100)
      .transform((scopes) => [...new Set(scopes)]),
  })
  .meta({ id: "ServiceKeyInput" });
export type ServiceKeyInput = z.infer<typeof serviceKeyInput>;

const TIME = z.iso.datetime();

export const createdServiceKeyView = z
  .object({
    id: SERVICE_KEY_ID,
    name: z.string(),
    scopes: z.array(SCOPE),
    key: z.string().describe("The key, shown this once: only its sha256 is kept"),
    createdAt: TIME,
  })
  .meta({ id: "CreatedServiceKey" });

export const serviceKeyView = z
  .object({
    id: SERVICE_KEY_ID,
    name: z.string(),
    scopes: z.array(SCOPE),
    prefix: z.string().describe("The key's first 8 characters"),
    createdAt: TIME,
    revokedAt: TIME.nullable(),
    lastUsedAt: TIME.nullable().describe("Updated at most once a minute"),
  })
  .meta({ id: "ServiceKey" });
export type ServiceKeyView = z.infer<typeof serviceKeyView>;

export const whoamiView = z
  .object({ id: SERVICE_KEY_ID, name: z.string(), scopes: z.array(SCOPE) })
  .meta({ id: "ServicePrincipal" });
