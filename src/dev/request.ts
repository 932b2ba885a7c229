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
import { type ApiGatewayClientCert, peerOf } from "./tls.js";

/**
 * One HTTP request as the local gateway sees it, independent of `node:http`: what the event
 * builders, the identity sources and the backends read. Header names keep the case the client
 * sent (REST events do), and repeated headers and query keys keep every value (the
 * `multiValue*` maps need them).
 */
export interface DevRequest {
  /** Upper-case method (`GET`). */
  readonly method: string;
  /**
   * The canonical path (see {@link canonicalPath}), always starting with `/`, without the query: the
   * one path the ARN, route selection, the events and the upstream request line all use. When the
   * path is refused ({@link pathError} set), the path as received.
   */
  readonly path: string;
  /** Why the path is refused (a dot segment, a backslash, an encoded slash…); absent when it is fine. */
  readonly pathError?: string;
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
  /** The mutual-TLS client certificate the connection presented and the truststore accepted (`--client-ca`). */
  readonly clientCert?: ApiGatewayClientCert;
  /** Why mutual TLS refuses this connection (no certificate, or one the truststore does not accept). */
  readonly clientCertRefusal?: string;
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
  const received = rawPath.startsWith("/") ? rawPath : `/${rawPath}`;
  const canonical = canonicalPath(received);
  const peer = peerOf(req.socket);
  return {
    method: KNOWN_METHODS.has(method) ? method : method.toUpperCase(),
    path: canonical.ok ? canonical.path : received,
    ...(canonical.ok ? {} : { pathError: canonical.reason }),
    rawQuery: q === -1 ? "" : noHash.slice(q + 1),
    rawHeaders: req.rawHeaders,
    sourceIp: normalizeIp(req.socket.remoteAddress ?? "127.0.0.1"),
    protocol: `HTTP/${req.httpVersion}`,
    requestId: randomUUID(),
    timeEpoch: now,
    ...(peer?.kind === "certificate" ? { clientCert: peer.cert } : {}),
    ...(peer?.kind === "refused" ? { clientCertRefusal: peer.reason } : {}),
  };
}

/**
 * What a path that needs no work looks like: no `%`, no `\`, no `;`, no `//`, no `.` or `..`
 * segment. Most paths are like that and are used as received.
 */
const NEEDS_WORK = /[%\\;]|\/\/|\/\.\.?(?:\/|$)/;
const HEX = /^[0-9A-Fa-f]{2}$/;
/** RFC 3986 §2.3 unreserved characters: their percent-encoding means the same as the character. */
const UNRESERVED = /^[A-Za-z0-9._~-]$/;

/**
 * The one path the local gateway works with, or why it refuses the path. An upstream or a Lambda
 * must receive exactly the path the authorizer decided on, and that path must not mean something
 * else to the next parser (RFC 3986 §5.2.4 dot-segment removal, WHATWG URL's `\` as `/`, Java
 * servers' `;` parameters, Go's decoded paths). So:
 *
 * - refused: a `.` or `..` segment, literal or percent-encoded (`%2e%2e`), also before a `;`
 *   parameter (`..;x`); a backslash, literal or `%5C`; an encoded slash `%2F`; a malformed or
 *   control-character percent-encoding (`%zz`, `%00`);
 * - normalized: repeated slashes merged (`//a//b` → `/a/b`: a path starting with `//` is read as
 *   an authority by URL parsers), percent-encoded unreserved characters decoded (`%61` → `a`,
 *   RFC 3986 §6.2.2.2), the hex digits of the other encodings upper-cased (`%c3` → `%C3`).
 *
 * API Gateway documents none of this; refusing is the safe emulation (no request a real API could
 * serve differently gets through), and the normalizations change nothing a conforming server sees.
 */
export function canonicalPath(path: string): { ok: true; path: string } | { ok: false; reason: string } {
  if (!NEEDS_WORK.test(path)) return { ok: true, path };
  if (path.includes("\\")) return { ok: false, reason: "a backslash in the path" };
  const segments: string[] = [];
  for (const part of path.split("/")) {
    if (part.length === 0) continue;
    let segment = part;
    if (part.includes("%")) {
      segment = "";
      for (let i = 0; i < part.length; i++) {
        const c = part[i]!;
        if (c !== "%") {
          segment += c;
          continue;
        }
        const hex = part.slice(i + 1, i + 3);
        if (!HEX.test(hex)) return { ok: false, reason: "a malformed percent-encoding in the path" };
        const code = Number.parseInt(hex, 16);
        if (code === 0x2f) return { ok: false, reason: "an encoded slash (%2F) in the path" };
        if (code === 0x5c) return { ok: false, reason: "an encoded backslash (%5C) in the path" };
        if (code < 0x20 || code === 0x7f)
          return { ok: false, reason: "an encoded control character in the path" };
        const char = String.fromCharCode(code);
        segment += UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
        i += 2;
      }
    }
    const semicolon = segment.indexOf(";");
    const bare = semicolon === -1 ? segment : segment.slice(0, semicolon);
    if (bare === "." || bare === "..") return { ok: false, reason: "a dot segment (. or ..) in the path" };
    segments.push(segment);
  }
  const trailing = segments.length > 0 && path.endsWith("/") ? "/" : "";
  return { ok: true, path: `/${segments.join("/")}${trailing}` };
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
function decodeSegment(segment: string): string {
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
