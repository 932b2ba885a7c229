import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";

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
  /** Every header line, in order, name case kept. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
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
  const target = /^[a-z][a-z0-9+.-]*:\/\//i.test(url)
    ? url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "")
    : url;
  const hash = target.indexOf("#");
  const noHash = hash === -1 ? target : target.slice(0, hash);
  const q = noHash.indexOf("?");
  const rawPath = q === -1 ? noHash : noHash.slice(0, q);
  const headers: Array<[string, string]> = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
    headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  return {
    method: (req.method ?? "GET").toUpperCase(),
    path: rawPath.startsWith("/") ? rawPath : `/${rawPath}`,
    rawQuery: q === -1 ? "" : noHash.slice(q + 1),
    headers,
    sourceIp: normalizeIp(req.socket.remoteAddress ?? "127.0.0.1"),
    protocol: `HTTP/${req.httpVersion}`,
    requestId: randomUUID(),
    timeEpoch: now,
  };
}

const normalizeIp = (ip: string) => (ip.startsWith("::ffff:") ? ip.slice(7) : ip);

/** Every value of header `name` (case-insensitive), in order. */
export function headerValues(request: DevRequest, name: string): string[] {
  const lower = name.toLowerCase();
  return request.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

/** Header `name` (case-insensitive), repeated values joined with `,` as HTTP APIs do; `undefined` when absent. */
export function headerValue(request: DevRequest, name: string): string | undefined {
  const values = headerValues(request, name);
  return values.length === 0 ? undefined : values.join(",");
}

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

interface CompiledRoute {
  readonly method: string;
  readonly template: string;
  readonly segments: readonly string[];
  readonly literals: number;
  readonly greedy: boolean;
}

/**
 * The routes an emulated API declares, from the rule routes of the configuration (`GET /orders/{id}`,
 * `ANY /admin/{proxy+}`). API Gateway picks the most specific one: more literal segments first,
 * a non-greedy template before `{proxy+}`, an exact method before `ANY`. Requests no route matches
 * land on a catch-all, as a typical `/{proxy+}` (REST) or `$default` (HTTP API) integration.
 */
export class RouteTable {
  private readonly routes: CompiledRoute[] = [];

  constructor(routeKeys: readonly string[]) {
    for (const key of routeKeys) {
      const match = /^([A-Za-z]+|ANY)\s+(\/\S*)$/.exec(key.trim());
      if (!match) continue; // WebSocket route keys ($connect) have no path
      const template = match[2]!;
      const segments = template.split("/").filter((s) => s.length > 0);
      this.routes.push({
        method: match[1]!.toUpperCase(),
        template,
        segments,
        literals: segments.filter((s) => !s.startsWith("{")).length,
        greedy: segments.some((s) => /^\{[^}]+\+\}$/.test(s)),
      });
    }
  }

  /** The route for `method` and the raw `path`. */
  match(method: string, path: string): RouteMatch {
    const parts = path.split("/").filter((s) => s.length > 0);
    let best: { route: CompiledRoute; params: Record<string, string> } | undefined;
    for (const route of this.routes) {
      if (route.method !== "ANY" && route.method !== method) continue;
      const params = matchSegments(route.segments, parts);
      if (params === null) continue;
      if (!best || better(route, best.route)) best = { route, params };
    }
    if (best) {
      const hasParams = Object.keys(best.params).length > 0;
      return {
        resource: best.route.template,
        routeKey: `${best.route.method} ${best.route.template}`,
        pathParameters: hasParams ? best.params : null,
      };
    }
    if (parts.length === 0) return { resource: "/", routeKey: "$default", pathParameters: null };
    return {
      resource: "/{proxy+}",
      routeKey: "$default",
      pathParameters: { proxy: parts.map(decodeSegment).join("/") },
    };
  }
}

function better(a: CompiledRoute, b: CompiledRoute): boolean {
  if (a.literals !== b.literals) return a.literals > b.literals;
  if (a.greedy !== b.greedy) return !a.greedy;
  if (a.segments.length !== b.segments.length) return a.segments.length > b.segments.length;
  return a.method !== "ANY" && b.method === "ANY";
}

function matchSegments(template: readonly string[], parts: readonly string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const seg = template[i]!;
    const greedy = /^\{([^}]+)\+\}$/.exec(seg);
    if (greedy) {
      // `{proxy+}` takes one or more remaining segments, and must be last.
      if (i !== template.length - 1 || parts.length <= i) return null;
      params[greedy[1]!] = parts.slice(i).map(decodeSegment).join("/");
      return params;
    }
    const part = parts[i];
    if (part === undefined) return null;
    const param = /^\{([^}]+)\}$/.exec(seg);
    if (param) params[param[1]!] = decodeSegment(part);
    else if (seg !== part) return null;
  }
  return parts.length === template.length ? params : null;
}
