/**
 * Authorizer events for the benchmark: the committed fixtures (`tests/fixtures/events/`, real
 * API Gateway shapes) with their `TOKEN` placeholder replaced by a real token. The `type` field
 * is left alone (`"TOKEN"` is also an event type).
 */
import { type FixtureName, loadEvent } from "../../tests/unit/adapters/fixtures.js";

export { loadEvent };

export const BENCH_EVENTS: ReadonlyArray<{ name: string; fixture: FixtureName }> = [
  { name: "REST TOKEN", fixture: "rest-token" },
  { name: "REST REQUEST", fixture: "rest-request" },
  { name: "HTTP API 2.0 (simple response)", fixture: "http-v2" },
  { name: "WebSocket $connect", fixture: "websocket-connect" },
];

/** A REST TOKEN event for `token` on `GET /orders/42`. */
export function restTokenEvent(token: string): Record<string, unknown> {
  return {
    type: "TOKEN",
    authorizationToken: `Bearer ${token}`,
    methodArn: "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/orders/42",
  };
}

/**
 * The authorizer configuration shared by the handler, memory and cold-start sections: rules on
 * (a scope for the order routes, a group for admin routes, a scope for `$connect`) and context
 * claims on, tokens from the Authorization header or the `access_token` query parameter.
 */
export function authorizerConfig(
  issuer: Record<string, unknown>,
  tokenCacheEntries: number,
): Record<string, unknown> {
  return {
    issuers: [issuer],
    tokenSources: ["header:authorization", "query:access_token"],
    routes: [
      { route: "GET /orders/{id}", scopes: ["orders:read"] },
      { route: "POST /orders", scopes: ["orders:write"] },
      { route: "ANY /admin/{proxy+}", claims: { groups: ["admin"] } },
      { route: "$connect", scopes: ["orders:read"] },
    ],
    context: { claims: ["sub", "email", "scope", "groups"] },
    tokenCache: { maxEntries: tokenCacheEntries },
  };
}

/** True when `response` lets the request through (an Allow policy without a Deny on it, or `isAuthorized`). */
export function isAllowed(response: unknown): boolean {
  const r = response as {
    isAuthorized?: boolean;
    policyDocument?: { Statement?: Array<{ Effect?: string }> };
  };
  if (typeof r.isAuthorized === "boolean") return r.isAuthorized;
  return (r.policyDocument?.Statement ?? []).some((s) => s.Effect === "Allow");
}
