// Admin pages served by packages, documented as one GET each: the BullMQ dashboard.
import { z } from "zod";
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
        "A page for browsers: open it once with ?token=<ADMIN_TOKEN>, which sets an HttpOnly, " +
        "SameSite=Strict cookie (dq_admin) for the visit. A Bearer header works too.",
      security: ["adminToken", "dashboardCookie"],
      query: z.object({ token: z.string().optional().describe("The admin token (sets the cookie)") }),
      responses: { 200: { description: "The dashboard", contentType: "text/html" } },
    },
    queuesDashboard(deps),
  );
  return api;
}
