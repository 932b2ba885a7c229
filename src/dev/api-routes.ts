import {
  createRouteMatcher,
  type HttpRoutePattern,
  parseRoutePattern,
  patternParameters,
  type RouteMatcher,
} from "../rules/route-pattern.js";
import type { ApiKind, RouteDefinition } from "./definition/model.js";
import type { RouteMatch } from "./request.js";

/**
 * The routes of an API definition, selected exactly as API Gateway selects them, with the one
 * route matcher gatepass has (`createRouteMatcher`, shared with the rules):
 * - REST: the resource by path (a literal segment over `{param}` over `{proxy+}`), then the method
 *   on it, else its `ANY`; a resource with neither is no route (`"rest-resource"` selection);
 * - HTTP API: a full match of method and path, then a route with a greedy path variable (the
 *   request's method before `ANY` on the same path), then `$default`; none of them: no route;
 * - WebSocket: the upgrade is the `$connect` route.
 * A request no route takes gets API Gateway's answer for the API type (see `api-router.ts`).
 */

/** The route a request takes, and what its events say about it. */
export interface SelectedRoute {
  readonly route: RouteDefinition;
  readonly match: RouteMatch;
}

/** A route the table could not use (a malformed path), for one start-up warning. */
export interface SkippedRoute {
  readonly route: RouteDefinition;
  readonly reason: string;
}

/** Decodes each `/`-separated segment of a raw path value; a malformed escape stays as it is. */
function decodePath(value: string): string {
  return value
    .split("/")
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    })
    .join("/");
}

export class ApiRouteTable {
  readonly skipped: SkippedRoute[] = [];
  private readonly patterns: HttpRoutePattern[] = [];
  private readonly owners: RouteDefinition[] = [];
  private readonly matcher: RouteMatcher;
  private readonly defaultRoute: RouteDefinition | undefined;
  private readonly connectRoute: RouteDefinition | undefined;

  constructor(
    readonly kind: ApiKind,
    routes: readonly RouteDefinition[],
  ) {
    this.defaultRoute = kind === "http" ? routes.find((r) => r.routeKey === "$default") : undefined;
    this.connectRoute = kind === "websocket" ? routes.find((r) => r.routeKey === "$connect") : undefined;
    if (kind !== "websocket") {
      for (const route of routes) {
        if (route.routeKey === "$default") continue;
        try {
          const pattern = parseRoutePattern(`${route.method} ${route.path}`, route.at);
          if (pattern.kind !== "http") throw new Error(`not a path route: ${route.routeKey}`);
          this.patterns.push(pattern);
          this.owners.push(route);
        } catch (error) {
          this.skipped.push({ route, reason: error instanceof Error ? error.message : String(error) });
        }
      }
    }
    this.matcher = createRouteMatcher(this.patterns, kind === "http" ? "http" : "rest-resource");
  }

  /** Whether a WebSocket API declares `$connect` (without one, the upgrade is accepted as is). */
  get hasConnect(): boolean {
    return this.connectRoute !== undefined;
  }

  /** The route of `method` and the raw `path`, or `null`: no route. */
  select(method: string, path: string): SelectedRoute | null {
    if (this.kind === "websocket") {
      const route = this.connectRoute;
      return route
        ? { route, match: { resource: "$connect", routeKey: "$connect", pathParameters: null } }
        : null;
    }
    const index = this.matcher.match(method, path);
    if (index >= 0) {
      const pattern = this.patterns[index]!;
      const route = this.owners[index]!;
      const raw = patternParameters(pattern, path);
      let pathParameters: Record<string, string> | null = null;
      if (raw !== null) {
        pathParameters = {};
        for (const [name, value] of Object.entries(raw)) pathParameters[name] = decodePath(value);
      }
      return {
        route,
        match: {
          resource: pattern.path,
          routeKey: this.kind === "http" ? route.routeKey : pattern.text,
          pathParameters,
        },
      };
    }
    const fallback = this.defaultRoute;
    if (fallback === undefined) return null;
    return { route: fallback, match: { resource: "$default", routeKey: "$default", pathParameters: null } };
  }
}
