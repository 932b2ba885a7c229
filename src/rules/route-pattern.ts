import { ConfigError } from "../errors.js";
import { type LanguageToken, REST, SEGMENT } from "./languages.js";
import { isRoutedMethod, ROUTED_METHODS, type RoutedMethod } from "./methods.js";

/**
 * Route patterns: `"METHOD /path"` with `{param}` and a final `{proxy+}`, the WebSocket route key
 * `$connect`, and the catch-all `$default`; how a concrete request matches them; which one wins
 * (specificity, as API Gateway routes). Their IAM resources are in `policy/iam-resources.ts`.
 *
 * Matching semantics (the same for every API type):
 * - The method is compared exactly and case-sensitively (API Gateway sends `GET`, and IAM compares
 *   ARNs case-sensitively, so a lenient match here would disagree with a cached policy). `ANY`
 *   matches the seven methods of {@link ROUTED_METHODS} and nothing else.
 * - The path is matched **as given, without percent-decoding**: pass the path exactly as it appears
 *   in the method ARN (`parseArn(…).path`), so that the decision and an IAM evaluation of the
 *   cached policy see the same characters. Literal segments compare case-sensitively.
 * - `{param}` matches one non-empty segment (no `/`). `{proxy+}` matches a non-empty remainder,
 *   slashes included. A trailing slash is significant (`/orders/1/` does not match
 *   `GET /orders/{id}`), as in API Gateway resources.
 */

/** A method in a pattern: a routable method, or `ANY` for all of them. */
export type RouteMethod = RoutedMethod | "ANY";

/** One `/`-separated part of a pattern's path. */
export type PathSegment =
  | { readonly kind: "literal"; readonly value: string }
  | { readonly kind: "param"; readonly name: string }
  | { readonly kind: "proxy"; readonly name: string };

/** `METHOD /path`. */
export interface HttpRoutePattern {
  readonly kind: "http";
  /** Normalized text: upper-case method, one space, the path as written. */
  readonly text: string;
  readonly method: RouteMethod;
  readonly path: string;
  readonly segments: readonly PathSegment[];
  /** The pattern with parameter names erased (`GET /orders/{}`): equal shapes are duplicates. */
  readonly shape: string;
}

/** A WebSocket route key: only `$connect` reaches an authorizer. */
export interface RouteKeyPattern {
  readonly kind: "key";
  readonly text: "$connect";
}

/** `$default`: the catch-all, chosen when no other pattern matches. */
export interface DefaultRoutePattern {
  readonly kind: "default";
  readonly text: "$default";
}

/** A parsed route pattern. */
export type RoutePattern = HttpRoutePattern | RouteKeyPattern | DefaultRoutePattern;

const PARAM_NAME = /^[A-Za-z0-9_.-]+$/;
// Literal segments: no whitespace or controls, no braces, and no IAM wildcards (`*`, `?`), which would
// silently widen the IAM resource built from the pattern.
const BAD_LITERAL_CHAR = /[\s\u0000-\u001f\u007f{}*?#]/;

const show = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

/**
 * Parses a route pattern. Methods are accepted in any case and normalized to upper case.
 * Throws a `ConfigError` naming `field` for anything malformed: an unknown method, a path that does
 * not start with `/`, an empty segment (`//` or a trailing `/`), a wildcard or brace inside a literal
 * segment, a bad or repeated parameter name, `{proxy+}` anywhere but last, or a route key other than
 * `$connect` / `$default`.
 *
 * @param field the dotted configuration path reported in errors, default `"route"`.
 * @example
 * parseRoutePattern("get /orders/{id}") // { kind: "http", text: "GET /orders/{id}", method: "GET", … }
 * parseRoutePattern("$connect")         // { kind: "key", text: "$connect" }
 */
export function parseRoutePattern(text: unknown, field = "route"): RoutePattern {
  if (typeof text !== "string" || text.length === 0) {
    throw new ConfigError(
      field,
      `expected a route such as "GET /orders/{id}", "$connect" or "$default", got ${show(text)}.`,
    );
  }
  if (text.startsWith("$")) {
    if (text === "$connect") return { kind: "key", text: "$connect" };
    if (text === "$default") return { kind: "default", text: "$default" };
    throw new ConfigError(
      field,
      `unknown route key ${show(text)} (expected "$connect" or "$default"; WebSocket authorizers only run on $connect).`,
    );
  }
  const space = text.indexOf(" ");
  if (space <= 0) throw new ConfigError(field, `expected "METHOD /path" or a route key, got ${show(text)}.`);
  const method = text.slice(0, space).toUpperCase();
  const path = text.slice(space + 1);
  if (method !== "ANY" && !isRoutedMethod(method)) {
    throw new ConfigError(
      field,
      `unknown method ${show(text.slice(0, space))} (expected one of ${ROUTED_METHODS.join(", ")}, ANY).`,
    );
  }
  if (!path.startsWith("/")) throw new ConfigError(field, `the path must start with "/", got ${show(path)}.`);
  const segments: PathSegment[] = [];
  if (path !== "/") {
    const parts = path.slice(1).split("/");
    const names = new Set<string>();
    parts.forEach((part, i) => {
      if (part.length === 0) {
        throw new ConfigError(field, `empty path segment in ${show(path)} (no "//" and no trailing "/").`);
      }
      if (part.startsWith("{")) {
        if (!part.endsWith("}") || part.length < 3)
          throw new ConfigError(field, `malformed parameter ${show(part)} in ${show(path)}.`);
        const inner = part.slice(1, -1);
        const greedy = inner.endsWith("+");
        const name = greedy ? inner.slice(0, -1) : inner;
        if (!PARAM_NAME.test(name)) {
          throw new ConfigError(
            field,
            `parameter names use letters, digits, "_", "." or "-", got ${show(part)}.`,
          );
        }
        if (names.has(name))
          throw new ConfigError(field, `parameter {${name}} appears twice in ${show(path)}.`);
        names.add(name);
        if (greedy && i !== parts.length - 1) {
          throw new ConfigError(
            field,
            `the greedy parameter ${show(part)} must be the last segment of ${show(path)}.`,
          );
        }
        segments.push(greedy ? { kind: "proxy", name } : { kind: "param", name });
        return;
      }
      const bad = BAD_LITERAL_CHAR.exec(part);
      if (bad) {
        throw new ConfigError(
          field,
          `invalid character ${show(bad[0])} in path segment ${show(part)} (braces only around a whole parameter; "*" and "?" are IAM wildcards).`,
        );
      }
      segments.push({ kind: "literal", value: part });
    });
  }
  const shapePath =
    segments.length === 0
      ? "/"
      : segments
          .map((s) => `/${s.kind === "literal" ? s.value : s.kind === "param" ? "{}" : "{+}"}`)
          .join("");
  return {
    kind: "http",
    text: `${method} ${path}`,
    method: method as RouteMethod,
    path,
    segments,
    shape: `${method} ${shapePath}`,
  };
}

// Ordering keys: a shorter pattern ends (0) before a literal (1), a literal before {param} (2), and
// {param} before {proxy+} (3). Lexicographic on these gives API Gateway's rule: at the first position
// where two overlapping patterns differ, the more specific kind wins.
const KIND_RANK = { literal: 1, param: 2, proxy: 3 } as const;

/**
 * Total order by specificity, most specific first (negative when `a` wins): path first, segment by
 * segment from the left (literal beats `{param}` beats `{proxy+}`), then a specific method beats
 * `ANY`. Patterns that cannot match a common request are ordered arbitrarily but consistently.
 *
 * @example
 * compareSpecificity(parse("GET /orders/mine"), parse("GET /orders/{id}")) < 0 // literal wins
 */
export function compareSpecificity(a: HttpRoutePattern, b: HttpRoutePattern): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const sa = a.segments[i];
    const sb = b.segments[i];
    const ka = sa ? KIND_RANK[sa.kind] : 0;
    const kb = sb ? KIND_RANK[sb.kind] : 0;
    if (ka !== kb) return ka - kb;
    if (sa?.kind === "literal" && sb?.kind === "literal" && sa.value !== sb.value)
      return sa.value < sb.value ? -1 : 1;
  }
  const ma = a.method === "ANY" ? 1 : 0;
  const mb = b.method === "ANY" ? 1 : 0;
  if (ma !== mb) return ma - mb;
  return a.method < b.method ? -1 : a.method > b.method ? 1 : 0;
}

interface TrieNode {
  literals: Map<string, TrieNode> | null;
  param: TrieNode | null;
  /** Rules whose pattern ends with `{proxy+}` right here, by method (`ANY` included). */
  proxy: Map<string, number> | null;
  /** Rules whose pattern ends exactly here, by method (`ANY` included). */
  end: Map<string, number> | null;
}

const newNode = (): TrieNode => ({ literals: null, param: null, proxy: null, end: null });

/**
 * Which API Gateway route selection to follow:
 * - `"rest-resource"`: a REST API exactly (the local gateway serving an API definition): the
 *   resource tree, segment by segment from the left, a literal child before `{param}` before
 *   `{proxy+}` (the order of {@link compareSpecificity}), by path alone; then the method on that
 *   resource, else its `ANY`; a resource with neither is no route (API Gateway answers 403
 *   "Missing Authentication Token"), even when a less specific resource has the method.
 * - `"rest"`: the rules' reading of REST (a rule is a method and a path): the same order, but a
 *   resource without the method lets the next, less specific one decide. Whenever
 *   `"rest-resource"` selects a route, `"rest"` selects the same one; they differ only on requests
 *   API Gateway would not route, which the rules still decide (so that a cached IAM policy, whose
 *   `GET/orders/*` also covers a `GET /orders/mine` that only has `POST`, and a fresh decision agree).
 * - `"http"`: HTTP APIs ("Routing API requests" in AWS's "Create routes for HTTP APIs"): a full
 *   match of route and method first, then a route with a greedy path variable, then `$default`.
 *   Among full matches, and among greedy ones, the same left-to-right specificity as REST.
 * In all three, a route with the exact method beats `ANY` on the same path.
 */
export type RouteSelection = "rest" | "rest-resource" | "http";

/**
 * Total order by which a route wins under `selection`, most specific first: for `"rest"` it is
 * {@link compareSpecificity}; for `"http"` every pattern without `{proxy+}` comes before every pattern
 * with one, then {@link compareSpecificity}. The route chosen for a request is the first matching one.
 */
export function compareSelection(
  a: HttpRoutePattern,
  b: HttpRoutePattern,
  selection: RouteSelection,
): number {
  if (selection === "http") {
    const ga = a.segments.at(-1)?.kind === "proxy" ? 1 : 0;
    const gb = b.segments.at(-1)?.kind === "proxy" ? 1 : 0;
    if (ga !== gb) return ga - gb;
  }
  return compareSpecificity(a, b);
}

/** Picks, among many patterns, the one API Gateway would route a request to. */
export interface RouteMatcher {
  /** The index (in the list given to {@link createRouteMatcher}) of the most specific match, or -1. */
  match(method: string, path: string): number;
}

/**
 * Compiles patterns into a segment trie: the one route selection of gatepass, used by the rules to
 * find the rule that decides a request and by the local gateway to pick the route it serves.
 * `match` walks the path once, trying a literal child before `{param}` before `{proxy+}` and
 * backtracking only when a branch has no rule for the method; that is exactly the order of
 * {@link compareSpecificity}, so the first hit is the most specific match. For `"http"` a first walk
 * ignores `{proxy+}` (full matches win) and only a second one allows it: the order of
 * {@link compareSelection}. For `"rest-resource"` the walk stops at the first resource whose path
 * matches, with its method, its `ANY`, or no route. Each trie node is visited at most twice per request.
 *
 * @example
 * const m = createRouteMatcher([parse("GET /orders/{id}"), parse("GET /orders/mine")]);
 * m.match("GET", "/orders/mine") // 1
 */
export function createRouteMatcher(
  patterns: readonly HttpRoutePattern[],
  selection: RouteSelection = "rest",
): RouteMatcher {
  const root = newNode();
  patterns.forEach((pattern, index) => {
    let node = root;
    for (const seg of pattern.segments) {
      if (seg.kind === "proxy") {
        node.proxy ??= new Map();
        if (!node.proxy.has(pattern.method)) node.proxy.set(pattern.method, index);
        return;
      }
      if (seg.kind === "literal") {
        node.literals ??= new Map();
        let child = node.literals.get(seg.value);
        if (!child) {
          child = newNode();
          node.literals.set(seg.value, child);
        }
        node = child;
      } else {
        node = node.param ??= newNode();
      }
    }
    node.end ??= new Map();
    if (!node.end.has(pattern.method)) node.end.set(pattern.method, index);
  });
  return {
    match(method, path) {
      if (!isRoutedMethod(method) || path.charCodeAt(0) !== 47) return -1;
      if (path.length === 1) return pick(root.end, method);
      if (selection !== "http") {
        const hit = walk(root, path, 1, method, true, selection === "rest-resource");
        return hit >= 0 ? hit : -1;
      }
      const full = walk(root, path, 1, method, false, false);
      return full >= 0 ? full : walk(root, path, 1, method, true, false);
    },
  };
}

function pick(byMethod: Map<string, number> | null, method: string): number {
  if (byMethod === null) return -1;
  return byMethod.get(method) ?? byMethod.get("ANY") ?? -1;
}

/** {@link walk}'s answer when a resource matches the path but has neither the method nor `ANY`. */
const NO_METHOD = -2;

/**
 * `pos` is the start of the next segment; `path.length + 1` means the path is used up. With
 * `resourceFirst` (REST), the first resource whose path matches decides: its method, its `ANY`, or
 * {@link NO_METHOD}, which stops the search. Otherwise (HTTP API) a route is a method and a path,
 * and a path without the method backtracks to the next candidate.
 */
function walk(
  node: TrieNode,
  path: string,
  pos: number,
  method: string,
  greedy: boolean,
  resourceFirst: boolean,
): number {
  if (pos > path.length) {
    if (node.end === null) return -1;
    const hit = pick(node.end, method);
    return hit < 0 && resourceFirst ? NO_METHOD : hit;
  }
  let end = path.indexOf("/", pos);
  if (end === -1) end = path.length;
  if (node.literals !== null && end > pos) {
    const child = node.literals.get(path.slice(pos, end));
    if (child) {
      const hit = walk(child, path, end + 1, method, greedy, resourceFirst);
      if (hit >= 0 || hit === NO_METHOD) return hit;
    }
  }
  if (node.param !== null && end > pos) {
    const hit = walk(node.param, path, end + 1, method, greedy, resourceFirst);
    if (hit >= 0 || hit === NO_METHOD) return hit;
  }
  if (greedy && node.proxy !== null && path.length > pos) {
    const hit = pick(node.proxy, method);
    return hit < 0 && resourceFirst ? NO_METHOD : hit;
  }
  return -1;
}

/**
 * The path parameters a pattern takes from a request path it matches, raw (not decoded): `{param}`
 * gets its segment, `{proxy+}` the rest of the path. `null` when the pattern has none.
 */
export function patternParameters(pattern: HttpRoutePattern, path: string): Record<string, string> | null {
  let out: Record<string, string> | null = null;
  let pos = 1;
  for (const seg of pattern.segments) {
    if (seg.kind === "proxy") {
      out ??= {};
      out[seg.name] = path.slice(pos);
      return out;
    }
    let end = path.indexOf("/", pos);
    if (end === -1) end = path.length;
    if (seg.kind === "param") {
      out ??= {};
      out[seg.name] = path.slice(pos, end);
    }
    pos = end + 1;
  }
  return out;
}

/** The methods a pattern stands for in IAM resources (`ANY` expanded). */
export function patternMethods(pattern: HttpRoutePattern): readonly RoutedMethod[] {
  return pattern.method === "ANY" ? ROUTED_METHODS : [pattern.method];
}

/**
 * The path language of a pattern as tokens for `intersects` (see `languages.ts`): literal characters,
 * {@link SEGMENT} for `{param}`, {@link REST} for `{proxy+}`.
 */
export function pathLanguage(pattern: HttpRoutePattern): LanguageToken[] {
  const out: LanguageToken[] = [];
  if (pattern.segments.length === 0) return [47];
  for (const seg of pattern.segments) {
    out.push(47);
    if (seg.kind === "literal") for (let i = 0; i < seg.value.length; i++) out.push(seg.value.charCodeAt(i));
    else out.push(seg.kind === "param" ? SEGMENT : REST);
  }
  return out;
}

/** True when the two patterns can both match a request with some method. */
export function methodsMeet(a: RouteMethod, b: RouteMethod): boolean {
  return a === b || a === "ANY" || b === "ANY";
}

/**
 * Whether every request matched by `inner` is also matched by `outer` (used to read an HTTP API
 * route key such as `GET /orders/{id}` against the rules).
 */
export function coversPattern(outer: HttpRoutePattern, inner: HttpRoutePattern): boolean {
  if (outer.method !== "ANY" && outer.method !== inner.method) return false;
  const o = outer.segments;
  const n = inner.segments;
  for (let i = 0; i < n.length; i++) {
    const os = o[i];
    const is = n[i]!;
    if (!os) return false;
    if (os.kind === "proxy") return true;
    if (is.kind === "proxy") return false;
    if (os.kind === "literal" && (is.kind !== "literal" || is.value !== os.value)) return false;
  }
  return o.length === n.length;
}
