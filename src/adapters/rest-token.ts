import type { APIGatewayTokenAuthorizerEvent } from "aws-lambda";
import { isRecord, own, ownString } from "./event-lookup.js";
import { tokenFromAuthorizationToken } from "./token-source.js";
import type { Adapter, AuthRequest } from "./types.js";

/**
 * REST API `TOKEN` authorizer. The event is exactly `{ type, authorizationToken, methodArn }`: no
 * headers, path or method (AWS: api-gateway-lambda-authorizer-input.html), so the configured `tokenSources` do not apply; the
 * token source is whichever header the authorizer was configured with, and `authorizationToken`
 * is its raw value (`Bearer <jwt>` or the bare JWT).
 *
 * @example
 * restTokenAdapter.toRequest({ type: "TOKEN", authorizationToken: "Bearer eyJ...", methodArn }, [])
 * // { kind: "rest-token", arn: methodArn, method: null, path: null, routeKey: null, token: "eyJ...", tokenProblem: null, tokenProblemCode: null }
 */
export const restTokenAdapter: Adapter<APIGatewayTokenAuthorizerEvent> = {
  kind: "rest-token",
  /** Tests `type === "TOKEN"`, a string `authorizationToken` and a string `methodArn` (own properties). */
  matches(event: unknown): event is APIGatewayTokenAuthorizerEvent {
    return (
      isRecord(event) &&
      own(event, "type") === "TOKEN" &&
      typeof own(event, "authorizationToken") === "string" &&
      typeof own(event, "methodArn") === "string"
    );
  },
  toRequest(event: APIGatewayTokenAuthorizerEvent): AuthRequest {
    const e: unknown = event;
    const record = isRecord(e) ? e : {};
    const { token, problem, code } = tokenFromAuthorizationToken(own(record, "authorizationToken"));
    return {
      kind: "rest-token",
      arn: ownString(record, "methodArn") ?? "",
      method: null,
      path: null,
      routeKey: null,
      token,
      tokenProblem: problem,
      tokenProblemCode: code,
    };
  },
};
