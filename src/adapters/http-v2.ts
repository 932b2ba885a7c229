import type { APIGatewayRequestAuthorizerEventV2 } from "aws-lambda";
import type { TokenSource } from "../config/types.js";
import { EventLookup, isRecord, own, ownRecord, ownString } from "./event-lookup.js";
import { extractToken } from "./token-source.js";
import type { Adapter, AuthRequest } from "./types.js";

/**
 * HTTP API payload `2.0` (AWS: http-api-lambda-authorizer.html): `routeArn` instead of `methodArn`, header names in lower
 * case with repeats joined by commas, no `multiValue*` maps, cookies in a `cookies` array (absent
 * when the request has none), `routeKey`, `rawPath`, and the method in `requestContext.http`.
 *
 * @example
 * httpV2Adapter.toRequest(event, [{ kind: "cookie", name: "session" }])
 * // { kind: "http-v2", arn: event.routeArn, method: "GET", path: "/orders/42", routeKey: "GET /orders/{id}", token: "eyJ...", tokenProblem: null, tokenProblemCode: null }
 */
export const httpV2Adapter: Adapter<APIGatewayRequestAuthorizerEventV2> = {
  kind: "http-v2",
  /** Tests `version === "2.0"` and a string `routeArn` (own properties). */
  matches(event: unknown): event is APIGatewayRequestAuthorizerEventV2 {
    return isRecord(event) && own(event, "version") === "2.0" && typeof own(event, "routeArn") === "string";
  },
  toRequest(event: APIGatewayRequestAuthorizerEventV2, tokenSources: readonly TokenSource[]): AuthRequest {
    const e: unknown = event;
    const record = isRecord(e) ? e : {};
    const context = ownRecord(record, "requestContext");
    const http = context === null ? null : ownRecord(context, "http");
    const { token, problem, code } = extractToken(
      tokenSources,
      new EventLookup({
        headers: own(record, "headers"),
        queryStringParameters: own(record, "queryStringParameters"),
        cookies: own(record, "cookies"),
      }),
    );
    return {
      kind: "http-v2",
      arn: ownString(record, "routeArn") ?? "",
      method: http === null ? null : ownString(http, "method"),
      path: ownString(record, "rawPath") ?? (http === null ? null : ownString(http, "path")),
      routeKey: ownString(record, "routeKey") ?? (context === null ? null : ownString(context, "routeKey")),
      identitySource: identityValues(own(record, "identitySource")),
      token,
      tokenProblem: problem,
      tokenProblemCode: code,
    };
  },
};

/** `identitySource` as a list of strings; `null` for anything else (absent, not an array, a non-string item). */
function identityValues(value: unknown): readonly string[] | null {
  return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : null;
}
