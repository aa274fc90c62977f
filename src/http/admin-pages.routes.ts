// Admin pages served by packages, documented as one GET each: the BullMQ dashboard.
import type { Deps } from "../deps.js";
import { ApiRouter, TAGS } from "./api-router.js";
import { DASHBOARD_PATH, queuesDashboard } from "./queues-dashboard.js";

export function adminPages(deps: Deps): ApiRouter {
  const api = new ApiRouter({ base: "/", tag: TAGS.admin });
  api.page(
    {
      path: DASHBOARD_PATH,
      summary: "The BullMQ dashboard of every event's purchase queue",
      description:
        "A page for browsers, read-only: sign in with the admin token in its form (POST " +
        "/admin/queues/sign-in), which sets an HttpOnly, SameSite=Strict cookie (dq_admin) that " +
        "expires after 12 h; signing out ends every session. A Bearer header works too.",
      security: ["adminToken", "dashboardCookie"],
      responses: { 200: { description: "The dashboard", contentType: "text/html" } },
    },
    queuesDashboard(deps),
  );
  return api;
}
