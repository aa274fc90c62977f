// One declaration per HTTP route: method, path, the zod schemas of its params, query, body
// and of each answer, and then its handler. `ApiRouter.route(spec, handler)` makes both the Express route
// (inputs parsed, a failure being 400 VALIDATION_FAILED; the answer sent) and the OpenAPI
// path of /api/docs (openapi.ts) from it, so the reference cannot drift from what runs.
// Under NODE_ENV=test every answer is also checked against its schema (see `checkAnswers`).
//
// A new router file, e.g. src/http/things.routes.ts:
//
//   export function thingRoutes(deps: Deps): ApiRouter {
//     const api = new ApiRouter({ base: "/api/admin", tag: ADMIN_TAG, security: ["adminToken"] });
//     api.use(requireAdmin(deps.config.adminToken));
//     api.route(
//       {
//         method: "get",
//         path: "/things/:thingId", // Express syntax, under `base`
//         summary: "Read a thing",
//         params: z.object({ thingId: THING_ID }),
//         responses: { 200: { description: "The thing", schema: thingView } },
//         errors: ["NOT_FOUND"],
//       },
//       async ({ params }) => ({ status: 200, body: await getThing(deps, params.thingId) }),
//     );
//     return api;
//   }
//
// then one line in app.ts's list of routers. The handler is the second argument so that
// TypeScript reads the answers from the spec first (a handler's `status: 200` then stays 200). A response schema with `.meta({ id: "Thing" })`
// becomes a named component of the document; infer the service's view type from it
// (`type ThingView = z.infer<typeof thingView>`) rather than writing it twice.
import { isDeepStrictEqual } from "node:util";
import { type Request, type RequestHandler, type Response, Router } from "express";
import type { z } from "zod";
import { AppError, type ErrorCode } from "../errors.js";
import { parseInput } from "../validate.js";

export type Method = "get" | "post" | "put" | "patch" | "delete";

/** The security schemes of the document (openapi.ts describes each). */
export type SecurityScheme = "adminToken" | "ticketToken" | "dashboardCookie" | "serviceKey";

export interface Tag {
  name: string;
  description: string;
}

/** One answer a route gives on success: JSON with a schema, another media type, or no body. */
export interface Answer {
  description: string;
  /** The JSON body's schema. */
  schema?: z.ZodType;
  /** A body that is not JSON (a page, Prometheus text): sent as it is, or as a file. */
  contentType?: string;
}
/** The statuses a route may declare answers for (errors are declared by code, not here). */
export type Status = 200 | 201 | 202 | 204 | 503;
export type Answers = Partial<Record<Status, Answer>>;

/** What a handler returns: one of the declared statuses, with a body of its schema. */
export type Reply<A extends Answers> = {
  [S in keyof A & Status]: A[S] extends { contentType: string }
    ? { status: S; body: string | Buffer } | { status: S; file: string }
    : A[S] extends { schema: infer T extends z.ZodType }
      ? { status: S; body: z.input<T> }
      : { status: S };
}[keyof A & Status];

type Parsed<T> = T extends z.ZodType ? z.output<T> : undefined;

export interface RouteInput<P, Q, B> {
  params: Parsed<P>;
  query: Parsed<Q>;
  body: Parsed<B>;
  req: Request;
  res: Response;
}

export interface RouteSpec<P, Q, B, A extends Answers> {
  method: Method;
  /** Express syntax (`/events/:eventId`), under the router's base. */
  path: string;
  summary: string;
  description?: string;
  /** Defaults to the router's. An empty list: no authentication. */
  security?: SecurityScheme[];
  params?: P;
  query?: Q;
  body?: B;
  responses: A;
  /** The error codes this route may answer besides the ones every route of its kind may. */
  errors?: ErrorCode[];
  /** Middleware run before the inputs are parsed (a rate limit). */
  use?: RequestHandler[];
}

/** Gets the parsed inputs, returns one of the declared answers (or throws an AppError). */
export type RouteHandler<P, Q, B, A extends Answers> = (
  input: RouteInput<P, Q, B>,
) => Promise<Reply<A>> | Reply<A>;

/** A declared route as openapi.ts reads it. */
export interface DeclaredRoute {
  method: Method;
  /** The whole path, OpenAPI syntax (`/api/events/{eventId}`). */
  path: string;
  summary: string;
  description?: string;
  tag: Tag;
  security: SecurityScheme[];
  /** False for a page served by a package: its inputs are documented, not parsed here. */
  parsesInputs: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  responses: Answers;
  errors: ErrorCode[];
}

export interface ApiRouterOptions {
  /** Where app.ts mounts the router: `/api`, `/api/admin` or `/`. */
  base: string;
  tag: Tag;
  /** The routes' default security schemes (none when omitted). */
  security?: SecurityScheme[];
  /** Error codes every route of this router may answer (e.g. RATE_LIMITED under /api). */
  errors?: ErrorCode[];
  /**
   * Middleware run before each of this router's routes, and only on them (unlike `use`, which
   * sees every request under `base`): the gate of a router that shares its base with others.
   */
  guard?: RequestHandler[];
}

export class ApiRouter {
  readonly router = Router();
  readonly base: string;
  readonly routes: DeclaredRoute[] = [];
  /**
   * Check each JSON answer against its schema before it is sent: a body that fails the
   * schema or carries a field the schema does not name becomes a 500 that says which.
   * createApp turns it on under NODE_ENV=test, so every test that calls a route checks it.
   */
  checkAnswers = false;

  constructor(private readonly opts: ApiRouterOptions) {
    this.base = opts.base === "/" ? "" : opts.base;
  }

  /** Middleware for every route of this router (an authentication check). */
  use(...handlers: RequestHandler[]): this {
    this.router.use(...handlers);
    return this;
  }

  route<
    P extends z.ZodObject | undefined = undefined,
    Q extends z.ZodObject | undefined = undefined,
    B extends z.ZodType | undefined = undefined,
    const A extends Answers = Answers,
  >(spec: RouteSpec<P, Q, B, A>, handler: NoInfer<RouteHandler<P, Q, B, A>>): this {
    const declared = this.#declare(spec);
    const handle: RequestHandler = async (req, res) => {
      const input = {
        params: spec.params ? parseInput(spec.params, req.params, "params") : undefined,
        query: spec.query ? parseInput(spec.query, req.query, "query") : undefined,
        body: spec.body ? parseInput(spec.body, req.body, "body") : undefined,
        req,
        res,
      } as RouteInput<P, Q, B>;
      await this.#send(declared, res, await handler(input));
    };
    this.router[spec.method](spec.path, ...(this.opts.guard ?? []), ...(spec.use ?? []), handle);
    return this;
  }

  /**
   * A page served by a package under `path` (bull-board's dashboard): documented as one
   * GET, mounted whole, its inner routes its own.
   */
  page(
    spec: Omit<RouteSpec<undefined, z.ZodObject, undefined, Answers>, "handler" | "method">,
    handler: RequestHandler,
  ): this {
    this.#declare({ ...spec, method: "get" }, false);
    this.router.use(spec.path, handler);
    return this;
  }

  #declare(spec: RouteSpec<unknown, unknown, unknown, Answers>, parsesInputs = true): DeclaredRoute {
    const declared: DeclaredRoute = {
      method: spec.method,
      path: `${this.base}${spec.path}`.replace(/:(\w+)/g, "{$1}") || "/",
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      tag: this.opts.tag,
      security: spec.security ?? this.opts.security ?? [],
      parsesInputs,
      ...(spec.params ? { params: spec.params as z.ZodObject } : {}),
      ...(spec.query ? { query: spec.query as z.ZodObject } : {}),
      ...(spec.body ? { body: spec.body as z.ZodType } : {}),
      responses: spec.responses,
      errors: [...(this.opts.errors ?? []), ...(spec.errors ?? [])],
    };
    this.routes.push(declared);
    return declared;
  }

  async #send(
    spec: DeclaredRoute,
    res: Response,
    reply: { status: number; body?: unknown; file?: string },
  ): Promise<void> {
    const answer = spec.responses[reply.status as Status];
    if (!answer) throw answerError(spec, reply.status, "is not a declared status");
    res.status(reply.status);
    if (answer.contentType) {
      res.type(answer.contentType);
      if (reply.file === undefined) {
        res.send(reply.body);
        return;
      }
      const file = reply.file;
      await new Promise<void>((resolve, reject) =>
        res.sendFile(file, (err) => (err ? reject(err) : resolve())),
      );
      return;
    }
    if (!answer.schema) {
      res.end();
      return;
    }
    if (this.checkAnswers) checkAnswer(spec, reply.status, answer.schema, reply.body);
    res.json(reply.body);
  }
}

/** The body as it goes on the wire must parse, and parse to itself (no undeclared field). */
function checkAnswer(
  spec: { method: Method; path: string },
  status: number,
  schema: z.ZodType,
  body: unknown,
): void {
  const wire: unknown = body === undefined ? undefined : JSON.parse(JSON.stringify(body));
  const parsed = schema.safeParse(wire);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw answerError(spec, status, `fails its schema: ${issues.join("; ")}`);
  }
  if (!isDeepStrictEqual(parsed.data, wire)) {
    throw answerError(spec, status, `carries what its schema does not declare: ${JSON.stringify(wire)}`);
  }
}

const answerError = (spec: { method: Method; path: string }, status: number, what: string) =>
  new AppError({
    code: "INTERNAL",
    message: `${spec.method.toUpperCase()} ${spec.path}: the ${status} answer ${what}`.slice(0, 2000),
  });

/** The document's sections. A router of a new kind may bring its own. */
export const TAGS = {
  admin: { name: "Admin", description: "Authorization: Bearer <ADMIN_TOKEN>" },
  shopper: { name: "Shopper", description: "Joining, tickets and orders" },
  service: {
    name: "Service",
    description: "Authorization: Bearer <service key> (POST /api/admin/service-keys makes one)",
  },
  operations: { name: "Operations", description: "Health, readiness, metrics and these docs" },
} satisfies Record<string, Tag>;
