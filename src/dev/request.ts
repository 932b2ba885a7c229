import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import {
  createRouteMatcher,
  type HttpRoutePattern,
  parseRoutePattern,
  patternParameters,
  type RouteMatcher,
  type RoutePattern,
} from "../rules/route-pattern.js";

/**
 * One HTTP request as the local gateway sees it, independent of `node:http`: what the event
 * builders, the identity sources and the backends read. Header names keep the case the client
 * sent (REST events do), and repeated headers and query keys keep every value (the
 * `multiValue*` maps need them).
 */
export interface DevRequest {
  /** Upper-case method (`GET`). */
  readonly method: string;
  /** The path as received, percent-encoding kept, always starting with `/`, without the query. */
  readonly path: string;
  /** The query string as received, without `?` (empty when none). */
  readonly rawQuery: string;
  /**
   * Every header line, in order, name case kept, as `node:http`'s flat `rawHeaders`
   * (`[name, value, name, value, …]`): used as is, not copied into pairs on every request.
   */
  readonly rawHeaders: readonly string[];
  readonly sourceIp: string;
  /** `HTTP/1.1`. */
  readonly protocol: string;
  /** The API Gateway request id (a UUID), echoed as `x-amzn-RequestId`. */
  readonly requestId: string;
  /** When the request arrived, ms since the epoch (from the injected clock). */
  readonly timeEpoch: number;
}

/** Builds a {@link DevRequest} from a `node:http` request. */
export function toDevRequest(req: IncomingMessage, now: number): DevRequest {
  const url = req.url ?? "/";
  // Absolute-form targets (`GET http://host/path`) are legal HTTP/1.1; keep only path and query.
  // (Origin-form, the usual case, starts with `/` and skips the regular expression.)
  const target = url.charCodeAt(0) !== 47 && ABSOLUTE_FORM.test(url) ? url.replace(ABSOLUTE_PREFIX, "") : url;
  const hash = target.indexOf("#");
  const noHash = hash === -1 ? target : target.slice(0, hash);
  const q = noHash.indexOf("?");
  const rawPath = q === -1 ? noHash : noHash.slice(0, q);
  const method = req.method ?? "GET";
  return {
    method: KNOWN_METHODS.has(method) ? method : method.toUpperCase(),
    path: rawPath.startsWith("/") ? rawPath : `/${rawPath}`,
    rawQuery: q === -1 ? "" : noHash.slice(q + 1),
    rawHeaders: req.rawHeaders,
    sourceIp: normalizeIp(req.socket.remoteAddress ?? "127.0.0.1"),
    protocol: `HTTP/${req.httpVersion}`,
    requestId: randomUUID(),
    timeEpoch: now,
  };
}

const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\//i;
const ABSOLUTE_PREFIX = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;
const KNOWN_METHODS = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
  "CONNECT",
  "TRACE",
]);

const normalizeIp = (ip: string) => (ip.startsWith("::ffff:") ? ip.slice(7) : ip);

/** Every value of header `name` (case-insensitive), in order. */
export function headerValues(request: DevRequest, name: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) if (sameName(raw[i]!, lower)) out.push(raw[i + 1]!);
  return out;
}

/** Header `name` (case-insensitive), repeated values joined with `,` as HTTP APIs do; `undefined` when absent. */
export function headerValue(request: DevRequest, name: string): string | undefined {
  const lower = name.toLowerCase();
  let out: string | undefined;
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!sameName(raw[i]!, lower)) continue;
    const v = raw[i + 1]!;
    out = out === undefined ? v : `${out},${v}`;
  }
  return out;
}

/** `name` equals the lower-case `lower`, ignoring case (no allocation when the lengths differ). */
const sameName = (name: string, lower: string) =>
  name.length === lower.length && (name === lower || name.toLowerCase() === lower);

/** The query parameters, decoded, every value kept in order. */
export function queryParameters(request: DevRequest): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (request.rawQuery === "") return out;
  for (const [key, value] of new URLSearchParams(request.rawQuery)) {
    const list = out.get(key);
    if (list) list.push(value);
    else out.set(key, [value]);
  }
  return out;
}

/** Decodes a percent-encoded path segment; a malformed one stays as it is. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The API resource a request lands on: what API Gateway puts in `resource`, `routeKey` and `pathParameters`. */
export interface RouteMatch {
  /** REST resource template (`/orders/{id}`), `/{proxy+}` when no route matches, `/` for the root. */
  readonly resource: string;
  /** HTTP API route key (`GET /orders/{id}`, `ANY /admin/{proxy+}`) or `$default`. */
  readonly routeKey: string;
  /** Decoded path parameter values; `null` when the resource has none. */
  readonly pathParameters: Record<string, string> | null;
}

/**
 * The routes an emulated API declares, from the rule routes of the configuration (`GET /orders/{id}`,
 * `ANY /admin/{proxy+}`), selected exactly as the rules select the rule that decides a request: one
 * matcher (`createRouteMatcher` of the rules module), with REST's or HTTP API's route selection.
 * Requests no route matches land on a catch-all, as a typical `/{proxy+}` (REST) or `$default`
 * (HTTP API) integration.
 */
export class RouteTable {
  private readonly patterns: HttpRoutePattern[] = [];
  private readonly matcher: RouteMatcher;

  /** `api`: the emulated API type (`http-*` selects as HTTP APIs do, anything else as REST). */
  constructor(routeKeys: readonly string[], api = "rest-token") {
    for (const key of routeKeys) {
      let pattern: RoutePattern;
      try {
        pattern = parseRoutePattern(key);
      } catch {
        continue; // validated with the configuration; nothing else reaches here
      }
      if (pattern.kind === "http") this.patterns.push(pattern); // $connect / $default have no path
    }
    this.matcher = createRouteMatcher(this.patterns, api.startsWith("http-") ? "http" : "rest");
  }

  /** The route for `method` and the raw `path`. */
  match(method: string, path: string): RouteMatch {
    const index = this.matcher.match(method, path);
    if (index >= 0) {
      const pattern = this.patterns[index]!;
      const raw = patternParameters(pattern, path);
      let params: Record<string, string> | null = null;
      if (raw !== null) {
        params = {};
        for (const [name, value] of Object.entries(raw)) params[name] = decodePath(value);
      }
      return { resource: pattern.path, routeKey: pattern.text, pathParameters: params };
    }
    const parts = splitPath(path);
    if (parts.length === 0) return { resource: "/", routeKey: "$default", pathParameters: null };
    return {
      resource: "/{proxy+}",
      routeKey: "$default",
      pathParameters: { proxy: parts.map(decodeSegment).join("/") },
    };
  }
}

/** Decodes each `/`-separated segment of a path value. */
const decodePath = (value: string) => value.split("/").map(decodeSegment).join("/");

/** The non-empty `/`-separated segments of a path. */
function splitPath(path: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    if (i === path.length || path.charCodeAt(i) === 47) {
      if (i > start) parts.push(path.slice(start, i));
      start = i + 1;
    }
  }
  return parts;
}
