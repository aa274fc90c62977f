// Service keys (API.md "Service keys"): the admin makes, lists and revokes them; a key's holder
// may ask who it is (GET /api/service/whoami), to check a key before it goes into a config.
import { z } from "zod";
import {
  createdServiceKeyView,
  SERVICE_KEY_ID,
  serviceKeyInput,
  serviceKeyView,
  whoamiView,
} from "../auth/service-key.schemas.js";
import { createServiceKey, listServiceKeys, revokeServiceKey } from "../auth/service-keys.js";
import type { Deps } from "../deps.js";
import { adminApi } from "./admin-auth.js";
import type { ApiRouter } from "./api-router.js";
import { serviceApi, servicePrincipal } from "./service-auth.js";

export function serviceKeyAdminRoutes(deps: Deps): ApiRouter {
  const api = adminApi(deps);

  api.route(
    {
      method: "post",
      path: "/service-keys",
      summary: "Make a service key",
      description:
        "The answer carries the key (dqk_…) this once; only its sha256 is kept. Scopes: `stocks` (every " +
        "stock), `stock:<stockId>`, `coupons`, `orders` (every order, every store's included), " +
        "`store:<locationId>`.",
      body: serviceKeyInput,
      responses: { 201: { description: "The key, shown once", schema: createdServiceKeyView } },
    },
    async ({ body }) => ({ status: 201, body: await createServiceKey(deps, body) }),
  );

  api.route(
    {
      method: "get",
      path: "/service-keys",
      summary: "Every service key, newest first (never the key itself)",
      responses: {
        200: { description: "The keys", schema: z.array(serviceKeyView).meta({ id: "ServiceKeys" }) },
      },
    },
    async () => ({ status: 200, body: await listServiceKeys(deps) }),
  );

  api.route(
    {
      method: "delete",
      path: "/service-keys/:keyId",
      summary: "Revoke a service key",
      description:
        "It stops working at once on every API process. Idempotent: revoking it again answers 204.",
      params: z.object({ keyId: SERVICE_KEY_ID }),
      responses: { 204: { description: "Revoked" } },
      errors: ["NOT_FOUND"],
    },
    async ({ params }) => {
      await revokeServiceKey(deps, params.keyId);
      return { status: 204 };
    },
  );

  return api;
}

export function serviceKeyRoutes(deps: Deps): ApiRouter {
  const api = serviceApi(deps);
  api.route(
    {
      method: "get",
      path: "/service/whoami",
      summary: "The calling service key: its id, name and scopes",
      description: "Needs no scope: a way to check a key before it goes into a service's configuration.",
      responses: { 200: { description: "The key", schema: whoamiView } },
    },
    ({ req }) => {
      const { keyId, name, scopes } = servicePrincipal(req);
      return { status: 200, body: { id: keyId, name, scopes } };
    },
  );
  return api;
}
