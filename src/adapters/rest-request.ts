import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import type { TokenSource } from "../config/types.js";
import { isRecord, own, ownRecord, ownString, requestEventLookup } from "./event-lookup.js";
import { extractToken } from "./token-source.js";
import type { Adapter, AuthRequest } from "./types.js";

/**
 * REST API `REQUEST` authorizer: `headers` and `multiValueHeaders` (names as sent),
 * `queryStringParameters` and `multiValueQueryStringParameters`, `path`, `httpMethod`,
 * `requestContext`, `methodArn` (AWS: api-gateway-lambda-authorizer-input.html). Every map may be `null` (the console tester sends
 * `null`s) or missing (the documentation's example has no `multiValue*` maps).
 *
 * @example
 * restRequestAdapter.toRequest(event, [{ kind: "header", name: "authorization" }])
 * // { kind: "rest-request", arn: event.methodArn, method: "GET", path: "/request", routeKey: null, token: "eyJ...", tokenProblem: null, tokenProblemCode: null }
 */
export const restRequestAdapter: Adapter<APIGatewayRequestAuthorizerEvent> = {
  kind: "rest-request",
  /**
   * Tests `type === "REQUEST"`, a string `methodArn`, and no `version` (an event with a version is
   * an HTTP API event, read only as one). WebSocket events pass this test too, so detection tries
   * the WebSocket guard first.
   */
  matches(event: unknown): event is APIGatewayRequestAuthorizerEvent {
    return (
      isRecord(event) &&
      own(event, "type") === "REQUEST" &&
      typeof own(event, "methodArn") === "string" &&
      own(event, "version") === undefined
    );
  },
  toRequest(event: APIGatewayRequestAuthorizerEvent, tokenSources: readonly TokenSource[]): AuthRequest {
    return restLikeRequest("rest-request", event, tokenSources);
  },
};

/**
 * The request of a REST-shaped event (REST `REQUEST` and HTTP API `1.0`, which AWS made
 * REST-compatible): same maps, same fields.
 */
export function restLikeRequest(
  kind: "rest-request" | "http-v1",
  event: unknown,
  tokenSources: readonly TokenSource[],
): AuthRequest {
  const record = isRecord(event) ? event : {};
  const context = ownRecord(record, "requestContext");
  const { token, problem, code } = extractToken(tokenSources, requestEventLookup(record));
  return {
    kind,
    arn: ownString(record, "methodArn") ?? "",
    method: ownString(record, "httpMethod") ?? (context === null ? null : ownString(context, "httpMethod")),
    path: ownString(record, "path"),
    routeKey: null,
    token,
    tokenProblem: problem,
    tokenProblemCode: code,
  };
}
