import type { APIGatewayRequestAuthorizerEvent } from "aws-lambda";
import type { TokenSource } from "../config/types.js";
import { isRecord, own } from "./event-lookup.js";
import { restLikeRequest } from "./rest-request.js";
import type { Adapter, AuthRequest } from "./types.js";

/**
 * An HTTP API Lambda authorizer event, payload format `1.0` (AWS: http-api-lambda-authorizer.html): the REST `REQUEST`
 * shape plus `version`, and `identitySource`/`authorizationToken` holding the configured identity
 * sources' values joined with commas. `@types/aws-lambda` has no type for it.
 */
export type HttpApiV1AuthorizerEvent = APIGatewayRequestAuthorizerEvent & {
  version: "1.0";
  identitySource?: string | null;
  authorizationToken?: string | null;
};

/**
 * HTTP API payload `1.0`. The token is read from the request maps per `tokenSources`, not from
 * `identitySource`: that is several sources joined with commas, so it cannot be split reliably.
 *
 * @example
 * httpV1Adapter.toRequest(event, [{ kind: "header", name: "authorization" }])
 * // { kind: "http-v1", arn: event.methodArn, method: "GET", path: "/request", routeKey: null, token: "eyJ...", tokenProblem: null, tokenProblemCode: null }
 */
export const httpV1Adapter: Adapter<HttpApiV1AuthorizerEvent> = {
  kind: "http-v1",
  /** Tests `version === "1.0"` and a string `methodArn` (own properties). */
  matches(event: unknown): event is HttpApiV1AuthorizerEvent {
    return isRecord(event) && own(event, "version") === "1.0" && typeof own(event, "methodArn") === "string";
  },
  toRequest(event: HttpApiV1AuthorizerEvent, tokenSources: readonly TokenSource[]): AuthRequest {
    return restLikeRequest("http-v1", event, tokenSources);
  },
};
