import { createHash } from "node:crypto";
import { relative } from "node:path";
import type { Duplex } from "node:stream";
import type { DevApiType } from "../config/types.js";
import type { Logger } from "../log.js";
import { ApiRouteTable, type SelectedRoute } from "./api-routes.js";
import { type Backend, integrationFailure } from "./backends/backend.js";
import { createLambdaBackend } from "./backends/lambda.js";
import { createUpstreamBackend } from "./backends/upstream.js";
import {
  type ApiDefinition,
  type ApiKind,
  type AuthorizerDefinition,
  type HandlerReference,
  type IntegrationDefinition,
  type JwtAuthorizerDefinition,
  lambdaAuthorizerApiType,
  type NativeJwtAuthorizer,
  type RouteDefinition,
} from "./definition/model.js";
import {
  type ApiIdentity,
  type AuthorizedCaller,
  buildProxyEvent,
  type EventInput,
  requestArn,
} from "./events.js";
import { Gateway, type GatewayResponse, gatewayResponse, type Verdict } from "./gateway.js";
import type { HandlerRegistry } from "./handlers/registry.js";
import {
  type IdentitySource,
  parseIdentitySource,
  parseIdentitySources,
  readIdentitySources,
} from "./identity.js";
import { errorMessage, Invoker, type LambdaHandler, loadHandler } from "./invoke.js";
import { type DevRequest, RouteTable } from "./request.js";
import type { LineOutcome } from "./request-line.js";

/**
 * The local gateway serving an API definition (`ApiDefinition`, from a SAM template, a
 * serverless.yml or an OpenAPI file): for each request, the route API Gateway selects
 * (`api-routes.ts`), then that route's authorizer, then that route's integration.
 *
 * - No route: the API type's answer, no authorizer invoked — REST 403
 *   `{"message":"Missing Authentication Token"}` with `x-amzn-ErrorType:
 *   MissingAuthenticationTokenException`; HTTP API 404 `{"message":"Not Found"}`. A WebSocket API
 *   without `$connect` accepts the upgrade as is (its `$connect` route is optional).
 * - A route without an authorizer goes straight to its integration; the integration event then
 *   has no `requestContext.authorizer` (REST, WebSocket, HTTP API 2.0), or HTTP API 1.0's
 *   `{ claims: null, scopes: null }`.
 * - A Lambda authorizer is one {@link Gateway} per authorizer (its own result cache, identity
 *   sources, TTL and event type); its function is the definition's handler, gatepass's own
 *   authorizer when the definition names none, and `--authorizer` when given (for all of them).
 * - A JWT authorizer is judged by a {@link NativeJwtAuthorizer}: 401 / 403 as it answers, and its
 *   claims and scopes in the integration event.
 * - Integrations: a Lambda handler (the route's payload format, its timeout; one load per handler
 *   file, shared by routes), an HTTP URL (proxied), a mock (200, empty body), or an unsupported one
 *   (500 with the API type's body).
 */

/** What to do with one request: answer it now, or hand it to a backend. */
export type Dispatch =
  | {
      readonly kind: "answer";
      readonly response: GatewayResponse;
      readonly outcome: LineOutcome;
      readonly verdict?: Verdict;
    }
  | {
      readonly kind: "backend";
      readonly input: EventInput;
      readonly verdict: Extract<Verdict, { allowed: true }>;
      readonly backend: Backend;
    };

/** One line of the banner: a route, its authorizer (`none`) and its integration. */
export interface RouteSummary {
  readonly routeKey: string;
  readonly authorizer: string;
  readonly integration: string;
}

export interface ApiRouterOptions {
  readonly definition: ApiDefinition;
  readonly ids: ApiIdentity;
  readonly now: () => number;
  readonly logger: Logger;
  /** Resolves handler paths for the banner [process.cwd()]. */
  readonly cwd?: string;
  /** The authorizer for Lambda authorizers without a handler: gatepass's own, or `--authorizer`'s. */
  readonly fallbackAuthorizer: LambdaHandler;
  /** `--authorizer` was given: {@link fallbackAuthorizer} replaces every Lambda authorizer. */
  readonly overrideAuthorizers: boolean;
  /** A Lambda authorizer's time limit, ms. */
  readonly authorizerTimeoutMs: number;
  /**
   * The API's own gateway: its answers (no route, a JWT authorizer's refusals, integration
   * failures) carry the definition's Gateway Responses.
   */
  readonly apiGateway: Gateway;
  /** Loads handlers (and reloads them with `--watch`); without it each file is imported once. */
  readonly handlers?: HandlerRegistry;
  /** Overrides every integration's own time limit (`--integration-timeout`), ms. */
  readonly integrationTimeoutMs?: number;
  /** Builds the emulation of a native JWT authorizer; without it such routes answer 500. */
  readonly nativeJwt?: (definition: JwtAuthorizerDefinition) => NativeJwtAuthorizer;
}

export interface ApiRouter {
  /** The API type whose headers and answers the server uses outside the routes. */
  readonly api: DevApiType;
  readonly routes: readonly RouteSummary[];
  dispatch(request: DevRequest): Promise<Dispatch>;
  clearCache(): void;
  close(): void;
}

/** The API type of the gateway's own answers (request id header, error bodies). */
export function definitionApiType(kind: ApiKind): DevApiType {
  return kind === "rest" ? "rest-request" : kind === "http" ? "http-v2-iam" : "websocket";
}

/** The event type of a route's Lambda integration. */
function integrationApiType(kind: ApiKind, payloadFormatVersion: "1.0" | "2.0"): DevApiType {
  if (kind === "http") return payloadFormatVersion === "1.0" ? "http-v1" : "http-v2-iam";
  return definitionApiType(kind);
}

const json = (body: unknown) => JSON.stringify(body);

/** The answer for an integration the local gateway cannot run: 500 with the API type's body. */
function unsupportedIntegration(kind: ApiKind, reason: string, logger: Logger): Backend {
  const body = json(
    kind === "http" ? { message: "Internal Server Error" } : { message: "Internal server error" },
  );
  return {
    description: `unsupported (${reason})`,
    async handle({ res, input, responseHeaders }) {
      logger.error("integration_unsupported", { requestId: input.request.requestId, detail: reason });
      res.writeHead(500, {
        ...responseHeaders,
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(body)),
      });
      res.end(body);
    },
    close() {},
  };
}

/** A MOCK integration: 200 with an empty body (templates are not run). */
const mockBackend: Backend = {
  description: "mock",
  async handle({ res, responseHeaders }) {
    res.writeHead(200, { ...responseHeaders, "content-length": "0" });
    res.end();
  },
  close() {},
};

/** `{name}` and `{name+}` of an integration URL, filled from the route's path parameters. */
const URL_VARIABLE = /\{([A-Za-z0-9_.-]+)\+?\}/g;

const encodePath = (value: string) => value.split("/").map(encodeURIComponent).join("/");

/**
 * An HTTP proxy integration: the request goes to the integration URL, its `{variables}` filled from
 * the route's path parameters; a `$default` route appends the request's path to the URL's, as API
 * Gateway sends the full path to a `$default` integration; any other route calls the URL as written.
 */
function httpIntegration(
  url: string,
  timeoutMs: number,
  upstreams: Map<string, Backend>,
  logger: Logger,
): Backend {
  const target = new URL(url);
  const key = `${target.origin}@${timeoutMs}`;
  let upstream = upstreams.get(key);
  if (upstream === undefined) {
    upstream = createUpstreamBackend(target.origin, logger, { timeoutMs });
    upstreams.set(key, upstream);
  }
  const proxy = upstream;
  const basePath = decodeURI(target.pathname);
  const hasVariables = /\{[^}]+\}/.test(basePath);
  return {
    description: `http ${url}`,
    handle(call) {
      const { request, route } = call.input;
      const params = route.pathParameters ?? {};
      let path: string;
      if (hasVariables)
        path = basePath.replace(URL_VARIABLE, (_, name: string) => encodePath(params[name] ?? ""));
      else if (route.routeKey === "$default") path = `${basePath.replace(/\/+$/, "")}${request.path}`;
      else path = basePath;
      const query = [target.search.slice(1), request.rawQuery].filter((q) => q.length > 0).join("&");
      return proxy.handle({
        ...call,
        input: { ...call.input, request: { ...request, path, rawQuery: query } },
      });
    },
    close() {},
  };
}

/** A handler that fails every call: an authorizer whose function could not be loaded (API Gateway answers 500). */
const failingHandler =
  (why: string): LambdaHandler =>
  async () => {
    throw new Error(why);
  };

/** Builds the router of an API definition; loads every handler it names once (a file that fails is reported and its routes fail as AWS would). */
export async function createApiRouter(options: ApiRouterOptions): Promise<ApiRouter> {
  const { definition, ids, now, logger } = options;
  const cwd = options.cwd ?? process.cwd();
  const kind = definition.kind;
  const api = definitionApiType(kind);
  const stage = definition.stage;
  const table = new ApiRouteTable(kind, definition.routes);
  if (definition.routes.some((r) => r.apiKeyRequired === true))
    logger.warn("api_keys_not_emulated", {
      detail: "some routes require an API key; a definition's API keys are not checked locally",
    });
  for (const { route, reason } of table.skipped)
    logger.warn("route_skipped", { detail: `${route.routeKey} (${route.at}) is not served: ${reason}` });

  // Handlers, loaded once per file#export.
  const handlers = new Map<string, Promise<LambdaHandler | Error>>();
  const load = (ref: HandlerReference): Promise<LambdaHandler | Error> => {
    const spec = `${ref.file}#${ref.exportName}`;
    let loaded = handlers.get(spec);
    if (loaded === undefined) {
      loaded = ref.exists
        ? (options.handlers ? options.handlers.load(spec) : loadHandler(spec, cwd)).catch((error: unknown) =>
            error instanceof Error ? error : new Error(String(error)),
          )
        : Promise.resolve(new Error(`cannot find ${shown(ref)}`));
      handlers.set(spec, loaded);
    }
    return loaded;
  };
  const shown = (ref: HandlerReference) => `${relative(cwd, ref.file) || ref.file}#${ref.exportName}`;

  // One authorization step per authorizer.
  type Authorizer =
    | { readonly kind: "lambda"; readonly gateway: Gateway }
    | { readonly kind: "jwt"; readonly source: IdentitySource; readonly judge: NativeJwtAuthorizer | null };
  const authorizers = new Map<string, Authorizer>();
  const authorizerFor = async (name: string, def: AuthorizerDefinition): Promise<Authorizer> => {
    const existing = authorizers.get(name);
    if (existing) return existing;
    let made: Authorizer;
    if (def.kind === "jwt") {
      const source = parseIdentitySource(def.identitySources[0] ?? "$request.header.Authorization");
      const judge = options.nativeJwt ? options.nativeJwt(def) : null;
      if (judge === null)
        logger.warn("jwt_authorizer_not_emulated", {
          detail: `JWT authorizer ${name}: no native JWT emulation available; its routes answer 500`,
        });
      made = { kind: "jwt", source, judge };
    } else {
      const apiType = lambdaAuthorizerApiType(kind, def);
      let handler = options.fallbackAuthorizer;
      if (!options.overrideAuthorizers && def.handler !== null) {
        const loaded = await load(def.handler);
        if (loaded instanceof Error) {
          logger.warn("authorizer_not_loaded", {
            detail: `authorizer ${name}: ${loaded.message}; requests it authorizes answer 500`,
          });
          handler = failingHandler(`the authorizer function ${shown(def.handler)} could not be loaded`);
        } else handler = loaded;
      }
      let identitySources: IdentitySource[];
      try {
        identitySources = parseIdentitySources(def.identitySources, apiType);
      } catch (error) {
        throw new Error(`authorizer ${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
      made = {
        kind: "lambda",
        gateway: new Gateway({
          api: apiType,
          stage,
          identitySources,
          resultTtlSeconds: def.resultTtlSeconds,
          authorizer: handler,
          authorizerName: def.handler?.functionName ?? name,
          timeoutMs: options.authorizerTimeoutMs,
          ids,
          routes: new RouteTable([], apiType),
          now,
          logger,
          ...(definition.gatewayResponses.length > 0
            ? { gatewayResponses: definition.gatewayResponses }
            : {}),
        }),
      };
    }
    authorizers.set(name, made);
    return made;
  };

  // One backend per route (Lambda backends shared per handler and timeout, upstreams per origin).
  const upstreams = new Map<string, Backend>();
  const lambdaBackends = new Map<string, Backend>();
  const backendFor = async (integration: IntegrationDefinition): Promise<Backend> => {
    switch (integration.kind) {
      case "mock":
        return mockBackend;
      case "unsupported":
        return unsupportedIntegration(kind, integration.reason, logger);
      case "http":
        try {
          return httpIntegration(
            integration.url,
            options.integrationTimeoutMs ?? integration.timeoutMs,
            upstreams,
            logger,
          );
        } catch {
          return unsupportedIntegration(
            kind,
            `the integration URL ${integration.url.slice(0, 80)} is not usable`,
            logger,
          );
        }
      case "lambda": {
        const ref = integration.handler;
        const key = `${ref.file}#${ref.exportName}@${options.integrationTimeoutMs ?? integration.timeoutMs}`;
        const existing = lambdaBackends.get(key);
        if (existing) return existing;
        const loaded = await load(ref);
        let backend: Backend;
        if (loaded instanceof Error) {
          logger.warn("handler_not_loaded", { detail: `${ref.functionName}: ${loaded.message}` });
          backend = failingLambda(shown(ref), loaded.message, logger);
        } else
          backend = createLambdaBackend(loaded, `lambda ${shown(ref)}`, logger, {
            timeoutMs: options.integrationTimeoutMs ?? integration.timeoutMs,
            functionName: ref.functionName,
          });
        lambdaBackends.set(key, backend);
        return backend;
      }
    }
  };

  interface Prepared {
    readonly route: RouteDefinition;
    readonly authorizer: Authorizer | null;
    readonly backend: Backend;
    readonly integrationApi: DevApiType;
  }
  const prepared = new Map<RouteDefinition, Prepared>();
  const summaries: RouteSummary[] = [];
  for (const route of definition.routes) {
    let authorizer: Authorizer | null = null;
    let authorizerText = "none";
    if (route.authorizer !== null) {
      const def = definition.authorizers[route.authorizer];
      if (def === undefined) {
        // Fail closed: a route whose authorizer is unknown is never served unauthorized.
        logger.warn("authorizer_unknown", {
          detail: `${route.routeKey}: authorizer ${route.authorizer} is not defined; the route answers 500`,
        });
        authorizer = {
          kind: "jwt",
          source: parseIdentitySource("$request.header.Authorization"),
          judge: null,
        };
        authorizerText = `${route.authorizer} (undefined)`;
      } else {
        authorizer = await authorizerFor(route.authorizer, def);
        authorizerText =
          def.kind === "jwt"
            ? `${route.authorizer} (jwt${route.authorizationScopes?.length ? `, scopes ${route.authorizationScopes.join(" ")}` : ""})`
            : `${route.authorizer} (${lambdaAuthorizerApiType(kind, def)}${options.overrideAuthorizers ? ", --authorizer" : def.handler === null ? ", gatepass" : ""})`;
      }
    }
    let backend = await backendFor(route.integration);
    if (kind === "websocket" && route.integration.kind === "lambda") {
      const loaded = await load(route.integration.handler);
      backend = withConnectIntegration(
        backend,
        loaded instanceof Error ? failingHandler(loaded.message) : loaded,
        route.integration,
        ids,
        logger,
      );
    }
    const payload = route.integration.kind === "lambda" ? route.integration.payloadFormatVersion : "2.0";
    prepared.set(route, {
      route,
      authorizer,
      backend,
      integrationApi: integrationApiType(kind, kind === "http" ? payload : "1.0"),
    });
    summaries.push({
      routeKey: route.routeKey,
      authorizer: authorizerText,
      integration: backend.description,
    });
  }

  const unauthorized = (integrationApi: DevApiType): AuthorizedCaller => ({
    principalId: null,
    context: {},
    latencyMs: 0,
    integrationAuthorizer: integrationApi === "http-v1" ? { claims: null, scopes: null } : null,
  });

  const dispatch = async (request: DevRequest): Promise<Dispatch> => {
    const selected: SelectedRoute | null = table.select(request.method, request.path);
    if (selected === null) {
      if (kind === "websocket") {
        // No `$connect` route: the connection is made without authorization or integration.
        return {
          kind: "backend",
          input: inputFor(api, request, { resource: "$connect", routeKey: "$connect", pathParameters: null }),
          verdict: allow(unauthorized(api), "the API has no $connect route"),
          backend: acceptOnly,
        };
      }
      return {
        kind: "answer",
        response: options.apiGateway.noRoute(request),
        outcome: "no-route",
      };
    }
    const entry = prepared.get(selected.route)!;
    const { match, route } = selected;
    const authorizer = entry.authorizer;
    if (authorizer === null) {
      return {
        kind: "backend",
        input: inputFor(entry.integrationApi, request, match),
        verdict: allow(unauthorized(entry.integrationApi), `route ${route.routeKey} has no authorizer`),
        backend: entry.backend,
      };
    }
    if (authorizer.kind === "lambda") {
      const { input, verdict } = await authorizer.gateway.authorize(request, match);
      if (!verdict.allowed)
        return { kind: "answer", response: verdict.response, outcome: verdict.outcome, verdict };
      return {
        kind: "backend",
        input: { ...input, api: entry.integrationApi },
        verdict,
        backend: entry.backend,
      };
    }
    const input = inputFor(entry.integrationApi, request, match);
    if (authorizer.judge === null) {
      const response = gatewayResponse(api, "error", request.requestId);
      return {
        kind: "answer",
        response,
        outcome: "error",
        verdict: {
          allowed: false,
          outcome: "error",
          response,
          reason: "the route's authorizer cannot run locally",
          cache: "skip",
        },
      };
    }
    const identity = readIdentitySources([authorizer.source], request, match, stage);
    const value = identity.ok ? identity.values[0] : undefined;
    const judged = await authorizer.judge.authorize(value, route.authorizationScopes ?? []);
    if (!judged.ok) {
      const outcome = judged.status === 401 ? "unauthorized" : "forbidden";
      const base = options.apiGateway.refusal(outcome, request);
      const response =
        judged.wwwAuthenticate === undefined
          ? base
          : { ...base, headers: { ...base.headers, "www-authenticate": judged.wwwAuthenticate } };
      return {
        kind: "answer",
        response,
        outcome,
        verdict: { allowed: false, outcome, response, reason: judged.reason, cache: "skip" },
      };
    }
    const payload = entry.integrationApi === "http-v1" || kind !== "http" ? "1.0" : "2.0";
    const caller: AuthorizedCaller = {
      principalId: null,
      context: {},
      latencyMs: 0,
      integrationAuthorizer: authorizer.judge.integrationContext(judged, payload),
    };
    return {
      kind: "backend",
      input,
      verdict: allow(caller, "the JWT authorizer accepted the token"),
      backend: entry.backend,
    };
  };

  const inputFor = (
    inputApi: DevApiType,
    request: DevRequest,
    match: SelectedRoute["match"],
  ): EventInput => ({
    api: inputApi,
    ids,
    stage,
    request,
    route: match,
    arn: requestArn(ids, inputApi, stage, request),
    identity: [],
  });

  return {
    api,
    routes: summaries,
    dispatch,
    clearCache() {
      for (const a of authorizers.values()) if (a.kind === "lambda") a.gateway.cache.clear();
    },
    close() {
      for (const b of upstreams.values()) b.close();
      for (const b of lambdaBackends.values()) b.close();
    },
  };
}

function allow(caller: AuthorizedCaller, reason: string): Extract<Verdict, { allowed: true }> {
  return { allowed: true, outcome: "allow", caller, reason, cache: "skip" };
}

/** The WebSocket upgrade accepted without a `$connect` integration (the server completes the handshake). */
const acceptOnly: Backend = {
  description: "none",
  async handle({ res, responseHeaders }) {
    res.writeHead(200, { ...responseHeaders, "content-length": "0" });
    res.end();
  },
  close() {},
};

/** A Lambda integration whose function could not be loaded: API Gateway's answer for a failing Lambda. */
function failingLambda(shown: string, why: string, logger: Logger): Backend {
  return createLambdaBackend(failingHandler(why), `lambda ${shown} (not loaded)`, logger);
}

/** The `Sec-WebSocket-Accept` of a handshake (RFC 6455 §4.2.2). */
const websocketAccept = (key: string) =>
  createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");

function writeStatus(
  socket: Duplex,
  status: number,
  body: string,
  headers: Readonly<Record<string, string>>,
): void {
  const lines = [`HTTP/1.1 ${status} ${status >= 500 ? "Internal Server Error" : "Error"}`];
  for (const [name, value] of Object.entries({
    ...headers,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
    connection: "close",
  }))
    lines.push(`${name}: ${value}`);
  socket.end(`${lines.join("\r\n")}\r\n\r\n${body}`);
}

/**
 * A WebSocket `$connect` route's Lambda integration, run on the upgrade as API Gateway runs it:
 * the handshake waits for the integration, and the connection is made only when it succeeds (a
 * 2xx `statusCode`, or no result); a thrown error or time-out refuses it with 502, another status
 * with that status (AWS: apigateway-websocket-api-route-keys-connect-disconnect.html).
 */
function withConnectIntegration(
  backend: Backend,
  handler: LambdaHandler,
  integration: Extract<IntegrationDefinition, { kind: "lambda" }>,
  ids: ApiIdentity,
  logger: Logger,
): Backend {
  const invoker = new Invoker(handler, {
    functionName: integration.handler.functionName,
    timeoutMs: integration.timeoutMs,
    region: ids.region,
    accountId: ids.accountId,
  });
  return {
    description: backend.description,
    handle: (call) => backend.handle(call),
    close: () => backend.close(),
    upgrade({ req, input, caller, responseHeaders }, socket) {
      return (async (): Promise<number> => {
        const event = buildProxyEvent(input, caller, { body: null, isBase64Encoded: false });
        const invocation = await invoker.invoke(event, input.request.requestId);
        if (!invocation.ok) {
          logger.error("lambda_error", {
            requestId: input.request.requestId,
            detail: invocation.timedOut
              ? `the $connect integration timed out after ${integration.timeoutMs} ms`
              : `the $connect integration failed: ${errorMessage(invocation.error).slice(0, 300)}`,
          });
          const failure = integrationFailure("websocket", invocation.timedOut);
          writeStatus(socket, failure.status, JSON.stringify(failure.body), responseHeaders);
          return failure.status;
        }
        const result = invocation.value as { statusCode?: unknown } | null | undefined;
        const status = typeof result?.statusCode === "number" ? result.statusCode : 200;
        if (status < 200 || status > 299) {
          const refused = status >= 400 && status <= 599 ? status : 502;
          writeStatus(socket, refused, "", responseHeaders);
          return refused;
        }
        const key = req.headers["sec-websocket-key"];
        const lines = [
          "HTTP/1.1 101 Switching Protocols",
          "upgrade: websocket",
          "connection: Upgrade",
          ...(typeof key === "string" ? [`sec-websocket-accept: ${websocketAccept(key)}`] : []),
        ];
        socket.write(`${lines.join("\r\n")}\r\n\r\n`);
        socket.on("data", () => {});
        return 101;
      })().catch(() => {
        socket.destroy();
        return 500;
      });
    },
  };
}
