// The BullMQ dashboard (bull-board) at /admin/queues: the purchase queue of each event in
// the active set, behind the admin token. A browser cannot send a Bearer header to a page,
// so `?token=<ADMIN_TOKEN>` once sets an HttpOnly, SameSite=Strict cookie that carries a
// value derived from the token (never the token itself) for the rest of the visit.
import { createHmac } from "node:crypto";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import { type RequestHandler, Router } from "express";
import { bearer, sameSecret } from "../auth/secrets.js";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import { keys } from "../redis/keys.js";

export const DASHBOARD_PATH = "/admin/queues";
export const DASHBOARD_COOKIE = "dq_admin";
const SESSION_SECONDS = 12 * 3600;
/** Most queues shown: the events created last, so a long-lived active set stays readable. */
const MOST_EVENTS = 100;
const REFRESH_EVERY_MS = 2000;

/**
 * Board actions that would strand tickets or fight the event lifecycle: emptying or
 * cleaning waiting jobs leaves their tickets QUEUED forever, and pausing a queue (or
 * changing its limits) behind the event's back desyncs it from the event's status and
 * admission rate. Dead letters may still be retried, promoted or cleaned.
 */
const REFUSED_ACTIONS = [
  /^\/api\/queues\/(pause|resume)$/,
  /^\/api\/queues\/[^/]+\/(pause|resume|empty|obliterate|concurrency|rate-limit)$/,
  /^\/api\/queues\/[^/]+\/clean\/(?!completed$|failed$)[^/]+$/,
];

export function queuesDashboard(deps: Deps): Router {
  const serverAdapter = new ExpressAdapter().setBasePath(DASHBOARD_PATH);
  const board = createBullBoard({
    queues: [],
    // @bull-board/express 9.10.1 pins its own copy of @bull-board/api's types (9.10.1, ours
    // is 9.10.2): the same shapes, declared twice, which TypeScript cannot unify.
    serverAdapter: serverAdapter as unknown as Parameters<typeof createBullBoard>[0]["serverAdapter"],
    options: { uiConfig: { boardTitle: "dropqueue purchases" } },
  });

  let refreshed: { at: number; done: Promise<void> } | undefined;
  const refresh = () => {
    if (!refreshed || Date.now() - refreshed.at > REFRESH_EVERY_MS) {
      refreshed = {
        at: Date.now(),
        done: eventQueues(deps)
          .then((adapters) => board.replaceQueues(adapters))
          .catch((err) => deps.log.warn({ err }, "could not refresh the queues dashboard")),
      };
    }
    return refreshed.done;
  };

  const router = Router();
  router.use(dashboardAuth(deps.config.adminToken));
  router.use((req, _res, next) => {
    if (req.method !== "GET" && REFUSED_ACTIONS.some((re) => re.test(req.path))) {
      throw new AppError({
        code: "INVALID_STATE",
        message: "Pause, resume or empty a sale through the event lifecycle (admin API), not the queue",
        details: { action: req.path },
      });
    }
    next();
  });
  router.use(async (_req, _res, next) => {
    await refresh();
    next();
  });
  router.use(serverAdapter.getRouter());
  return router;
}

/** One adapter per event in the active set (the latest MOST_EVENTS), named after the event. */
async function eventQueues(deps: Deps): Promise<BullMQAdapter[]> {
  const ids = await deps.redis.smembers(keys.activeEvents());
  const events = await deps.prisma.event.findMany({
    where: { id: { in: ids } },
    select: { id: true, name: true, status: true },
    orderBy: { createdAt: "desc" },
    take: MOST_EVENTS,
  });
  return events.map(
    (event) =>
      new BullMQAdapter(deps.queues.get(event.id), {
        // bull-board keys queues by name, and every event's queue is called "purchase".
        prefix: `${event.id}-`,
        displayName: `${event.name} · ${event.status} · ${event.id}`,
        description: `Purchases of event ${event.id}`,
      }),
  );
}

/** Bearer header, `?token=` (which sets the session cookie), or that cookie. */
function dashboardAuth(adminToken: string): RequestHandler {
  const session = createHmac("sha256", adminToken).update("dropqueue dashboard session").digest("base64url");
  return (req, res, next) => {
    // The token may sit in the address bar: keep it out of Referer headers and caches.
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("Cache-Control", "no-store");
    const header = bearer(req.get("authorization"));
    if (header !== undefined && sameSecret(header, adminToken)) return next();
    const query = req.query.token;
    if (typeof query === "string" && sameSecret(query, adminToken)) {
      res.cookie(DASHBOARD_COOKIE, session, {
        httpOnly: true,
        sameSite: "strict",
        secure: req.secure,
        path: DASHBOARD_PATH,
        maxAge: SESSION_SECONDS * 1000,
      });
      return next();
    }
    const cookie = readCookie(req.get("cookie"), DASHBOARD_COOKIE);
    if (cookie !== undefined && sameSecret(cookie, session)) return next();
    throw new AppError({
      code: "UNAUTHORIZED",
      message: `A valid admin token is required: open ${DASHBOARD_PATH}?token=<ADMIN_TOKEN> once`,
    });
  };
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(";") ?? []) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
