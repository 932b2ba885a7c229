import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Logger } from "../../log.js";
import type { AuthorizedCaller, EventInput } from "../events.js";
import { defaultIntegrationTimeoutMs, integrationFailureAnswer } from "../limits.js";
import { type Backend, HOP_BY_HOP, isHttpApi, sameName, send, sendAnswer } from "./backend.js";

/** The HTTP upstream backend: a reverse proxy, with the caller as `x-gatepass-*` headers. */

/**
 * Appends the `x-gatepass-*` headers an upstream receives to the flat header list `out`
 * (`[name, value, …]`): `x-gatepass-principal`, and one header per context key (lower-cased,
 * characters outside `[a-z0-9-]` replaced by `-`, leading ones then left out), the value a string, numbers and booleans as text,
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
    // A claim pointer's leading "/" is left out: `/realm_access/roles` → `x-gatepass-realm-access-roles`.
    name = `x-gatepass-${key
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, "-")
      .replace(/^-+(?=.)/, "")}`;
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
  const requestFn = secure ? httpsRequest : httpRequest;

  const hostname = target.hostname.replace(/^\[|\]$/g, "");
  const port = target.port || (secure ? 443 : 80);
  const pathFor = (input: EventInput) =>
    `${basePath}${input.request.path}${input.request.rawQuery ? `?${input.request.rawQuery}` : ""}`;

  return {
    description: `upstream ${target.origin}${basePath}`,
    handle(call) {
      const { req, res, input, caller, responseHeaders } = call;
      const timeoutMs = call.timeoutMs ?? options.timeoutMs ?? defaultIntegrationTimeoutMs(input.api);
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
          if (timedOut && !isHttpApi(input.api)) sendAnswer(call, integrationFailureAnswer(input.api, true));
          else if (timedOut) send(res, 504, { message: "Endpoint request timed out" }, responseHeaders);
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
