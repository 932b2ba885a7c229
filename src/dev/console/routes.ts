import type { GatepassConfig, RouteConfig } from "../../config/types.js";
import type { RouteResult } from "../../inspect/route.js";

/**
 * The routes table of the console. The server hands the console a {@link RouteSource}: today the
 * configuration's rule routes; an API definition (SAM, serverless, OpenAPI) can feed its own.
 */

/** One route as the console lists it. */
export interface ConsoleRoute {
  /** `GET /orders/{id}`, `ANY /admin/{proxy+}`. */
  readonly key: string;
  /** What a caller needs, in words ("scope orders:read", "claim groups: admin"). */
  readonly rule: string;
  /** Who authorizes it (`gatepass`, the `--authorizer` spec, or `none`). */
  readonly authorizer: string;
}

/** Where the console gets the routes from. */
export interface RouteSource {
  routes(): readonly ConsoleRoute[];
  /** What requests no route matches get, in words; `null` when not known. */
  unmatched(): string | null;
}

const show = (value: unknown): string => (typeof value === "string" ? value : JSON.stringify(value));

/** A rule in words. */
export function ruleText(route: RouteConfig): string {
  const parts: string[] = [];
  if (route.allow === true) parts.push("any authenticated caller");
  if (route.scopes && route.scopes.length > 0) {
    const mode = route.scopesMode === "any" && route.scopes.length > 1 ? "any of " : "";
    parts.push(`scope ${mode}${route.scopes.join(route.scopesMode === "any" ? " or " : " and ")}`);
  }
  for (const [claim, requirement] of Object.entries(route.claims ?? {})) {
    parts.push(
      `claim ${claim}: ${Array.isArray(requirement) ? requirement.map(show).join(" or ") : show(requirement)}`,
    );
  }
  return parts.length > 0 ? parts.join("; ") : "a valid token";
}

/** The routes of a gatepass configuration (its rules), authorized by `authorizer`. */
export function configRouteSource(config: GatepassConfig | null, authorizer: string): RouteSource {
  const routes: ConsoleRoute[] = (config?.routes ?? []).map((route) => ({
    key: route.route,
    rule: ruleText(route),
    authorizer,
  }));
  return {
    routes: () => routes,
    unmatched: () =>
      config === null
        ? null
        : config.unmatchedRoutes === "allow"
          ? "other routes: any valid token (unmatchedRoutes allow)"
          : "other routes: denied (unmatchedRoutes deny)",
  };
}

/**
 * The routes of an API definition (the local gateway's router lists them with their authorizer):
 * gatepass's rule for the route key where the configuration has one and gatepass authorizes it,
 * else who decides. `list` is read on each call, so a reloaded definition shows at once.
 */
export function definitionRouteSource(
  kind: "rest" | "http" | "websocket",
  config: GatepassConfig | null,
  list: () => readonly { readonly routeKey: string; readonly authorizer: string }[],
): RouteSource {
  const rules = new Map((config?.routes ?? []).map((route) => [route.route, ruleText(route)]));
  return {
    routes: () =>
      list().map(({ routeKey, authorizer }) => ({
        key: routeKey,
        rule:
          authorizer === "none"
            ? "no authorizer: anyone"
            : (rules.get(routeKey) ?? `decided by ${authorizer}`),
        authorizer,
      })),
    unmatched: () =>
      kind === "rest"
        ? "other routes: 403 Missing Authentication Token (no such resource or method)"
        : kind === "http"
          ? "other routes: 404 Not Found (no $default route)"
          : null,
  };
}

/**
 * A concrete request for a route key, to ask the authorizer about: `ANY` as `GET`, each `{param}`
 * as `example`, `{proxy+}` as `example`. `null` for keys without a path (`$connect`, `$default`).
 */
export function sampleRequest(key: string): { method: string; path: string } | null {
  const match = /^([A-Z]+)\s+(\/\S*)$/.exec(key.trim());
  if (!match) return null;
  const method = match[1] === "ANY" ? "GET" : match[1]!;
  const path = match[2]!.replace(/\{[^}]+\}/g, "example");
  return { method, path };
}

/** What a principal may do on one route. */
export interface RouteAnswer {
  readonly key: string;
  readonly request: string;
  readonly decision: RouteResult["decision"] | "not asked";
  readonly status: number | null;
  /** The reason code and sentence, when refused. */
  readonly why: string;
}

/** A {@link RouteResult} (the same answer `gatepass inspect --route` prints) as a table row. */
export function routeAnswer(key: string, request: string, result: RouteResult): RouteAnswer {
  return {
    key,
    request,
    decision: result.decision,
    status: result.status,
    why: [result.reason, result.detail].filter(Boolean).join(": "),
  };
}
