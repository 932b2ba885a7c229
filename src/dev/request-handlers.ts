import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { DevConfig } from "../config/types.js";
import type { Logger } from "../log.js";
import type { Dispatch } from "./api-router.js";
import type { Backend, BackendCall } from "./backends/backend.js";
import type { ConsoleHandler } from "./console/handler.js";
import type { BackendTrace, RequestRecorder } from "./console/records.js";
import type { Gateway, GatewayResponse, Verdict } from "./gateway.js";
import { requestIdHeaders } from "./gateway.js";
import { checkRequestHost } from "./hosts.js";
import { type DevIssuer, ISSUER_PATHS } from "./issuer.js";
import { checkRequestLimits } from "./limits.js";
import type { ResourceMetadataEndpoint } from "./oauth/protected-resource.js";
import { type DevRequest, toDevRequest } from "./request.js";
import { type LineOutcome, requestLine } from "./request-line.js";
import { mutualTlsRefusal } from "./tls.js";

/**
 * What the local gateway does with each request: refuse a foreign `Host` or an ambiguous path,
 * serve the development issuer, answer a CORS preflight, else run the gateway (identity sources →
 * authorizer → cache → policy) and the backend; for a WebSocket API, the same for the `$connect`
 * upgrade. One request line per request.
 */

/** The paths the development issuer answers (anything else goes to the gateway without a detour). */
const ISSUER_PATH_SET: ReadonlySet<string> = new Set(Object.values(ISSUER_PATHS));

/** What the request handlers work with; built once by `startDevServer`. */
export interface RequestHandlersContext {
  readonly dev: DevConfig;
  readonly gateway: Gateway;
  readonly backend: Backend;
  readonly issuer: DevIssuer | null;
  readonly now: () => number;
  readonly logger: Logger;
  /** Where request lines go. */
  readonly write: (line: string) => void;
  /** gatepass's decision explanations by request id, folded into the request lines. */
  readonly explanations: Map<string, string>;
  /** False during start-up: the authorizer's own discovery requests to the issuer are not logged. */
  readonly ready: () => boolean;
  /** Upgraded sockets, for the server to close on shutdown. */
  readonly upgraded: Set<Duplex>;
  /** Routes, authorizes and picks the backend per request (an API definition, `api-router.ts`); default: `gateway` then `backend`. */
  readonly dispatch?: (request: DevRequest) => Promise<Dispatch>;
  /** The console: its paths are answered before anything else, and every other request is recorded. */
  readonly console?: { readonly handler: ConsoleHandler; readonly recorder: RequestRecorder };
  /** The protected resource's metadata (RFC 9728), answered without authorization at its path. */
  readonly resourceMetadata?: ResourceMetadataEndpoint;
}

export interface RequestHandlers {
  request(req: IncomingMessage, res: ServerResponse): void;
  /** Present for a WebSocket API only. */
  upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

/** The CORS headers of `dev.cors` (AWS console defaults for what is not set). */
function corsHeaders(cors: DevConfig["cors"]): Record<string, string> {
  if (!cors) return {};
  return {
    "access-control-allow-origin": cors.allowOrigin,
    "access-control-allow-headers":
      cors.allowHeaders ?? "Authorization,Content-Type,X-Amz-Date,X-Api-Key,X-Amz-Security-Token",
    "access-control-allow-methods": cors.allowMethods ?? "DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT",
  };
}

/** The `Sec-WebSocket-Accept` of a handshake (RFC 6455 §4.2.2). */
const websocketAccept = (key: string) =>
  createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");

function writeRaw(socket: Duplex, response: GatewayResponse, extra: Record<string, string>): void {
  const reason =
    {
      400: "Bad Request",
      401: "Unauthorized",
      403: "Forbidden",
      421: "Misdirected Request",
      500: "Internal Server Error",
    }[response.status] ?? "Error";
  const headers = {
    ...response.headers,
    ...extra,
    "content-length": String(Buffer.byteLength(response.body)),
    connection: "close",
  };
  const lines = [
    `HTTP/1.1 ${response.status} ${reason}`,
    ...Object.entries(headers).map(([n, v]) => `${n}: ${v}`),
  ];
  socket.end(`${lines.join("\r\n")}\r\n\r\n${response.body}`);
}

/** The request and upgrade handlers of the local gateway. */
export function createRequestHandlers(context: RequestHandlersContext): RequestHandlers {
  const { dev, gateway, issuer, now, logger, write, explanations, upgraded } = context;
  const recorder = context.console?.recorder;
  const activeBackend = context.backend;
  const dispatch =
    context.dispatch ??
    (async (request: DevRequest): Promise<Dispatch> => {
      const { input, verdict } = await gateway.authorize(request);
      if (!verdict.allowed)
        return { kind: "answer", response: verdict.response, outcome: verdict.outcome, verdict };
      return { kind: "backend", input, verdict, backend: activeBackend };
    });
  const allowedHosts: ReadonlySet<string> = new Set(dev.allowedHosts);
  const cors = corsHeaders(dev.cors);
  const requestIdHeader = Object.keys(requestIdHeaders(dev.api, ""))[0]!;
  const corsEntries = Object.entries(cors);
  /** The issuer's own path for a request path under its prefix (`""` or `/_gatepass/issuer`), else `undefined`. */
  const issuerPrefix = issuer?.pathPrefix ?? "";
  // RFC 8414 §3.1: the metadata of an issuer with a path has the well-known part inserted before it.
  const insertedMetadataPath = `${ISSUER_PATHS.authorizationServer}${issuerPrefix}`;
  const issuerPathOf = (path: string): string | undefined => {
    if (path === insertedMetadataPath) return ISSUER_PATHS.authorizationServer;
    if (!path.startsWith(issuerPrefix)) return undefined;
    const rest = path.slice(issuerPrefix.length);
    return ISSUER_PATH_SET.has(rest) ? rest : undefined;
  };
  /** The headers every response carries: the request id, then CORS. */
  const baseHeaders = (requestId: string): Record<string, string> => {
    const headers: Record<string, string> = {};
    headers[requestIdHeader] = requestId;
    for (let i = 0; i < corsEntries.length; i++) headers[corsEntries[i]![0]] = corsEntries[i]![1];
    return headers;
  };

  /** The one JSON line per request; gatepass's decision explanation is folded in when it gave one. */
  const logRequest = (
    request: DevRequest,
    status: number,
    started: number,
    outcome: LineOutcome,
    verdict: Verdict | undefined,
    upgrade?: true,
    backend?: BackendTrace,
  ): void => {
    const requestId = request.requestId;
    const explained = explanations.size > 0 ? explanations.get(requestId) : undefined;
    if (explained !== undefined) explanations.delete(requestId);
    const durationMs = Math.round((performance.now() - started) * 10) / 10;
    write(requestLine(request, status, outcome, verdict, upgrade, durationMs, explained));
    recorder?.record({
      request,
      status,
      outcome,
      verdict,
      durationMs,
      explained,
      ...(backend ? { backend } : {}),
    });
  };

  /**
   * The answer to a request refused before anything else runs: a `Host` that is not ours (no
   * CORS headers then: nothing for another origin to read), or a path an upstream could read
   * differently from the gateway. `undefined` when the request goes on.
   */
  const refusal = (req: IncomingMessage, request: DevRequest): GatewayResponse | undefined => {
    const host = checkRequestHost(req, allowedHosts);
    if (host === undefined && request.pathError === undefined) return undefined;
    const headers: Record<string, string> = { "content-type": "application/json" };
    headers[requestIdHeader] = request.requestId;
    if (host !== undefined)
      return { status: host.status, headers, body: JSON.stringify({ message: host.message }) };
    for (let i = 0; i < corsEntries.length; i++) headers[corsEntries[i]![0]] = corsEntries[i]![1];
    return {
      status: 400,
      headers,
      body: JSON.stringify({
        message: `Bad Request: ${request.pathError}; gatepass dev refuses paths an upstream could read as another path`,
      }),
    };
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const request = toDevRequest(req, now());
    const refused = refusal(req, request);
    if (refused !== undefined) {
      res.writeHead(refused.status, {
        ...refused.headers,
        "content-length": String(Buffer.byteLength(refused.body)),
      });
      res.end(refused.body);
      logRequest(request, refused.status, started, "refused", undefined);
      return;
    }
    if (context.console?.handler.handles(request.path)) {
      // The console's own requests: never authorized, never forwarded, not recorded.
      await context.console.handler.handle(req, res, request);
      return;
    }
    const base = baseHeaders(request.requestId);
    try {
      const issuerPath = issuer ? issuerPathOf(request.path) : undefined;
      if (issuer && issuerPath !== undefined && (await issuer.handle(req, res, issuerPath))) {
        // The authorizer's own start-up discovery is not news; later fetches (key refresh, /token) are logged.
        if (context.ready()) logRequest(request, res.statusCode, started, "issuer", undefined);
        return;
      }
      // Mutual TLS (--client-ca): a connection without a certificate the truststore accepts gets the custom domain's 403.
      if (request.clientCertRefusal !== undefined) {
        const r = mutualTlsRefusal(dev.api, request.requestId);
        explanations.set(request.requestId, `mutual TLS: ${request.clientCertRefusal}`);
        res.writeHead(r.status, r.headers);
        res.end(r.body);
        logRequest(request, r.status, started, "refused", undefined);
        return;
      }
      if (context.resourceMetadata?.handle(req, res, request.path)) {
        logRequest(request, res.statusCode, started, "metadata", undefined);
        return;
      }
      // API Gateway's request limits (headers, declared payload size), before anything else of the API runs.
      const limit = checkRequestLimits(dev.api, req);
      if (limit !== undefined) {
        const r = gateway.answer(limit, request, cors);
        res.writeHead(r.status, { ...r.headers, "content-length": String(Buffer.byteLength(r.body)) });
        res.end(r.body);
        logRequest(request, res.statusCode, started, "refused", undefined);
        return;
      }
      if (dev.cors && request.method === "OPTIONS") {
        // The CORS preflight is answered by the gateway, without the authorizer (as a mock OPTIONS method or an HTTP API's CORS).
        base["access-control-max-age"] = "600";
        res.writeHead(204, base);
        res.end();
        logRequest(request, res.statusCode, started, "preflight", undefined);
        return;
      }
      const routed = await dispatch(request);
      if (routed.kind === "answer") {
        const r = routed.response;
        res.writeHead(r.status, {
          ...r.headers,
          ...cors,
          "content-length": String(Buffer.byteLength(r.body)),
        });
        res.end(r.body);
        logRequest(request, res.statusCode, started, routed.outcome, routed.verdict);
        return;
      }
      const { input, verdict } = routed;
      const call: BackendCall = {
        req,
        res,
        input,
        caller: verdict.caller,
        responseHeaders: base,
        gatewayAnswer: (answer) => gateway.answer(answer, request, cors),
      };
      const trace: BackendTrace | undefined = recorder ? {} : undefined;
      await routed.backend.handle(trace ? { ...call, trace } : call);
      logRequest(request, res.statusCode, started, "allow", verdict, undefined, trace);
    } catch (error) {
      logger.error("internal_error", {
        requestId: request.requestId,
        detail: error instanceof Error ? error.message : String(error),
      });
      if (!res.headersSent) {
        res.writeHead(500, { ...base, "content-type": "application/json" });
        res.end(JSON.stringify({ message: "Internal server error" }));
      } else res.destroy();
    }
  };

  let upgrade: RequestHandlers["upgrade"];
  if (dev.api === "websocket") {
    // Only the `$connect` authorization is emulated: the handshake is authorized exactly like
    // API Gateway does; then an upstream gets the upgrade tunnelled, and without one the
    // gateway completes the handshake itself and discards messages (no route emulation).
    upgrade = (req, socket, head) => {
      const started = performance.now();
      const request = toDevRequest(req, now());
      socket.on("error", () => socket.destroy());
      const refused = refusal(req, request);
      if (refused !== undefined) {
        writeRaw(socket, refused, {});
        logRequest(request, refused.status, started, "refused", undefined, true);
        return;
      }
      const extra = baseHeaders(request.requestId);
      void (async () => {
        const routed = await dispatch(request);
        if (routed.kind === "answer") {
          writeRaw(socket, routed.response, cors);
          logRequest(request, routed.response.status, started, routed.outcome, routed.verdict, true);
          return;
        }
        const { input, verdict, backend } = routed;
        upgraded.add(socket);
        socket.on("close", () => upgraded.delete(socket));
        let status = 101;
        if (backend.upgrade)
          status =
            (await backend.upgrade(
              { req, input, caller: verdict.caller, responseHeaders: extra },
              socket,
              head,
            )) ?? 101;
        else {
          const key = req.headers["sec-websocket-key"];
          const lines = [
            "HTTP/1.1 101 Switching Protocols",
            "upgrade: websocket",
            "connection: Upgrade",
            ...(typeof key === "string" ? [`sec-websocket-accept: ${websocketAccept(key)}`] : []),
          ];
          socket.write(`${lines.join("\r\n")}\r\n\r\n`);
          socket.on("data", () => {});
        }
        logRequest(request, status, started, "allow", verdict, true);
      })().catch(() => socket.destroy());
    };
  }

  return {
    request: (req, res) => {
      void serve(req, res);
    },
    ...(upgrade ? { upgrade } : {}),
  };
}
