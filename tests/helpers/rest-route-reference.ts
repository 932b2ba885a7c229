/**
 * An independent reference of REST API resource and method selection, for the tests (imports
 * nothing from `src/`): which `METHOD /resource` API Gateway runs for a request, among an API's
 * methods, or `null` for its 403 "Missing Authentication Token".
 *
 * Written from AWS's documentation:
 * - "Set up a proxy integration with a proxy resource"
 *   (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-set-up-simple-proxy.html):
 *   a proxy resource `{proxy+}` is a greedy path variable that matches any child path (one or more
 *   segments) under its parent; `ANY` is a method that stands for every HTTP method; "you can
 *   configure a specific HTTP method on a greedy resource".
 * - "Set up API resources" (api-gateway-method-settings-method-request.html): the API is a tree
 *   of resources from the root `/`, each with its own methods; a `{param}` resource matches one
 *   path segment.
 * - "How do I resolve a 'Missing Authentication Token' error?"
 *   (https://repost.aws/knowledge-center/api-gateway-authentication-token-errors): a REST endpoint
 *   answers 403 "Missing Authentication Token" when "an API request was made to a method or
 *   resource that does not exist", and for a proxy-resource API called on the root, "verify there
 *   is a method configured under the root resource" (`/{proxy+}` does not take `/`).
 *
 * Selection, as this reference decides it: among the resources whose path matches the request
 * path, the most specific one, comparing segments from the left (a literal before a `{param}`
 * before `{proxy+}`); on it, the request's method, else `ANY`; a resource with neither is no route
 * (the method is not looked for on a less specific resource). Literals are case-sensitive; the
 * request path is split at `/` as it is.
 */

type Segment = { kind: "literal"; text: string } | { kind: "variable" } | { kind: "greedy" };

interface Method {
  readonly key: string;
  readonly method: string;
  readonly path: string;
  readonly segments: readonly Segment[];
}

function parse(key: string): Method {
  const space = key.indexOf(" ");
  const method = key.slice(0, space);
  const path = key.slice(space + 1);
  if (space < 0 || !path.startsWith("/")) throw new Error(`not a REST method key: ${key}`);
  const parts = path === "/" ? [] : path.slice(1).split("/");
  const segments = parts.map((part): Segment => {
    if (/^\{[^{}/]+\+\}$/.test(part)) return { kind: "greedy" };
    if (/^\{[^{}/]+\}$/.test(part)) return { kind: "variable" };
    return { kind: "literal", text: part };
  });
  return { key, method, path, segments };
}

function pathMatches(segments: readonly Segment[], parts: readonly string[]): boolean {
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.kind === "greedy") return parts.length > i && parts.slice(i).every((p) => p.length > 0);
    const part = parts[i];
    if (part === undefined || part.length === 0) return false;
    if (s.kind === "literal" && part !== s.text) return false;
  }
  return parts.length === segments.length;
}

const rank = (s: Segment | undefined) =>
  s === undefined ? 0 : s.kind === "literal" ? 1 : s.kind === "variable" ? 2 : 3;

/** Negative when resource `a` is more specific than `b`. */
function moreSpecific(a: readonly Segment[], b: readonly Segment[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = rank(a[i]) - rank(b[i]);
    if (d !== 0) return d;
    const sa = a[i];
    const sb = b[i];
    if (sa?.kind === "literal" && sb?.kind === "literal" && sa.text !== sb.text)
      return sa.text < sb.text ? -1 : 1;
  }
  return 0;
}

/**
 * The `METHOD /resource` key API Gateway runs for `method path` among `methodKeys`
 * (`"GET /orders/{id}"`, `"ANY /{proxy+}"`), or `null` (403 Missing Authentication Token).
 *
 * @example
 * selectRestReference(["GET /orders/mine", "GET /orders/{id}"], "DELETE", "/orders/mine") // null
 */
export function selectRestReference(
  methodKeys: readonly string[],
  method: string,
  path: string,
): string | null {
  const parts = path === "/" ? [] : path.slice(1).split("/");
  const methods = methodKeys.map(parse);
  const resources = [...new Map(methods.map((m) => [m.path, m.segments])).entries()]
    .filter(([, segments]) => pathMatches(segments, parts))
    .sort(([, a], [, b]) => moreSpecific(a, b));
  const chosen = resources[0];
  if (chosen === undefined) return null;
  const on = methods.filter((m) => m.path === chosen[0]);
  return (on.find((m) => m.method === method) ?? on.find((m) => m.method === "ANY"))?.key ?? null;
}
