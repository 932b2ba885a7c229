/**
 * An independent reference of HTTP API route selection, for the tests (imports nothing from `src/`):
 * which route key API Gateway gives a request, among the API's routes.
 *
 * From "Routing API requests" in
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html :
 * "API Gateway selects the route with the most-specific match, using the following priorities:
 *  1. Full match for a route and method. 2. Match for a route and method with a greedy path variable
 *  ({proxy+}). 3. The $default route." "If no routes match a request, API Gateway returns
 *  {"message":"Not Found"}." Its example: with `GET /pets/dog/1`, `GET /pets/dog/{id}`,
 *  `GET /pets/{proxy+}`, `ANY /{proxy+}` and `$default`, `GET /pets/dog/1` selects the static route,
 *  `GET /pets/dog/2` the `{id}` route, `GET /pets/cat/1` `GET /pets/{proxy+}`, and `POST /test/5`
 *  `ANY /{proxy+}` ("The ANY method matches all methods that you haven't defined for a route"). The
 *  same page: "A greedy path variable catches all child resources of a route", and "must be at the
 *  end of the resource path".
 *
 * Where the page is silent, this reference decides, and the tests avoid relying on it:
 * - among full matches, and among greedy ones, the route whose segments are more specific left to
 *   right wins (a literal over a `{variable}`; for greedy routes, more segments before `{proxy+}`
 *   first), as the page's `/pets/dog/1` over `/pets/dog/{id}` example shows;
 * - on the same path, a route for the request's method wins over `ANY`;
 * - a path variable matches one non-empty segment, a greedy one at least one segment; literals are
 *   case-sensitive; the request path is split at `/` as it is (no decoding, no trailing-slash folding).
 */

const METHOD = /^(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$/;

type Segment = { kind: "literal"; text: string } | { kind: "variable" } | { kind: "greedy" };

interface ParsedRoute {
  readonly key: string;
  readonly method: string;
  readonly segments: readonly Segment[];
}

function parseRoute(key: string): ParsedRoute {
  const space = key.indexOf(" ");
  const method = key.slice(0, space);
  const path = key.slice(space + 1);
  if (space < 0 || !METHOD.test(method) || !path.startsWith("/")) throw new Error(`not a route key: ${key}`);
  const parts = path === "/" ? [] : path.slice(1).split("/");
  const segments = parts.map((part, i): Segment => {
    if (/^\{[^{}/]+\+\}$/.test(part)) {
      if (i !== parts.length - 1) throw new Error(`greedy variable not at the end: ${key}`);
      return { kind: "greedy" };
    }
    if (/^\{[^{}/]+\}$/.test(part)) return { kind: "variable" };
    return { kind: "literal", text: part };
  });
  return { key, method, segments };
}

function matches(route: ParsedRoute, method: string, parts: readonly string[]): boolean {
  if (route.method !== "ANY" && route.method !== method) return false;
  const { segments } = route;
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.kind === "greedy") {
      const rest = parts.slice(i);
      return rest.length > 0 && rest.join("/").length > 0;
    }
    const part = parts[i];
    if (part === undefined) return false;
    if (s.kind === "variable" ? part.length === 0 : part !== s.text) return false;
  }
  return parts.length === segments.length;
}

/** Negative when `a` is more specific than `b`. */
function moreSpecific(a: ParsedRoute, b: ParsedRoute): number {
  const greedyA = a.segments.at(-1)?.kind === "greedy";
  const greedyB = b.segments.at(-1)?.kind === "greedy";
  if (greedyA !== greedyB) return greedyA ? 1 : -1;
  if (greedyA && a.segments.length !== b.segments.length) return b.segments.length - a.segments.length;
  const rank = (s: Segment | undefined) => (s?.kind === "literal" ? 0 : s?.kind === "variable" ? 1 : 2);
  for (let i = 0; i < Math.max(a.segments.length, b.segments.length); i++) {
    const d = rank(a.segments[i]) - rank(b.segments[i]);
    if (d !== 0) return d;
  }
  return (a.method === "ANY" ? 1 : 0) - (b.method === "ANY" ? 1 : 0);
}

/**
 * The route key API Gateway selects for `method path` among `routeKeys` (`"GET /orders/{id}"`,
 * `"ANY /{proxy+}"`, `"$default"`), or `null` for 404 Not Found.
 *
 * @example
 * selectRouteReference(["GET /pets/dog/{id}", "GET /pets/{proxy+}", "$default"], "GET", "/pets/cat/1") // "GET /pets/{proxy+}"
 */
export function selectRouteReference(
  routeKeys: readonly string[],
  method: string,
  path: string,
): string | null {
  const parts = path === "/" ? [] : path.slice(1).split("/");
  const candidates = routeKeys
    .filter((k) => k !== "$default")
    .map(parseRoute)
    .filter((r) => matches(r, method, parts))
    .sort(moreSpecific);
  if (candidates.length > 0) return candidates[0]!.key;
  return routeKeys.includes("$default") ? "$default" : null;
}
