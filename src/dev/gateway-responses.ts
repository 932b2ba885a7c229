import type { GatewayResponseDefinition } from "./definition/model.js";

/**
 * Gateway Responses a definition customizes (REST APIs only: `AWS::ApiGateway::GatewayResponse`,
 * `x-amazon-apigateway-gateway-responses`), applied to the answers the gateway gives itself.
 * Pure: no I/O, no state.
 *
 * What AWS documents and this module does (supported-gateway-response-types.html,
 * api-gateway-gatewayResponse-definition.html, api-gateway-swagger-extensions-gateway-responses.*):
 * - the response of a type is the type's own customization, else `DEFAULT_4XX` / `DEFAULT_5XX` by its
 *   default status class; a `statusCode` set on `DEFAULT_4XX`/`DEFAULT_5XX` changes every other
 *   response of that class that sets none;
 * - headers (`gatewayresponse.header.NAME`, or just `NAME`) map a `'static'` value, a
 *   `method.request.header|querystring|path.NAME`, a `context.VAR` or a `stageVariables.NAME`; a
 *   mapping the request cannot fill is left out;
 * - body templates are not VTL: simple substitution of `$context.VAR` / `${context.VAR}` /
 *   `$stageVariables.NAME` only (`$context.error.message`, `$context.error.messageString` — the
 *   message in double quotes —, `$context.error.responseType`, `$context.requestId`,
 *   `$context.authorizer.KEY`, `$context.stage`, …); an unknown variable renders as nothing. The
 *   template for `application/json` is used, else the first one;
 * - `REQUEST_TOO_LARGE` cannot be customized (api-gateway-known-issues.html); HTTP and WebSocket
 *   APIs have no Gateway Responses (the caller does not call this for them).
 */

/** The Gateway Response types, with their default status (supported-gateway-response-types.html). */
export const GATEWAY_RESPONSE_STATUS = {
  ACCESS_DENIED: 403,
  API_CONFIGURATION_ERROR: 500,
  AUTHORIZER_CONFIGURATION_ERROR: 500,
  AUTHORIZER_FAILURE: 500,
  BAD_REQUEST_PARAMETERS: 400,
  BAD_REQUEST_BODY: 400,
  EXPIRED_TOKEN: 403,
  INTEGRATION_FAILURE: 504,
  INTEGRATION_TIMEOUT: 504,
  INVALID_API_KEY: 403,
  INVALID_SIGNATURE: 403,
  MISSING_AUTHENTICATION_TOKEN: 403,
  QUOTA_EXCEEDED: 429,
  REQUEST_TOO_LARGE: 413,
  RESOURCE_NOT_FOUND: 404,
  THROTTLED: 429,
  UNAUTHORIZED: 401,
  UNSUPPORTED_MEDIA_TYPE: 415,
  WAF_FILTERED: 403,
} as const;

/** A type the gateway answers with; `DEFAULT_4XX`/`DEFAULT_5XX` for an answer of no specific type (a failing Lambda's 502). */
export type GatewayResponseType = keyof typeof GATEWAY_RESPONSE_STATUS | "DEFAULT_4XX" | "DEFAULT_5XX";

/** An answer of the gateway, before or after customization. */
export interface GatewayAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What header mappings and templates can read about the request. */
export interface GatewayResponseContext {
  readonly requestId: string;
  /** `$context.error.message`: the default answer's message (`null` for `{"message": null}`). */
  readonly message: string | null;
  /** Request headers, names lower-cased. */
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly query?: Readonly<Record<string, string | undefined>>;
  readonly pathParameters?: Readonly<Record<string, string | undefined>>;
  /** The Lambda authorizer's `context` (a Deny's too), values stringified as AWS does. */
  readonly authorizer?: Readonly<Record<string, unknown>>;
  /** Other `$context` variables: `stage`, `resourcePath`, `httpMethod`, `path`, `apiId`, `domainName`… */
  readonly variables?: Readonly<Record<string, string | undefined>>;
  readonly stageVariables?: Readonly<Record<string, string | undefined>>;
}

const DEFAULT_CLASS = (status: number): "DEFAULT_4XX" | "DEFAULT_5XX" | undefined =>
  status >= 400 && status < 500 ? "DEFAULT_4XX" : status >= 500 && status < 600 ? "DEFAULT_5XX" : undefined;

/** Types whose customization API Gateway does not apply. */
const NOT_CUSTOMIZABLE: ReadonlySet<string> = new Set(["REQUEST_TOO_LARGE"]);

const HEADER_PREFIX = "gatewayresponse.header.";

/** `$context.authorizer.KEY`: strings as they are, other scalars stringified (`1`, `true`). */
const stringify = (value: unknown): string | undefined =>
  value === undefined || value === null
    ? undefined
    : typeof value === "string"
      ? value
      : typeof value === "object"
        ? JSON.stringify(value)
        : String(value);

/** The value of `context.PATH` (without `context.`), or `undefined`. */
function contextVariable(
  path: string,
  type: GatewayResponseType,
  ctx: GatewayResponseContext,
): string | undefined {
  switch (path) {
    case "requestId":
    case "extendedRequestId":
      return ctx.requestId;
    case "error.message":
      return ctx.message ?? "null";
    case "error.messageString":
      return ctx.message === null ? "null" : `"${ctx.message}"`;
    case "error.responseType":
      return type;
    default:
      if (path.startsWith("authorizer.")) return stringify(ctx.authorizer?.[path.slice(11)]);
      return ctx.variables?.[path];
  }
}

function lower(map: Readonly<Record<string, string | undefined>> | undefined, name: string) {
  if (map === undefined) return undefined;
  if (map[name] !== undefined) return map[name];
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(map)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** A header mapping's value: `'static'`, `method.request.*`, `context.*`, `stageVariables.*`; `undefined` when unfilled. */
export function headerMappingValue(
  expression: string,
  type: GatewayResponseType,
  ctx: GatewayResponseContext,
): string | undefined {
  const text = expression.trim();
  if (text.length >= 2 && text.startsWith("'") && text.endsWith("'")) return text.slice(1, -1);
  let match = /^method\.request\.(header|querystring|path)\.(.+)$/.exec(text);
  if (match) {
    const [, where, name] = match;
    if (where === "header") return lower(ctx.headers, name!);
    if (where === "querystring") return ctx.query?.[name!];
    return ctx.pathParameters?.[name!];
  }
  match = /^context\.(.+)$/.exec(text);
  if (match) return contextVariable(match[1]!, type, ctx);
  match = /^stageVariables\.(.+)$/.exec(text);
  if (match) return ctx.stageVariables?.[match[1]!];
  return undefined;
}

/** Renders a Gateway Response body template: `$context.X`, `${context.X}`, `$stageVariables.X` substituted, nothing else. */
export function renderTemplate(
  template: string,
  type: GatewayResponseType,
  ctx: GatewayResponseContext,
): string {
  return template.replace(
    /\$\{(context|stageVariables)\.([A-Za-z0-9_.-]+)\}|\$(context|stageVariables)\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_-]+)*)/g,
    (_all, braceRoot?: string, bracePath?: string, root?: string, path?: string) => {
      const which = braceRoot ?? root!;
      const name = bracePath ?? path!;
      if (which === "stageVariables") return ctx.stageVariables?.[name] ?? "";
      return contextVariable(name, type, ctx) ?? "";
    },
  );
}

/** The definition a type uses: its own, else its class's default; `undefined` when none applies. */
function definitionFor(
  type: GatewayResponseType,
  status: number,
  definitions: readonly GatewayResponseDefinition[],
): { own: GatewayResponseDefinition | undefined; fallback: GatewayResponseDefinition | undefined } {
  const own = definitions.find((d) => d.type === type);
  const cls = DEFAULT_CLASS(status);
  const fallback = cls !== undefined && cls !== type ? definitions.find((d) => d.type === cls) : undefined;
  return { own, fallback };
}

/**
 * `answer` (the gateway's default for `type`) with the definition's customization applied: status,
 * headers (added to the answer's, replacing same-named ones), body template. Returns `answer`
 * itself when nothing customizes it.
 */
export function customizeGatewayResponse(
  type: GatewayResponseType,
  answer: GatewayAnswer,
  definitions: readonly GatewayResponseDefinition[] | undefined,
  ctx: GatewayResponseContext,
): GatewayAnswer {
  if (definitions === undefined || definitions.length === 0 || NOT_CUSTOMIZABLE.has(type)) return answer;
  const { own, fallback } = definitionFor(type, answer.status, definitions);
  const chosen = own ?? fallback;
  if (chosen === undefined) return answer;
  const status = own?.statusCode ?? fallback?.statusCode ?? answer.status;
  const headers: Record<string, string> = { ...answer.headers };
  for (const [key, expression] of Object.entries(chosen.headers)) {
    const name = key.startsWith(HEADER_PREFIX) ? key.slice(HEADER_PREFIX.length) : key;
    if (name === "" || /[^\x21-\x7e]|:/.test(name)) continue;
    const value = headerMappingValue(expression, type, ctx);
    if (value === undefined || /[\r\n\0]/.test(value)) continue;
    for (const existing of Object.keys(headers))
      if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
    headers[name] = value;
  }
  const templates = Object.entries(chosen.templates);
  const template =
    templates.find(([contentType]) => contentType.toLowerCase() === "application/json") ?? templates[0];
  let body = answer.body;
  if (template !== undefined) {
    body = renderTemplate(template[1], type, ctx);
    for (const existing of Object.keys(headers))
      if (existing.toLowerCase() === "content-type") delete headers[existing];
    headers["content-type"] = template[0];
  }
  return { status, headers, body };
}
