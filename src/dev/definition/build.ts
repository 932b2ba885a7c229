import type {
  ApiDefinition,
  ApiKind,
  AuthorizerDefinition,
  GatewayResponseDefinition,
  HandlerReference,
  IntegrationDefinition,
  RouteDefinition,
} from "./model.js";
import { isRecord } from "./yaml.js";

/**
 * What the readers share: API Gateway's defaults, the checks every route passes (a path starting
 * with `/`, no duplicate, `$connect` only on WebSocket APIs), and the mutable API under construction.
 */

/** REST API integration timeout default (29 s); HTTP API 30 s; WebSocket 29 s. */
export const REST_TIMEOUT_MS = 29_000;
export const HTTP_TIMEOUT_MS = 30_000;
export const WEBSOCKET_TIMEOUT_MS = 29_000;
/** REST (and Cognito) authorizer result TTL when the definition sets none. */
export const REST_AUTHORIZER_TTL = 300;
/** REST TOKEN authorizers and Cognito authorizers read this header unless told otherwise. */
export const REST_DEFAULT_IDENTITY = "method.request.header.Authorization";
/** HTTP API JWT authorizers read this header unless told otherwise. */
export const HTTP_DEFAULT_IDENTITY = "$request.header.Authorization";
/** HTTP methods API Gateway routes (plus `ANY`). */
export const METHODS: ReadonlySet<string> = new Set([
  "GET",
  "PUT",
  "POST",
  "DELETE",
  "PATCH",
  "HEAD",
  "OPTIONS",
  "ANY",
]);

/** Thrown for input the readers refuse; its message is one sentence for the user. */
export class DefinitionError extends Error {
  override readonly name = "DefinitionError";
}

export interface NoteSink {
  note(at: string, message: string): void;
}

/** An API being read; {@link finishApi} freezes it into an {@link ApiDefinition}. */
export interface ApiDraft {
  readonly id: string;
  readonly kind: ApiKind;
  /** Other names the API can be chosen by (`Name` property, …). */
  readonly aliases: string[];
  stage: string;
  readonly routes: RouteDefinition[];
  readonly authorizers: Record<string, AuthorizerDefinition>;
  readonly gatewayResponses: GatewayResponseDefinition[];
  readonly at: string;
}

export function newDraft(id: string, kind: ApiKind, stage: string, at: string): ApiDraft {
  return { id, kind, aliases: [], stage, routes: [], authorizers: {}, gatewayResponses: [], at };
}

/** A lambda integration of `handler`. */
export function lambdaIntegration(
  handler: HandlerReference,
  payloadFormatVersion: "1.0" | "2.0",
  timeoutMs: number,
): IntegrationDefinition {
  return { kind: "lambda", handler, payloadFormatVersion, timeoutMs };
}

/** `1.0`/`2.0` from a definition's value (YAML reads an unquoted `1.0` as the number 1). */
export function payloadVersion(value: unknown): "1.0" | "2.0" | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value);
  if (text === "1" || text === "1.0") return "1.0";
  if (text === "2" || text === "2.0") return "2.0";
  return undefined;
}

/** A whole number from a definition's value (`"300"` or `300`), else `undefined`. */
export function integer(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isInteger(value)) return value;
  if (typeof value === "string" && /^-?\d+$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** A boolean from a definition's value (`true`, `"true"`). */
export function bool(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "True") return true;
  if (value === "false" || value === "False") return false;
  return undefined;
}

/** Strings from a string or a list (`audience: x` or `[x, y]`). */
export function strings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value))
    return value.filter((x) => typeof x === "string" || typeof x === "number").map(String);
  if (typeof value === "string" || typeof value === "number") return [String(value)];
  return [];
}

/** A comma-separated identity source (`method.request.header.A, method.request.querystring.b`) as a list. */
export function identityList(value: unknown): string[] {
  return strings(value)
    .flatMap((s) => s.split(","))
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** The route key and checks of one route; adds it to `draft`. */
export function addRoute(
  draft: ApiDraft,
  route: Omit<RouteDefinition, "routeKey" | "method" | "path"> & { method: string; path: string },
  label: string,
): RouteDefinition {
  const built = shapeRoute(draft.kind, route.method, route.path, route.at, label);
  const full: RouteDefinition = { ...route, ...built };
  const clash = draft.routes.find((r) => r.routeKey === full.routeKey);
  if (clash)
    throw new DefinitionError(
      `${label} declares the route ${full.routeKey} of ${draft.id} twice (at ${clash.at} and ${full.at}).`,
    );
  draft.routes.push(full);
  return full;
}

/**
 * Completes a route an OpenAPI body declared (same key: the event's integration and auth win), or
 * adds one; a route declared twice outside the body is refused like {@link addRoute}.
 */
export function mergeRoute(
  draft: ApiDraft,
  route: Omit<RouteDefinition, "routeKey" | "method" | "path"> & { method: string; path: string },
  label: string,
  fromBody: (existing: RouteDefinition) => boolean,
): void {
  const built = shapeRoute(draft.kind, route.method, route.path, route.at, label);
  const index = draft.routes.findIndex((r) => r.routeKey === built.routeKey);
  if (index >= 0 && fromBody(draft.routes[index]!)) draft.routes[index] = { ...route, ...built };
  else addRoute(draft, route, label);
}

const WEBSOCKET_KEYS = new Set(["$connect", "$disconnect", "$default"]);

function shapeRoute(
  kind: ApiKind,
  methodIn: string,
  pathIn: string,
  at: string,
  label: string,
): { method: string; path: string; routeKey: string } {
  if (kind === "websocket") {
    const key = pathIn;
    if (key === "")
      throw new DefinitionError(`${label} has a WebSocket route without a route key (at ${at}).`);
    return { method: "", path: "", routeKey: key };
  }
  if (pathIn.startsWith("$")) {
    if (WEBSOCKET_KEYS.has(pathIn) && pathIn !== "$default")
      throw new DefinitionError(
        `${label} uses the route key ${pathIn} on ${kind === "rest" ? "a REST" : "an HTTP"} API (at ${at}); it exists only on WebSocket APIs.`,
      );
    if (pathIn === "$default" && kind === "http") return { method: "ANY", path: "", routeKey: "$default" };
    throw new DefinitionError(
      `${label} uses the route key ${pathIn.slice(0, 40)} on a non-WebSocket API (at ${at}).`,
    );
  }
  if (!pathIn.startsWith("/"))
    throw new DefinitionError(`${label} has a route path that does not start with "/" (at ${at}).`);
  if (/\s/.test(pathIn) || pathIn.includes("//"))
    throw new DefinitionError(`${label} has a route path with a space or an empty segment (at ${at}).`);
  const greedy = /\{[^/{}]+\+\}/.exec(pathIn);
  if (greedy && greedy.index + greedy[0].length !== pathIn.replace(/\/$/, "").length)
    throw new DefinitionError(
      `${label} has a route path whose greedy variable ${greedy[0].slice(0, 40)} is not its last segment (at ${at}).`,
    );
  const method = methodIn.toUpperCase() === "X-AMAZON-APIGATEWAY-ANY-METHOD" ? "ANY" : methodIn.toUpperCase();
  if (!METHODS.has(method))
    throw new DefinitionError(
      `${label} has a route with the unknown method ${method.slice(0, 20)} (at ${at}).`,
    );
  const path = pathIn.length > 1 && pathIn.endsWith("/") ? pathIn.slice(0, -1) : pathIn;
  return { method, path, routeKey: `${method} ${path}` };
}

/** The {@link ApiDefinition} of a draft. */
export function finishApi(
  draft: ApiDraft,
  format: ApiDefinition["format"],
  file: string,
  notes: readonly { at: string; message: string }[],
): ApiDefinition {
  return {
    format,
    file,
    name: draft.id,
    kind: draft.kind,
    stage: draft.stage,
    routes: draft.routes,
    authorizers: draft.authorizers,
    gatewayResponses: draft.gatewayResponses,
    notes: [...notes],
  };
}

/** The authorizer standing in for `AWS_IAM` (SigV4), which the local gateway does not emulate: gatepass's own. */
export const IAM_STAND_IN = "AWS_IAM";

/** Adds the `AWS_IAM` stand-in authorizer to `draft` (fails closed: the route stays protected). */
export function iamStandIn(draft: ApiDraft, sink: NoteSink, at: string): string {
  sink.note(
    at,
    "AWS_IAM (SigV4) authorization is not emulated; the route is protected by gatepass's own authorizer with the configuration in effect.",
  );
  if (!draft.authorizers[IAM_STAND_IN]) {
    const http = draft.kind === "http";
    const standIn: AuthorizerDefinition = {
      kind: "lambda",
      name: IAM_STAND_IN,
      type: "request",
      identitySources: [
        draft.kind === "rest"
          ? REST_DEFAULT_IDENTITY
          : http
            ? HTTP_DEFAULT_IDENTITY
            : "route.request.header.Authorization",
      ],
      resultTtlSeconds: 0,
      ...(http ? { payloadFormatVersion: "2.0" as const, simpleResponses: false } : {}),
      handler: null,
    };
    standIns.add(standIn);
    draft.authorizers[IAM_STAND_IN] = standIn;
  }
  return IAM_STAND_IN;
}

const standIns = new WeakSet<AuthorizerDefinition>();

/** Whether `name` is an authorizer the definition itself declares (not the AWS_IAM stand-in). */
export function declaredAuthorizer(draft: ApiDraft, name: string): boolean {
  const found = draft.authorizers[name];
  return found !== undefined && !standIns.has(found);
}

/** The note for CORS settings (SAM `Cors`/`CorsConfiguration`, serverless `cors`). */
export const CORS_NOTE =
  "CORS is not emulated from the definition: preflight OPTIONS requests get the answer of a route that does not exist.";

/** The note for a Lambda authorizer whose function is not in the definition. */
export const OWN_AUTHORIZER_NOTE = "gatepass's own authorizer is used with the configuration in effect.";

/**
 * The Properties of an `AWS::ApiGateway::GatewayResponse` (a template's, or a serverless.yml's
 * `resources`): its type, status, `gatewayresponse.header.*` parameters and templates.
 */
export function cfnGatewayResponse(p: Record<string, unknown>): GatewayResponseDefinition {
  const headers: Record<string, string> = {};
  for (const [key, v] of Object.entries(isRecord(p.ResponseParameters) ? p.ResponseParameters : {})) {
    const m = /^gatewayresponse\.header\.(.+)$/.exec(key);
    if (m && typeof v === "string") headers[m[1]!] = v;
  }
  const templates: Record<string, string> = {};
  for (const [ct, t] of Object.entries(isRecord(p.ResponseTemplates) ? p.ResponseTemplates : {}))
    if (typeof t === "string") templates[ct] = t;
  const statusCode = integer(p.StatusCode);
  return {
    type: String(p.ResponseType ?? ""),
    ...(statusCode !== undefined ? { statusCode } : {}),
    headers,
    templates,
  };
}
