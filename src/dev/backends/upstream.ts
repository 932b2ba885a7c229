import { Agent, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Duplex } from "node:stream";
import { readAuthorizerContext } from "../../backend/read-authorizer-context.js";
import type { DevApiType } from "../../config/types.js";
import type { Logger } from "../../log.js";
import { type AuthorizedCaller, buildProxyEvent, type EventBody, type EventInput } from "../events.js";
import { errorMessage, Invoker, type LambdaHandler } from "../invoke.js";

/**
 * What runs behind the gateway once a request is allowed: an HTTP upstream (reverse proxy), a
 * local Lambda handler invoked with a proxy event, or the built-in demo (itself a Lambda handler).
 */

/** One allowed request, handed to a backend. */
export interface BackendCall {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly input: EventInput;
  readonly caller: AuthorizedCaller;
  /** Headers the gateway adds to the response (request id, CORS) unless the backend set them. */
  readonly responseHeaders: Readonly<Record<string, string>>;
}

export interface Backend {
  /** For the banner and logs: `upstream http://…`, `lambda ./handler.mjs#handler`, `demo`. */
  readonly description: string;
  /** Answers the request. Never rejects: failures become 502/504 (or 500/503 for HTTP APIs). */
  handle(call: BackendCall): Promise<void>;
  /** Forwards an allowed WebSocket upgrade, when the backend can (`upstream` only). */
  upgrade?(call: Omit<BackendCall, "res">, socket: Duplex, head: Buffer): void;
  close(): void;
}

/** Connection-level headers a proxy never forwards (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Largest request body passed to a Lambda backend (API Gateway's payload quota is 10 MB). */
const MAX_LAMBDA_BODY_BYTES = 10 * 1024 * 1024;
/** API Gateway's integration timeout (REST default 29 s). */
const INTEGRATION_TIMEOUT_MS = 29_000;

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

const isHttpApi = (api: DevApiType) => api === "http-v1" || api === "http-v2-simple" || api === "http-v2-iam";

/** The integration failure answers: REST 502/504, HTTP APIs 500/503. */
function integrationFailure(api: DevApiType, timedOut: boolean): { status: number; body: unknown } {
  if (isHttpApi(api))
    return timedOut
      ? { status: 503, body: { message: "Service Unavailable" } }
      : { status: 500, body: { message: "Internal Server Error" } };
  return timedOut
    ? { status: 504, body: { message: "Endpoint request timed out" } }
    : { status: 502, body: { message: "Internal server error" } };
}

/**
 * Appends the `x-gatepass-*` headers an upstream receives to the flat header list `out`
 * (`[name, value, …]`): `x-gatepass-principal`, and one header per context key (lower-cased,
 * characters outside `[a-z0-9-]` replaced by `-`), the value a string, numbers and booleans as text,
 * arrays and objects as JSON. Non-ASCII characters are `\u`-escaped so the value stays a legal
 * header. Two context keys may give the same header name (`a_b`, `a-b`): the later value replaces
 * the earlier one.
 */
function addCallerHeaders(out: string[], caller: AuthorizedCaller): void {
  const from = out.length;
  if (caller.principalId !== null) out.push("x-gatepass-principal", headerSafe(caller.principalId));
  const context = caller.context;
  for (const key in context) {
    if (!Object.hasOwn(context, key)) continue;
    const value = context[key];
    if (value === undefined || value === null) continue;
    const name = callerHeaderName(key);
    if (name === "x-gatepass-principal") continue;
    const text = headerSafe(
      typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value),
    );
    let at = from;
    while (at < out.length && out[at] !== name) at += 2;
    if (at < out.length) out[at + 1] = text;
    else out.push(name, text);
  }
}

/** `x-gatepass-<key>` names, memoized (a server sees the same few context keys on every request). */
const callerHeaderNames = new Map<string, string>();
function callerHeaderName(key: string): string {
  let name = callerHeaderNames.get(key);
  if (name === undefined) {
    name = `x-gatepass-${key.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`;
    if (callerHeaderNames.size >= 1000) callerHeaderNames.clear();
    callerHeaderNames.set(key, name);
  }
  return name;
}

const NOT_HEADER_SAFE = /[^\x20-\x7e]/;
const headerSafe = (value: string) =>
  NOT_HEADER_SAFE.test(value)
    ? value.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
    : value;

/** `name` equals the lower-case `lower`, ignoring case. */
const sameName = (name: string, lower: string) =>
  name.length === lower.length && (name === lower || name.toLowerCase() === lower);

/**
 * The tokens of the `Connection` header lines in `raw` (lower-cased): the headers they name are
 * hop-by-hop too. `undefined` when there are none beyond `keep-alive` / `close`.
 */
function connectionTokens(raw: readonly string[]): Set<string> | undefined {
  let tokens: Set<string> | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!sameName(raw[i]!, "connection")) continue;
    const value = raw[i + 1]!;
    // `keep-alive` alone names a header that is hop-by-hop anyway.
    if (value.length === 10 && value.toLowerCase() === "keep-alive") continue;
    tokens ??= new Set();
    for (const token of value.split(",")) {
      const t = token.trim().toLowerCase();
      if (t.length > 0) tokens.add(t);
    }
  }
  return tokens;
}

/**
 * The request headers to forward, as a flat list (`[name, value, …]`, names lower-cased): the
 * client's own, minus hop-by-hop ones, `host` and any client-sent `x-gatepass-*` (spoofing); then
 * `host`, the `x-forwarded-*` trio and the caller's `x-gatepass-*`. A flat list goes straight into
 * the request head; an object would be copied header by header (`setHeader`) on every request.
 */
function forwardedHeaders(
  req: IncomingMessage,
  targetHost: string,
  caller: AuthorizedCaller,
  keepUpgrade = false,
): string[] {
  const raw = req.rawHeaders;
  const tokens = keepUpgrade ? undefined : connectionTokens(raw);
  const out: string[] = [];
  let xff: string | undefined;
  let host: string | undefined;
  let clientForwardedHost: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    if (name === "host") {
      // As `req.headers.host`: the first one.
      host ??= value;
      continue;
    }
    if (name.startsWith("x-gatepass-")) continue;
    if (name === "x-forwarded-for") xff = xff === undefined ? value : `${xff}, ${value}`;
    if (!keepUpgrade && (HOP_BY_HOP.has(name) || tokens?.has(name))) continue;
    // Replaced by the gateway's own values below (the client's `x-forwarded-host` only when it sent a host).
    if (name === "x-forwarded-for" || name === "x-forwarded-proto") continue;
    if (name === "x-forwarded-host") {
      clientForwardedHost ??= [];
      clientForwardedHost.push(value);
      continue;
    }
    out.push(name, value);
  }
  const remote = req.socket.remoteAddress ?? "127.0.0.1";
  const ip = remote.startsWith("::ffff:") ? remote.slice(7) : remote;
  out.push("host", targetHost, "x-forwarded-for", xff ? `${xff}, ${ip}` : ip, "x-forwarded-proto", "http");
  if (host) out.push("x-forwarded-host", host);
  else if (clientForwardedHost) for (const value of clientForwardedHost) out.push("x-forwarded-host", value);
  addCallerHeaders(out, caller);
  return out;
}

/** Response headers from the upstream, hop-by-hop ones dropped, as a flat raw list. */
function upstreamResponseHeaders(res: IncomingMessage, extra: Readonly<Record<string, string>>): string[] {
  const raw = res.rawHeaders;
  const tokens = connectionTokens(raw);
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || tokens?.has(lower)) continue;
    out.push(name, raw[i + 1]!);
  }
  const kept = out.length;
  for (const name in extra) {
    const lower = name.toLowerCase();
    let present = false;
    for (let i = 0; i < kept && !present; i += 2) present = sameName(out[i]!, lower);
    if (!present) out.push(name, extra[name]!);
  }
  return out;
}

/**
 * A reverse proxy to `upstream` (`http://127.0.0.1:8080`, optionally with a base path): method,
 * path, query and body streamed both ways; the caller as `x-gatepass-*` headers; 502 when the
 * upstream cannot be reached, 504 after the integration timeout.
 */
export function createUpstreamBackend(
  upstream: string,
  logger: Logger,
  options: { timeoutMs?: number } = {},
): Backend {
  let target: URL;
  try {
    target = new URL(upstream);
  } catch {
    throw new Error(`--upstream: not an absolute URL: ${upstream.slice(0, 80)}`);
  }
  if (target.protocol !== "http:" && target.protocol !== "https:")
    throw new Error(`--upstream: expected an http or https URL, got ${target.protocol}`);
  const secure = target.protocol === "https:";
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, maxSockets: 256 })
    : new Agent({ keepAlive: true, maxSockets: 256 });
  const basePath = target.pathname.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? INTEGRATION_TIMEOUT_MS;
  const requestFn = secure ? httpsRequest : httpRequest;

  const hostname = target.hostname.replace(/^\[|\]$/g, "");
  const port = target.port || (secure ? 443 : 80);
  const pathFor = (input: EventInput) =>
    `${basePath}${input.request.path}${input.request.rawQuery ? `?${input.request.rawQuery}` : ""}`;

  return {
    description: `upstream ${target.origin}${basePath}`,
    handle({ req, res, input, caller, responseHeaders }) {
      return new Promise<void>((done) => {
        const outgoing = requestFn({
          host: hostname,
          port,
          method: input.request.method,
          path: pathFor(input),
          headers: forwardedHeaders(req, target.host, caller),
          agent,
        });
        outgoing.setTimeout(timeoutMs, () =>
          outgoing.destroy(Object.assign(new Error("upstream timeout"), { code: "ETIMEDOUT_GATEPASS" })),
        );
        outgoing.on("response", (upstreamRes) => {
          res.writeHead(
            upstreamRes.statusCode ?? 502,
            upstreamRes.statusMessage,
            upstreamResponseHeaders(upstreamRes, responseHeaders),
          );
          upstreamRes.pipe(res);
          upstreamRes.on("error", () => res.destroy());
          res.on("close", () => {
            if (!upstreamRes.complete) upstreamRes.destroy();
            done();
          });
        });
        outgoing.on("error", (error: NodeJS.ErrnoException) => {
          const timedOut = error.code === "ETIMEDOUT_GATEPASS";
          logger.error("upstream_error", {
            requestId: input.request.requestId,
            upstream: target.origin,
            detail: timedOut
              ? `no answer within ${timeoutMs} ms`
              : `${error.code ?? "error"}: ${error.message}`,
          });
          if (timedOut) send(res, 504, { message: "Endpoint request timed out" }, responseHeaders);
          else send(res, 502, { message: "Bad Gateway" }, responseHeaders);
          done();
        });
        req.pipe(outgoing);
        req.on("aborted", () => outgoing.destroy());
      });
    },
    upgrade({ req, input, caller }, socket, head) {
      const outgoing = requestFn({
        protocol: target.protocol,
        hostname,
        port,
        method: input.request.method,
        path: pathFor(input),
        headers: forwardedHeaders(req, target.host, caller, true),
      });
      outgoing.on("upgrade", (upstreamRes, upstreamSocket, upstreamHead) => {
        const lines = [`HTTP/1.1 ${upstreamRes.statusCode} ${upstreamRes.statusMessage ?? ""}`];
        for (let i = 0; i + 1 < upstreamRes.rawHeaders.length; i += 2)
          lines.push(`${upstreamRes.rawHeaders[i]}: ${upstreamRes.rawHeaders[i + 1]}`);
        socket.write(`${lines.join("\r\n")}\r\n\r\n`);
        if (upstreamHead.length > 0) socket.write(upstreamHead);
        if (head.length > 0) upstreamSocket.write(head);
        upstreamSocket.pipe(socket).pipe(upstreamSocket);
        // Either side closing (or the gateway shutting down) closes the other: no half-dead tunnels.
        upstreamSocket.on("close", () => socket.destroy());
        socket.on("close", () => upstreamSocket.destroy());
        upstreamSocket.on("error", () => socket.destroy());
        socket.on("error", () => upstreamSocket.destroy());
      });
      outgoing.on("response", (upstreamRes) => {
        // The upstream refused the upgrade: relay its answer and close.
        const lines = [
          `HTTP/1.1 ${upstreamRes.statusCode} ${upstreamRes.statusMessage ?? ""}`,
          "connection: close",
        ];
        for (let i = 0; i + 1 < upstreamRes.rawHeaders.length; i += 2) {
          if (!HOP_BY_HOP.has(upstreamRes.rawHeaders[i]!.toLowerCase()))
            lines.push(`${upstreamRes.rawHeaders[i]}: ${upstreamRes.rawHeaders[i + 1]}`);
        }
        socket.write(`${lines.join("\r\n")}\r\n\r\n`);
        upstreamRes.pipe(socket);
      });
      outgoing.on("error", () => {
        const body = JSON.stringify({ message: "Bad Gateway" });
        socket.end(
          `HTTP/1.1 502 Bad Gateway\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
        );
      });
      outgoing.end();
    },
    close() {
      agent.destroy();
    },
  };
}

/** Textual media types: HTTP API events carry these as text, anything else base64. */
const isTextual = (contentType: string | undefined) =>
  contentType === undefined ||
  /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i.test(
    contentType.trim(),
  );

async function readBody(req: IncomingMessage): Promise<Buffer | "too-large"> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_LAMBDA_BODY_BYTES) return "too-large";
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The proxy result a Lambda returned, as an HTTP response; or why it is malformed. */
type MappedResult =
  | { ok: true; status: number; headers: Array<[string, string]>; body: Buffer }
  | { ok: false; reason: string };

function scalarHeader(value: unknown): string | undefined {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : undefined;
}

/**
 * Maps a Lambda proxy result. REST and HTTP 1.0 need `{ statusCode, headers?, multiValueHeaders?,
 * body?, isBase64Encoded? }`; HTTP API 2.0 also accepts a bare value (a string is the body, an
 * object without `statusCode` is sent as JSON with 200) and `cookies`.
 */
function mapLambdaResult(api: DevApiType, value: unknown): MappedResult {
  const v2 = api === "http-v2-simple" || api === "http-v2-iam";
  const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
  if (v2 && (!isObject || (value as Record<string, unknown>).statusCode === undefined)) {
    if (typeof value === "string")
      return {
        ok: true,
        status: 200,
        headers: [["content-type", "application/json"]],
        body: Buffer.from(value),
      };
    if (value === undefined || value === null)
      return { ok: true, status: 200, headers: [], body: Buffer.alloc(0) };
    return {
      ok: true,
      status: 200,
      headers: [["content-type", "application/json"]],
      body: Buffer.from(JSON.stringify(value)),
    };
  }
  if (!isObject) return { ok: false, reason: "the result is not an object with a statusCode" };
  const result = value as Record<string, unknown>;
  const status =
    typeof result.statusCode === "string" && /^\d{3}$/.test(result.statusCode)
      ? Number(result.statusCode)
      : result.statusCode;
  if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599) {
    return { ok: false, reason: `statusCode ${JSON.stringify(result.statusCode)} is not an HTTP status` };
  }
  const headers: Array<[string, string]> = [];
  if (result.headers !== undefined && result.headers !== null) {
    if (typeof result.headers !== "object") return { ok: false, reason: "headers is not an object" };
    for (const [name, raw] of Object.entries(result.headers as Record<string, unknown>)) {
      const text = scalarHeader(raw);
      if (text === undefined)
        return { ok: false, reason: `header ${name} is not a string, number or boolean` };
      headers.push([name, text]);
    }
  }
  if (result.multiValueHeaders !== undefined && result.multiValueHeaders !== null) {
    if (typeof result.multiValueHeaders !== "object")
      return { ok: false, reason: "multiValueHeaders is not an object" };
    for (const [name, list] of Object.entries(result.multiValueHeaders as Record<string, unknown>)) {
      if (!Array.isArray(list)) return { ok: false, reason: `multiValueHeaders.${name} is not an array` };
      const lower = name.toLowerCase();
      for (let i = headers.length - 1; i >= 0; i--)
        if (headers[i]![0].toLowerCase() === lower) headers.splice(i, 1);
      for (const item of list) {
        const text = scalarHeader(item);
        if (text !== undefined) headers.push([name, text]);
      }
    }
  }
  if (v2 && Array.isArray(result.cookies)) {
    for (const cookie of result.cookies) if (typeof cookie === "string") headers.push(["set-cookie", cookie]);
  }
  let body: Buffer;
  if (result.body === undefined || result.body === null) body = Buffer.alloc(0);
  else if (typeof result.body === "string")
    body = result.isBase64Encoded === true ? Buffer.from(result.body, "base64") : Buffer.from(result.body);
  else if (v2) body = Buffer.from(JSON.stringify(result.body));
  else return { ok: false, reason: "body is not a string" };
  return { ok: true, status, headers, body };
}

/** Invokes a local Lambda handler with the API type's proxy event and maps its result to the response. */
export function createLambdaBackend(
  handler: LambdaHandler,
  description: string,
  logger: Logger,
  options: { timeoutMs?: number; functionName?: string } = {},
): Backend {
  const timeoutMs = options.timeoutMs ?? INTEGRATION_TIMEOUT_MS;
  // One invoker for the server's life (built on the first call: the region and account come with it).
  let invoker: Invoker | undefined;
  return {
    description,
    async handle({ req, res, input, caller, responseHeaders }) {
      const api = input.api;
      invoker ??= new Invoker(handler, {
        functionName: options.functionName ?? "backend",
        timeoutMs,
        region: input.ids.region,
        accountId: input.ids.accountId,
      });
      const raw = await readBody(req);
      if (raw === "too-large") {
        send(res, 413, { message: "Request Too Long" }, responseHeaders);
        return;
      }
      const contentType = req.headers["content-type"];
      let body: EventBody;
      if (raw.length === 0) body = { body: null, isBase64Encoded: false };
      else if (isHttpApi(api) && !isTextual(contentType))
        body = { body: raw.toString("base64"), isBase64Encoded: true };
      else body = { body: raw.toString("utf8"), isBase64Encoded: false };
      const event = buildProxyEvent(input, caller, body);
      const invocation = await invoker.invoke(event);
      if (!invocation.ok) {
        logger.error("lambda_error", {
          requestId: input.request.requestId,
          detail: invocation.timedOut
            ? `the backend Lambda timed out after ${timeoutMs} ms`
            : `the backend Lambda failed: ${errorMessage(invocation.error).slice(0, 300)}`,
        });
        const failure = integrationFailure(api, invocation.timedOut);
        send(res, failure.status, failure.body, responseHeaders);
        return;
      }
      const mapped = mapLambdaResult(api, invocation.value);
      if (!mapped.ok) {
        logger.error("lambda_malformed_response", {
          requestId: input.request.requestId,
          detail: `Malformed Lambda proxy response: ${mapped.reason}`,
        });
        const failure = integrationFailure(api, false);
        send(res, failure.status, failure.body, responseHeaders);
        return;
      }
      const present = new Set(mapped.headers.map(([n]) => n.toLowerCase()));
      const flat: string[] = [];
      for (const [name, value] of mapped.headers) {
        if (!HOP_BY_HOP.has(name.toLowerCase()) && name.toLowerCase() !== "content-length")
          flat.push(name, value);
      }
      for (const [name, value] of Object.entries(responseHeaders))
        if (!present.has(name.toLowerCase())) flat.push(name, value);
      flat.push("content-length", String(mapped.body.length));
      res.writeHead(mapped.status, flat);
      res.end(mapped.body);
    },
    close() {},
  };
}

/** The methods the demo API serves, on every path: it is read-only. */
const DEMO_METHODS = "GET, HEAD, OPTIONS";

/**
 * The demo backend, a Lambda handler like a team's own: reads the caller with
 * `readAuthorizerContext` (works for REST, HTTP 1.0/2.0 and WebSocket events) and answers JSON.
 * It honours methods as a real API does: `GET`/`HEAD` are served, `OPTIONS` answers 204 with
 * `Allow`, anything else 405 with `Allow` — so a method the rules let through (an unmatched route,
 * an `ANY` rule) shows what the API actually serves.
 */
const demoHandler: LambdaHandler = async (event) => {
  const e = event as Record<string, unknown> & { requestContext?: { http?: { method?: string } } };
  const method = (e.httpMethod as string | undefined) ?? e.requestContext?.http?.method ?? "GET";
  const path = (e.path as string | undefined) ?? (e.rawPath as string | undefined) ?? "/";
  if (method === "OPTIONS") return { statusCode: 204, headers: { allow: DEMO_METHODS } };
  if (method !== "GET" && method !== "HEAD") {
    return {
      statusCode: 405,
      headers: { "content-type": "application/json", allow: DEMO_METHODS },
      body: JSON.stringify({
        message: `Method Not Allowed: the demo API serves ${DEMO_METHODS} only`,
        request: { method, path },
      }),
    };
  }
  const { principalId, claims } = readAuthorizerContext(event);
  const who = principalId ?? (typeof claims.sub === "string" ? claims.sub : "caller");
  let answer: Record<string, unknown>;
  const order = /^\/orders\/([^/]+)$/.exec(path);
  if (path === "/hello")
    answer = { message: `Hello, ${who}! This came through the local API Gateway and your authorizer.` };
  else if (order)
    answer = {
      order: { id: decodeURIComponent(order[1]!), status: "shipped", items: [{ sku: "GP-1", quantity: 2 }] },
    };
  else if (path.startsWith("/admin/"))
    answer = { admin: true, message: `Welcome to the admin area, ${who}.` };
  else answer = { message: "gatepass demo backend: try GET /hello, GET /orders/42 or GET /admin/users" };
  return {
    statusCode: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...answer, request: { method, path }, caller: { principalId, claims } }),
  };
};

/** The built-in demo backend. */
export function createDemoBackend(logger: Logger): Backend {
  return createLambdaBackend(demoHandler, "demo", logger, { functionName: "gatepass-demo" });
}
