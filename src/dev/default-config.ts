import type { DevApiType } from "../config/types.js";
import { DEV_ALGORITHMS, DEV_AUDIENCE, type MintRequest } from "./issuer.js";

/**
 * The embedded default of `gatepass dev` (and `npm start`): gatepass's own authorizer trusting
 * the development issuer on the same server through OIDC discovery, demo routes with rules, a
 * REST TOKEN API with API Gateway's default 300 s result cache — so the cache behaviour is the
 * real one from the first request.
 */

/** The demo routes and what they require. */
export const DEMO_ROUTES = [
  { route: "GET /hello", allow: true },
  { route: "GET /orders/{id}", scopes: ["orders:read"] },
  { route: "ANY /admin/{proxy+}", claims: { groups: ["admin"] } },
] as const;

/** The ready token printed on start: may read orders, is not an admin. */
export const DEMO_TOKEN: Readonly<MintRequest> = { sub: "demo-user", scope: "orders:read", ttl: 3600 };

/** The issuer entry that trusts the development issuer at `issuerUrl`, through real discovery. */
function devIssuerEntry(issuerUrl: string): Record<string, unknown> {
  return {
    issuer: issuerUrl,
    audience: [DEV_AUDIENCE],
    algorithms: [...DEV_ALGORITHMS],
    discovery: true,
    // Short enough that a deleted key folder is picked up after a restart without waiting long.
    jwksCache: { maxAgeSeconds: 300, cooldownSeconds: 1, timeoutMs: 2000, staleIfErrorSeconds: 3600 },
  };
}

/**
 * The embedded default configuration for a server on `issuerUrl` (`http://127.0.0.1:<port>`), for
 * API type `api` [`rest-token`]. Kept correct for every type: `http-v2-iam` makes gatepass answer
 * with IAM policies, and `http-v2-simple` adds `$context.routeKey` to the identity sources — a
 * cached simple response otherwise answers every route alike (AWS's advice for per-route rules).
 */
export function defaultDevConfig(issuerUrl: string, api: DevApiType = "rest-token"): Record<string, unknown> {
  return {
    issuers: [devIssuerEntry(issuerUrl)],
    principalClaim: "sub",
    tokenSources: ["header:authorization"],
    routes: DEMO_ROUTES.map((r) => structuredClone(r) as unknown as Record<string, unknown>),
    unmatchedRoutes: "allow",
    context: { claims: ["sub", "scope", "groups", "email", "client_id"] },
    httpApi: { response: api === "http-v2-iam" ? "iam" : "simple" },
    dev: {
      api,
      stage: api.startsWith("http-") ? "$default" : "dev",
      identitySources:
        api === "http-v2-simple" ? ["header:authorization", "context:routeKey"] : ["header:authorization"],
      resultTtlSeconds: 300,
      cors: { allowOrigin: "*" },
    },
  };
}

/**
 * A configuration document given with `--config` that has no `issuers` trusts the development
 * issuer: teams can try their rules and API type against dev tokens without writing an issuer. With
 * a `resource`, its `uri` is an accepted audience too (the authorization_code grant's tokens carry it).
 */
export function withDevIssuer(doc: Record<string, unknown>, issuerUrl: string): Record<string, unknown> {
  if (doc.issuers !== undefined) return doc;
  const entry = devIssuerEntry(issuerUrl);
  // A protected resource (RFC 8707): the dev issuer's tokens for it carry its URI as audience.
  const uri = (doc.resource as { uri?: unknown } | undefined)?.uri;
  if (typeof uri === "string") entry.audience = [DEV_AUDIENCE, uri];
  return { ...doc, issuers: [entry] };
}
