import { type HttpRoutePattern, patternMethods, type RoutePattern } from "../rules/route-pattern.js";

/**
 * Route patterns as IAM resources: the glob an API Gateway policy uses for a pattern's requests
 * (`GET /orders/{id}` → `GET/orders/*`), and what those globs cover beyond the pattern (IAM's `*`
 * spans `/` and may match nothing). The decision engine and the IAM plan both read patterns this way,
 * so that a cached policy and a fresh decision agree.
 */

/** The path part of a pattern's IAM glob: literals kept, `{param}` and `{proxy+}` as `*`. */
export function iamPathGlob(pattern: HttpRoutePattern): string {
  if (pattern.segments.length === 0) return "/";
  let out = "";
  for (const seg of pattern.segments) out += `/${seg.kind === "literal" ? seg.value : "*"}`;
  return out;
}

/**
 * The IAM resource tail (what follows `…/{stage}/`) of a pattern, written compactly: `*` for
 * `{param}`, `{proxy+}` and `ANY`. Note that IAM's `*` also spans `/` and may match nothing, so the
 * tail covers more requests than the pattern (`GET/orders/*` also covers `GET /orders/1/items`), and
 * `*` for `ANY` also spans into the path. The policy builder uses {@link toIamResourceTails}, which
 * is tighter, and compensates for the rest.
 *
 * @example
 * toIamResourceTail(parseRoutePattern("ANY /orders/{id}")) // "*" + "/orders/*"
 * toIamResourceTail(parseRoutePattern("GET /"))            // "GET/"
 * toIamResourceTail(parseRoutePattern("$connect"))         // "$connect"
 */
export function toIamResourceTail(pattern: RoutePattern): string {
  if (pattern.kind === "key") return pattern.text;
  if (pattern.kind === "default") return "*";
  return `${pattern.method === "ANY" ? "*" : pattern.method}${iamPathGlob(pattern)}`;
}

/**
 * The IAM resource tails of a pattern with `ANY` expanded into one tail per method, so that the
 * method part stays literal (a `*` there would span `/` into the path: `*` + `/admin/*` also covers
 * `GET /files/admin/x`).
 *
 * @example
 * toIamResourceTails(parseRoutePattern("ANY /a")) // ["GET/a", "POST/a", "PUT/a", "PATCH/a", "DELETE/a", "HEAD/a", "OPTIONS/a"]
 */
export function toIamResourceTails(pattern: RoutePattern): string[] {
  if (pattern.kind !== "http") return [toIamResourceTail(pattern)];
  const glob = iamPathGlob(pattern);
  return patternMethods(pattern).map((m) => m + glob);
}

/**
 * Globs (path parts, starting with `/`) that together cover every string of the pattern's IAM glob
 * that the pattern itself does not match: a `{param}` that is empty, a `{param}` that swallowed a
 * `/`, or an empty `{proxy+}`. Sound by construction: in any way of matching such a string against
 * the glob, some wildcard is empty or crosses a `/`. A `{param}` followed only by parameters and the
 * proxy needs no "crossed a `/`" glob, since the proxy can take the extra segments instead.
 *
 * Not always tight: these globs may also cover requests the pattern does match (e.g. for
 * `/{x}/b/{proxy+}`); the rule compiler detects that and reports it.
 *
 * @example
 * excessPathGlobs(parseRoutePattern("GET /orders/{id}")) // ["/orders/", "/orders/" + "*" + "/*"]
 */
export function excessPathGlobs(pattern: HttpRoutePattern): string[] {
  const segs = pattern.segments;
  const out: string[] = [];
  const render = (replaceAt: number, replacement: string) => {
    let text = "";
    segs.forEach((s, i) => {
      text += `/${i === replaceAt ? replacement : s.kind === "literal" ? s.value : "*"}`;
    });
    return text;
  };
  let lastLiteral = -1;
  segs.forEach((s, i) => {
    if (s.kind === "literal") lastLiteral = i;
  });
  const endsWithProxy = segs[segs.length - 1]?.kind === "proxy";
  segs.forEach((s, i) => {
    if (s.kind === "literal") return;
    out.push(render(i, ""));
    if (s.kind === "param" && !(endsWithProxy && i > lastLiteral)) out.push(render(i, "*/*"));
  });
  return [...new Set(out)];
}
