import type { HttpRoutePattern, PathSegment } from "../../src/rules/route-pattern.js";

/**
 * Whether one HTTP pattern matches a concrete request, written apart from the product's route
 * matcher (`createRouteMatcher`) so that tests can check its selection against "the first pattern
 * that matches, in specificity order". Same semantics: the seven routable methods, exact and
 * case-sensitive; `{param}` one non-empty segment; `{proxy+}` a non-empty remainder; no decoding.
 */
const ROUTABLE = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);

export function matchRoutePattern(pattern: HttpRoutePattern, method: string, path: string): boolean {
  if (!ROUTABLE.has(method) || (pattern.method !== "ANY" && pattern.method !== method)) return false;
  return matchSegments(pattern.segments, path);
}

function matchSegments(segments: readonly PathSegment[], path: string): boolean {
  if (path.charCodeAt(0) !== 47) return false;
  if (path.length === 1) return segments.length === 0;
  let pos = 1;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (pos > path.length) return false; // path exhausted
    if (seg.kind === "proxy") return path.length > pos;
    let end = path.indexOf("/", pos);
    if (end === -1) end = path.length;
    if (seg.kind === "literal") {
      if (end - pos !== seg.value.length || !path.startsWith(seg.value, pos)) return false;
    } else if (end === pos) {
      return false; // an empty segment never fills {param}
    }
    pos = end + 1;
  }
  return pos === path.length + 1;
}
