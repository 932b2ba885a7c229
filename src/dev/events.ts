import { randomBytes } from "node:crypto";
import type { DevApiType } from "../config/types.js";
import { type DevRequest, headerValue, queryParameters, type RouteMatch } from "./request.js";

/**
 * The events API Gateway sends, built from a real HTTP request, in AWS's exact shapes per API
 * type: the authorizer events (REST TOKEN/REQUEST, HTTP API 1.0/2.0, WebSocket `$connect`) and
 * the proxy integration events a backend Lambda receives. References: the API Gateway developer
 * guide's input examples and `@types/aws-lambda` (AWS: api-gateway-lambda-authorizer-input.html, http-api-develop-integrations-lambda.html).
 */

/** The account and API the emulated gateway pretends to be. */
export interface ApiIdentity {
  /** [`us-east-1`] */
  readonly region: string;
  /** 12 digits [`123456789012`]. */
  readonly accountId: string;
  /** 10 lower-case letters or digits [`gatepass01`]. */
  readonly apiId: string;
}

export const DEFAULT_API_IDENTITY: ApiIdentity = {
  region: "us-east-1",
  accountId: "123456789012",
  apiId: "gatepass01",
};

/** Checks the shape of an {@link ApiIdentity}; throws an `Error` naming the bad field. */
export function checkApiIdentity(ids: ApiIdentity): ApiIdentity {
  if (!/^\d{12}$/.test(ids.accountId)) throw new Error(`accountId must be 12 digits, got "${ids.accountId}"`);
  if (!/^[a-z0-9]{10}$/.test(ids.apiId))
    throw new Error(`apiId must be 10 lower-case letters or digits, got "${ids.apiId}"`);
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(ids.region))
    throw new Error(`region must look like us-east-1, got "${ids.region}"`);
  return ids;
}

/**
 * The ARN of the request: `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path}`
 * with the actual path (parameter values filled in, leading `/` dropped; the root is `…/GET/`);
 * for WebSocket `…/{stage}/$connect`.
 */
export function requestArn(ids: ApiIdentity, api: DevApiType, stage: string, request: DevRequest): string {
  const base = `arn:aws:execute-api:${ids.region}:${ids.accountId}:${ids.apiId}/${stage}`;
  if (api === "websocket") return `${base}/$connect`;
  const path = request.path;
  let from = 0;
  while (from < path.length && path.charCodeAt(from) === 47) from++;
  return `${base}/${request.method}/${from === 0 ? path : path.slice(from)}`;
}

/** What the event builders need besides the request. */
export interface EventInput {
  readonly api: DevApiType;
  readonly ids: ApiIdentity;
  readonly stage: string;
  readonly request: DevRequest;
  readonly route: RouteMatch;
  readonly arn: string;
  /** The identity source values, in configured order (HTTP API events carry them). */
  readonly identity: readonly string[];
}

type StringMap = Record<string, string>;
type MultiMap = Record<string, string[]>;

/** REST headers: name case kept; the single-value map holds the last value, as API Gateway does. */
function restHeaders(request: DevRequest): { headers: StringMap; multiValueHeaders: MultiMap } {
  const headers: StringMap = {};
  const multiValueHeaders: MultiMap = {};
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const existing =
      Object.keys(multiValueHeaders).find((n) => n.toLowerCase() === name.toLowerCase()) ?? name;
    headers[existing] = value;
    const list = multiValueHeaders[existing] ?? [];
    list.push(value);
    multiValueHeaders[existing] = list;
  }
  return { headers, multiValueHeaders };
}

/** REST query maps; `null` when there is no query string (as in real proxy events). */
function restQuery(request: DevRequest): {
  queryStringParameters: StringMap | null;
  multiValueQueryStringParameters: MultiMap | null;
} {
  const params = queryParameters(request);
  if (params.size === 0) return { queryStringParameters: null, multiValueQueryStringParameters: null };
  const single: StringMap = {};
  const multi: MultiMap = {};
  for (const [key, values] of params) {
    single[key] = values[values.length - 1]!;
    multi[key] = [...values];
  }
  return { queryStringParameters: single, multiValueQueryStringParameters: multi };
}

/** HTTP API 2.0 headers: lower-cased, repeated values joined with commas, cookies moved out. */
function v2Headers(request: DevRequest): { headers: StringMap; cookies: string[] } {
  const headers: StringMap = {};
  const cookies: string[] = [];
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const value = raw[i + 1]!;
    const lower = raw[i]!.toLowerCase();
    if (lower === "cookie") {
      cookies.push(
        ...value
          .split(";")
          .map((c) => c.trim())
          .filter((c) => c.length > 0),
      );
      continue;
    }
    headers[lower] = headers[lower] === undefined ? value : `${headers[lower]},${value}`;
  }
  return { headers, cookies };
}

function v2Query(request: DevRequest): StringMap | undefined {
  const params = queryParameters(request);
  if (params.size === 0) return undefined;
  const out: StringMap = {};
  for (const [key, values] of params) out[key] = values.join(",");
  return out;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `12/Mar/2020:19:03:58 +0000`, the `requestTime` / `time` format. */
function clfTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function domain(request: DevRequest, ids: ApiIdentity): { domainName: string; domainPrefix: string } {
  const host = headerValue(request, "host") ?? `${ids.apiId}.execute-api.${ids.region}.amazonaws.com`;
  return { domainName: host, domainPrefix: host.split(".")[0] ?? host };
}

/** A REST/1.0 `requestContext` path includes the stage, as on the execute-api domain. */
const stagePath = (stage: string, path: string) => (stage === "$default" ? path : `/${stage}${path}`);

const extendedRequestId = () => `${randomBytes(11).toString("base64").slice(0, 14)}=`;

function restIdentity(request: DevRequest): Record<string, unknown> {
  return {
    cognitoIdentityPoolId: null,
    accountId: null,
    cognitoIdentityId: null,
    caller: null,
    sourceIp: request.sourceIp,
    principalOrgId: null,
    accessKey: null,
    cognitoAuthenticationType: null,
    cognitoAuthenticationProvider: null,
    userArn: null,
    userAgent: headerValue(request, "user-agent") ?? null,
    user: null,
    apiKey: null,
    clientCert: request.clientCert ?? null,
  };
}

/** The REST (and HTTP API 1.0) `requestContext` of a REQUEST authorizer event. */
function restAuthorizerContext(input: EventInput): Record<string, unknown> {
  const { request, route, stage, ids } = input;
  return {
    path: stagePath(stage, request.path),
    accountId: ids.accountId,
    resourceId: resourceId(route.resource),
    stage,
    requestId: request.requestId,
    identity: restIdentity(request),
    resourcePath: route.resource,
    httpMethod: request.method,
    apiId: ids.apiId,
  };
}

/** A stable 6-character resource id per resource template, like the ones API Gateway assigns. */
function resourceId(resource: string): string {
  let hash = 5381;
  for (const char of resource) hash = ((hash * 33) ^ char.charCodeAt(0)) >>> 0;
  return hash.toString(36).padStart(6, "0").slice(-6);
}

function websocketContext(input: EventInput, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { request, ids, stage } = input;
  return {
    routeKey: "$connect",
    ...extra,
    eventType: "CONNECT",
    extendedRequestId: extendedRequestId(),
    requestTime: clfTime(request.timeEpoch),
    messageDirection: "IN",
    stage,
    connectedAt: request.timeEpoch,
    requestTimeEpoch: request.timeEpoch,
    identity: { userAgent: headerValue(request, "user-agent") ?? null, sourceIp: request.sourceIp },
    requestId: request.requestId,
    domainName: domain(request, ids).domainName,
    connectionId: connectionId(request.requestId),
    apiId: ids.apiId,
  };
}

/** A connection id like API Gateway's (`LQW8qdlRoAMCJuQ=`), derived from the request id. */
const connectionId = (requestId: string) =>
  `${Buffer.from(requestId.replace(/-/g, ""), "hex").toString("base64").slice(0, 15)}=`;

/**
 * The authorizer event for the API type:
 * - `rest-token`: `{ type: "TOKEN", authorizationToken, methodArn }` and nothing else;
 * - `rest-request`: `type: "REQUEST"`, `methodArn`, `resource`, `path`, `httpMethod`, `headers`,
 *   `multiValueHeaders`, query maps, `pathParameters`, `stageVariables`, `requestContext`;
 * - `http-v1`: the same plus `version: "1.0"`, `identitySource` and `authorizationToken` (the
 *   identity values joined with commas);
 * - `http-v2-*`: `version: "2.0"`, `routeArn`, `identitySource` (array), `routeKey`, `rawPath`,
 *   `rawQueryString`, `cookies`, lower-case `headers`, `queryStringParameters`, `requestContext`…;
 * - `websocket`: a `$connect` REQUEST event (`methodArn` ending in `$connect`, no path parameters).
 */
export function buildAuthorizerEvent(input: EventInput): Record<string, unknown> {
  const { api, request, route, arn, identity } = input;
  switch (api) {
    case "rest-token":
      return { type: "TOKEN", authorizationToken: identity[0] ?? "", methodArn: arn };
    case "rest-request":
    case "http-v1": {
      const event: Record<string, unknown> = {};
      if (api === "http-v1") {
        const joined = identity.join(",");
        Object.assign(event, {
          version: "1.0",
          type: "REQUEST",
          methodArn: arn,
          identitySource: joined,
          authorizationToken: joined,
        });
      } else {
        Object.assign(event, { type: "REQUEST", methodArn: arn });
      }
      return Object.assign(event, {
        resource: route.resource,
        path: request.path,
        httpMethod: request.method,
        ...restHeaders(request),
        ...restQuery(request),
        pathParameters: route.pathParameters ?? {},
        stageVariables: {},
        requestContext: restAuthorizerContext(input),
      });
    }
    case "http-v2-simple":
    case "http-v2-iam": {
      const { headers, cookies } = v2Headers(request);
      const event: Record<string, unknown> = {
        version: "2.0",
        type: "REQUEST",
        routeArn: arn,
        identitySource: [...identity],
        routeKey: route.routeKey,
        rawPath: request.path,
        rawQueryString: request.rawQuery,
      };
      if (cookies.length > 0) event.cookies = cookies;
      event.headers = headers;
      const query = v2Query(request);
      if (query) event.queryStringParameters = query;
      event.requestContext = v2RequestContext(input);
      if (route.pathParameters) event.pathParameters = route.pathParameters;
      return event;
    }
    case "websocket":
      return {
        type: "REQUEST",
        methodArn: arn,
        ...restHeaders(request),
        ...restQuery(request),
        stageVariables: {},
        requestContext: websocketContext(input),
      };
  }
}

function v2RequestContext(input: EventInput, authorizer?: Record<string, unknown>): Record<string, unknown> {
  const { request, route, stage, ids } = input;
  const context: Record<string, unknown> = { accountId: ids.accountId, apiId: ids.apiId };
  // Mutual TLS on a custom domain: the client certificate (http-api-lambda-authorizer.html's 2.0 example).
  if (request.clientCert) context.authentication = { clientCert: request.clientCert };
  if (authorizer) context.authorizer = authorizer;
  return Object.assign(context, {
    ...domain(request, ids),
    http: {
      method: request.method,
      path: request.path,
      protocol: request.protocol,
      sourceIp: request.sourceIp,
      userAgent: headerValue(request, "user-agent") ?? "",
    },
    requestId: request.requestId,
    routeKey: route.routeKey,
    stage,
    time: clfTime(request.timeEpoch),
    timeEpoch: request.timeEpoch,
  });
}

/** What an authorizer let through: what API Gateway passes to the integration. */
export interface AuthorizedCaller {
  /** `principalId` of a policy response; `null` for a simple response. */
  readonly principalId: string | null;
  /** The authorizer's `context`, as returned (types kept). */
  readonly context: Record<string, unknown>;
  /** How long the authorizer took (0 on a cache hit), ms. */
  readonly latencyMs: number;
  /** The API key a usage plan metered (`usageIdentifierKey`): REST `requestContext.identity.apiKey`. */
  readonly apiKey?: string;
  /**
   * The integration event's `requestContext.authorizer` when it is not a Lambda authorizer's: a
   * native JWT authorizer's claims and scopes, or `null` to leave the key out (a route without an
   * authorizer). Absent: built from `principalId` and `context` as above.
   */
  readonly integrationAuthorizer?: Record<string, unknown> | null;
}

/**
 * REST, WebSocket and HTTP 1.0 integrations see every context value as a string, as API Gateway
 * delivers them (`7` → `"7"`, `true` → `"true"`), so a backend reads what it would read on AWS.
 */
function stringifyContext(context: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(context)) {
    if (value === undefined || value === null || key === "__proto__") continue;
    out[key] =
      typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  }
  return out;
}

/** `requestContext.authorizer` of a REST/WebSocket/1.0 proxy event: `principalId`, `integrationLatency` and the stringified context. */
function restAuthorizer(caller: AuthorizedCaller): Record<string, unknown> {
  const out: Record<string, unknown> = { ...stringifyContext(caller.context) };
  out.principalId = caller.principalId ?? "";
  out.integrationLatency = Math.round(caller.latencyMs);
  return out;
}

/** `requestContext.authorizer` of a REST/WebSocket/1.0 proxy event: the given one, else the Lambda authorizer's. */
const integrationAuthorizer = (caller: AuthorizedCaller): Record<string, unknown> =>
  caller.integrationAuthorizer ?? restAuthorizer(caller);

/** The body as a Lambda proxy event carries it. */
export interface EventBody {
  readonly body: string | null;
  readonly isBase64Encoded: boolean;
}

/**
 * The proxy integration event a backend Lambda receives:
 * - REST (`rest-*`) and `http-v1`: `APIGatewayProxyEvent`, `requestContext.authorizer` =
 *   `{ principalId, integrationLatency, ...context }` with every context value a string;
 * - `http-v2-*`: `APIGatewayProxyEventV2`, `requestContext.authorizer.lambda` = the context as
 *   returned, types kept, and nothing else (AWS documents no `principalId` in a 2.0 integration
 *   event, after simple and IAM responses alike: an authorizer passes it in its context);
 * - `websocket`: the `$connect` route event, authorizer as REST.
 */
export function buildProxyEvent(
  input: EventInput,
  caller: AuthorizedCaller,
  body: EventBody,
): Record<string, unknown> {
  const { api, request, route, stage, ids } = input;
  if (api === "http-v2-simple" || api === "http-v2-iam") {
    const { headers, cookies } = v2Headers(request);
    const event: Record<string, unknown> = {
      version: "2.0",
      routeKey: route.routeKey,
      rawPath: request.path,
      rawQueryString: request.rawQuery,
    };
    if (cookies.length > 0) event.cookies = cookies;
    event.headers = headers;
    const query = v2Query(request);
    if (query) event.queryStringParameters = query;
    event.requestContext = v2RequestContext(
      input,
      caller.integrationAuthorizer === undefined
        ? { lambda: { ...caller.context } }
        : (caller.integrationAuthorizer ?? undefined),
    );
    if (body.body !== null) event.body = body.body;
    if (route.pathParameters) event.pathParameters = route.pathParameters;
    event.isBase64Encoded = body.isBase64Encoded;
    return event;
  }
  if (api === "websocket") {
    return {
      ...restHeaders(request),
      ...restQuery(request),
      requestContext: websocketContext(
        input,
        caller.integrationAuthorizer === null ? {} : { authorizer: integrationAuthorizer(caller) },
      ),
      isBase64Encoded: false,
    };
  }
  const requestContext: Record<string, unknown> = {
    resourceId: resourceId(route.resource),
    authorizer: integrationAuthorizer(caller),
    resourcePath: route.resource,
    httpMethod: request.method,
    extendedRequestId: extendedRequestId(),
    requestTime: clfTime(request.timeEpoch),
    path: stagePath(stage, request.path),
    accountId: ids.accountId,
    protocol: request.protocol,
    stage,
    ...domain(request, ids),
    requestTimeEpoch: request.timeEpoch,
    requestId: request.requestId,
    identity:
      caller.apiKey === undefined
        ? restIdentity(request)
        : { ...restIdentity(request), apiKey: caller.apiKey },
    apiId: ids.apiId,
  };
  if (caller.integrationAuthorizer === null) delete requestContext.authorizer;
  return {
    ...(api === "http-v1" ? { version: "1.0" } : {}),
    resource: route.resource,
    path: request.path,
    httpMethod: request.method,
    ...restHeaders(request),
    ...restQuery(request),
    requestContext,
    pathParameters: route.pathParameters,
    stageVariables: null,
    body: body.body,
    isBase64Encoded: body.isBase64Encoded,
  };
}
