import { createRouteMatcher, type HttpRoutePattern, parseRoutePattern } from "../rules/route-pattern.js";
import { ISSUER_PATHS } from "./issuer.js";

/**
 * Where the development issuer is served so that it never shadows a route of the API: at the root
 * (`/.well-known/openid-configuration`, `/.well-known/jwks.json`, `POST /token`) unless a route would
 * answer one of those requests, then under {@link ISSUER_PREFIX}. The issuer's identifier (`iss`)
 * includes the prefix, so discovery (`{issuer}/.well-known/openid-configuration`) finds it either way.
 */

/** The issuer's home when the API's routes use its paths. */
export const ISSUER_PREFIX = "/_gatepass/issuer";

/** The requests the issuer answers. */
const ISSUER_REQUESTS: readonly (readonly [string, string])[] = [
  ["GET", ISSUER_PATHS.discovery],
  ["GET", ISSUER_PATHS.jwks],
  ["POST", ISSUER_PATHS.token],
  ["GET", ISSUER_PATHS.authorizationServer],
  ["GET", ISSUER_PATHS.authorize],
  ["POST", ISSUER_PATHS.register],
];

/**
 * The route keys (`GET /token`, `ANY /{proxy+}`, `$default`, …) that would answer one of the
 * issuer's requests, in the order given. Keys that are not routes (`$connect`, malformed ones) are
 * ignored.
 */
export function routesShadowedByIssuer(routeKeys: readonly string[]): string[] {
  const shadowed: string[] = [];
  for (const key of routeKeys) {
    let pattern: ReturnType<typeof parseRoutePattern>;
    try {
      pattern = parseRoutePattern(key);
    } catch {
      continue;
    }
    if (pattern.kind === "default") {
      shadowed.push(key);
      continue;
    }
    if (pattern.kind !== "http") continue;
    const matcher = createRouteMatcher([pattern as HttpRoutePattern], "http");
    if (ISSUER_REQUESTS.some(([method, path]) => matcher.match(method, path) >= 0)) shadowed.push(key);
  }
  return shadowed;
}

/** `""` (the root) or {@link ISSUER_PREFIX}: where the issuer goes for an API with these route keys. */
export function issuerPathPrefix(routeKeys: readonly string[]): "" | typeof ISSUER_PREFIX {
  return routesShadowedByIssuer(routeKeys).length > 0 ? ISSUER_PREFIX : "";
}

/** The route keys of a configuration document's `routes` (`[{ route: "GET /x" }, …]`), unvalidated. */
export function configRouteKeys(doc: Readonly<Record<string, unknown>>): string[] {
  const routes = doc.routes;
  if (!Array.isArray(routes)) return [];
  return routes
    .map((r) => (typeof r === "object" && r !== null ? (r as { route?: unknown }).route : undefined))
    .filter((r): r is string => typeof r === "string");
}
