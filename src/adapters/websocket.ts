import type {
  APIGatewayRequestAuthorizerEventHeaders,
  APIGatewayRequestAuthorizerEventMultiValueHeaders,
  APIGatewayRequestAuthorizerEventMultiValueQueryStringParameters,
  APIGatewayRequestAuthorizerEventQueryStringParameters,
  APIGatewayRequestAuthorizerEventStageVariables,
} from "aws-lambda";
import type { TokenSource } from "../config/types.js";
import { type EventRecord, isRecord, own, ownRecord, ownString, requestEventLookup } from "./event-lookup.js";
import { extractToken } from "./token-source.js";
import type { Adapter, AuthRequest } from "./types.js";

/**
 * A WebSocket API `REQUEST` authorizer event (AWS: apigateway-websocket-api-lambda-auth.html). `@types/aws-lambda` has no type for
 * it: it is the REST `REQUEST` shape without `resource`, `path`, `httpMethod` and `pathParameters`,
 * with a WebSocket `requestContext`.
 */
export interface WebSocketConnectAuthorizerEvent {
  type: "REQUEST";
  /** `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/$connect` (no HTTP verb). */
  methodArn: string;
  headers?: APIGatewayRequestAuthorizerEventHeaders | null;
  multiValueHeaders?: APIGatewayRequestAuthorizerEventMultiValueHeaders | null;
  queryStringParameters?: APIGatewayRequestAuthorizerEventQueryStringParameters | null;
  multiValueQueryStringParameters?: APIGatewayRequestAuthorizerEventMultiValueQueryStringParameters | null;
  stageVariables?: APIGatewayRequestAuthorizerEventStageVariables | null;
  requestContext?: {
    routeKey?: string;
    eventType?: string;
    connectionId?: string;
    stage?: string;
    apiId?: string;
    [key: string]: unknown;
  } | null;
}

const CONNECT_SUFFIX = "/$connect";

/**
 * True for a WebSocket `$connect` ARN: `{apiId}/{stage}/$connect`, exactly two slashes. A REST
 * method ARN always has a verb between stage and path (`{apiId}/{stage}/GET/$connect`, three or
 * more), so a REST resource that happens to be named `$connect` is not mistaken for WebSocket.
 */
function isConnectArn(arn: string): boolean {
  if (!arn.endsWith(CONNECT_SUFFIX)) return false;
  const first = arn.indexOf("/");
  const second = arn.indexOf("/", first + 1);
  return second === arn.length - CONNECT_SUFFIX.length && first !== -1 && first < second;
}

function eventType(record: EventRecord): string | null {
  const context = ownRecord(record, "requestContext");
  return context === null ? null : ownString(context, "eventType");
}

/**
 * WebSocket API `$connect` (the only route that can have an authorizer). The maps are the REST
 * ones; the route key is `requestContext.routeKey`, or `$connect` read from the ARN.
 *
 * @example
 * websocketAdapter.toRequest(event, [{ kind: "query", name: "access_token" }])
 * // { kind: "websocket", arn: event.methodArn, method: null, path: null, routeKey: "$connect", token: "eyJ...", tokenProblem: null, tokenProblemCode: null }
 */
export const websocketAdapter: Adapter<WebSocketConnectAuthorizerEvent> = {
  kind: "websocket",
  /**
   * Tests `type === "REQUEST"`, no `version`, a string `methodArn`, and either that ARN ending in
   * `{apiId}/{stage}/$connect` or `requestContext.eventType === "CONNECT"`.
   */
  matches(event: unknown): event is WebSocketConnectAuthorizerEvent {
    if (!isRecord(event) || own(event, "type") !== "REQUEST" || own(event, "version") !== undefined)
      return false;
    const arn = own(event, "methodArn");
    return typeof arn === "string" && (isConnectArn(arn) || eventType(event) === "CONNECT");
  },
  toRequest(event: WebSocketConnectAuthorizerEvent, tokenSources: readonly TokenSource[]): AuthRequest {
    const e: unknown = event;
    const record = isRecord(e) ? e : {};
    const arn = ownString(record, "methodArn") ?? "";
    const context = ownRecord(record, "requestContext");
    const { token, problem, code } = extractToken(tokenSources, requestEventLookup(record));
    return {
      kind: "websocket",
      arn,
      method: null,
      path: null,
      routeKey:
        (context === null ? null : ownString(context, "routeKey")) ??
        (arn.endsWith(CONNECT_SUFFIX) ? "$connect" : null),
      token,
      tokenProblem: problem,
      tokenProblemCode: code,
    };
  },
};
