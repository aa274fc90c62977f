// The BullMQ dashboard (bull-board) at /admin/queues: the purchase queue of each event in
// the active set, READ-ONLY (bull-board's readOnlyMode on every queue, and every request
// that is not a read refused here before bull-board sees it, whatever its path's case or
// trailing slash): pausing, cleaning, emptying, adding, re-prioritising or promoting jobs
// would strand tickets or let them jump the line, so sales are steered through the admin API.
// A browser cannot send a Bearer header to a page: the admin signs in with a form (the token
// in a POST body, never a URL), which sets an HttpOnly, SameSite=Strict session cookie that
// expires after SESSION_SECONDS. The cookie is an HMAC, keyed by the admin token and a
// secret kept in Redis, of its expiry: signing out rotates that secret, which ends every
// session at once (so does changing ADMIN_TOKEN). Failed sign-ins are rate-limited per
// client (admin-auth.ts).
import { createHmac, randomBytes } from "node:crypto";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import express, { type Request, type RequestHandler, Router } from "express";
import { adminGuard } from "../auth/admin-guard.js";
import { clientKey } from "../auth/client-key.js";
import { bearer, sameSecret } from "../auth/secrets.js";
import type { Deps } from "../deps.js";
import { AppError } from "../errors.js";
import { keys } from "../redis/keys.js";

export const DASHBOARD_PATH = "/admin/queues";
export const SIGN_IN_PATH = `${DASHBOARD_PATH}/sign-in`;
export const SIGN_OUT_PATH = `${DASHBOARD_PATH}/sign-out`;
export const DASHBOARD_COOKIE = "dq_admin";
export const SESSION_SECONDS = 12 * 3600;
/** Redis string: the random secret dashboard sessions are signed with (rotated by signing out). */
const SESSION_SECRET_KEY = "dq:dashboard:session-secret";
/** Most queues shown: the events created last, so a long-lived active set stays readable. */
const MOST_EVENTS = 100;
const REFRESH_EVERY_MS = 2000;

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

  const sessions = new DashboardSessions(deps);
  const router = Router({ caseSensitive: false, strict: false });
  router.use((_req, res, next) => {
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("Cache-Control", "no-store");
    next();
  });
  router.get("/sign-in", (_req, res) => {
    res.type("html").send(SIGN_IN_PAGE);
  });
  router.post("/sign-in", express.urlencoded({ extended: false, limit: 2048 }), async (req, res) => {
    const token = (req.body as Record<string, unknown> | undefined)?.token;
    const guard = adminGuard(deps);
    await guard.authenticate(clientKey(req), typeof token === "string" && guard.isAdmin(token));
    res.cookie(DASHBOARD_COOKIE, await sessions.issue(), {
      httpOnly: true,
      sameSite: "strict",
      secure: req.secure,
      path: DASHBOARD_PATH,
      maxAge: SESSION_SECONDS * 1000,
    });
    res.redirect(303, DASHBOARD_PATH);
  });
  router.use(dashboardAuth(deps, sessions));
  router.post("/sign-out", async (_req, res) => {
    await sessions.revokeAll();
    res.clearCookie(DASHBOARD_COOKIE, { path: DASHBOARD_PATH });
    res.redirect(303, SIGN_IN_PATH);
  });
  // Read-only, whatever bull-board would offer: only reads pass. Refused as the contract pairs
  // INVALID_STATE, 409: the queue's state is the lifecycle's, changed through the admin API.
  router.use((req, _res, next) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      throw new AppError({
        code: "INVALID_STATE",
        message:
          "The queue dashboard is read-only: steer a sale through the admin API (start, pause, resume, stop), not its queue",
        details: { method: req.method, action: req.path.slice(0, 200) },
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
        readOnlyMode: true,
        // bull-board keys queues by name, and every event's queue is called "purchase".
        prefix: `${event.id}-`,
        displayName: `${event.name} · ${event.status} · ${event.id}`,
        description: `Purchases of event ${event.id}`,
      }),
  );
}

/** Sessions of the dashboard: `<expiry seconds>.<HMAC>`, keyed by the admin token and a Redis secret. */
export class DashboardSessions {
  constructor(private readonly deps: Pick<Deps, "redis" | "config">) {}

  async issue(now = Date.now()): Promise<string> {
    const expires = Math.floor(now / 1000) + SESSION_SECONDS;
    return `${expires}.${this.#mac(await this.#secret(), expires)}`;
  }

  async valid(cookie: string, now = Date.now()): Promise<boolean> {
    const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(cookie);
    if (!match?.[1] || !match[2]) return false;
    const expires = Number(match[1]);
    if (expires * 1000 <= now) return false;
    const secret = await this.deps.redis.get(SESSION_SECRET_KEY);
    return secret !== null && sameSecret(match[2], this.#mac(secret, expires));
  }

  /** Every session ends: a new secret signs the next ones. */
  async revokeAll(): Promise<void> {
    await this.deps.redis.set(SESSION_SECRET_KEY, randomBytes(32).toString("base64url"));
  }

  async #secret(): Promise<string> {
    await this.deps.redis.set(SESSION_SECRET_KEY, randomBytes(32).toString("base64url"), "NX");
    const secret = await this.deps.redis.get(SESSION_SECRET_KEY);
    if (secret === null) throw new Error("the dashboard session secret vanished");
    return secret;
  }

  #mac(secret: string, expires: number): string {
    return createHmac("sha256", `${this.deps.config.adminToken}\0${secret}`)
      .update(`dropqueue dashboard session until ${expires}`)
      .digest("base64url");
  }
}

/** A Bearer admin header (failures counted per client) or a live session cookie. */
function dashboardAuth(deps: Deps, sessions: DashboardSessions): RequestHandler {
  const guard = adminGuard(deps);
  return async (req, res, next) => {
    const header = bearer(req.get("authorization"));
    if (header !== undefined) {
      await guard.authenticate(clientKey(req), guard.isAdmin(header));
      return next();
    }
    const cookie = readCookie(req.get("cookie"), DASHBOARD_COOKIE);
    if (cookie !== undefined && (await sessions.valid(cookie))) return next();
    if (wantsPage(req)) return res.redirect(303, SIGN_IN_PATH);
    throw new AppError({
      code: "UNAUTHORIZED",
      message: `Sign in first: ${SIGN_IN_PATH}`,
    });
  };
}

/** A browser navigating to a page (not bull-board's own API calls). */
const wantsPage = (req: Request) =>
  req.method === "GET" && !/^\/api\//i.test(req.path) && (req.get("accept") ?? "").includes("text/html");

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(";") ?? []) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The sign-in form: no script (the page CSP allows none inline), the token in a POST body. */
const SIGN_IN_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Queue dashboard · sign in · dropqueue</title>
<link rel="stylesheet" href="/styles.css">
</head>
<body>
<main>
<h1>Queue dashboard</h1>
<form method="post" action="${SIGN_IN_PATH}" data-testid="dashboard-sign-in">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<button type="submit" id="sign-in">Sign in</button>
</form>
<p>The session lasts ${SESSION_SECONDS / 3600} hours; signing out ends every session.</p>
</main>
</body>
</html>
`;
