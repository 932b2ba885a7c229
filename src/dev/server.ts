import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import type { Duplex } from "node:stream";
import { hostName } from "../config/schema.js";
import type { DevConfig, GatepassConfig } from "../config/types.js";
import { createAuthorizer } from "../lambda/authorizer.js";
import { parseConfig } from "../lambda/config.js";
import { createLogger, type LogFields, type Logger } from "../log.js";
import { parseJsonText } from "../util/json.js";
import { type Backend, createDemoBackend, createLambdaBackend, createUpstreamBackend } from "./backends.js";
import { defaultDevConfig, withDevIssuer } from "./default-config.js";
import { type ApiIdentity, checkApiIdentity, DEFAULT_API_IDENTITY } from "./events.js";
import { Gateway, type GatewayResponse, type Outcome, requestIdHeaders, type Verdict } from "./gateway.js";
import { checkRequestHost } from "./hosts.js";
import { parseIdentitySources } from "./identity.js";
import { type LambdaHandler, loadHandler } from "./invoke.js";
import { DevIssuer, ISSUER_PATHS, type MintRequest, type TokenResponse } from "./issuer.js";
import { type DevRequest, RouteTable, toDevRequest } from "./request.js";

/** The paths the development issuer answers (anything else goes to the gateway without a detour). */
const ISSUER_PATH_SET: ReadonlySet<string> = new Set(Object.values(ISSUER_PATHS));

/**
 * The local API Gateway: one `node:http` server on 127.0.0.1 that serves the development issuer
 * and, for every other request, runs the gateway (identity sources → authorizer → cache → policy)
 * then the backend. Owns the lifecycle: start (port in use is one clear error), close (every
 * connection, upgraded ones too).
 */

export interface DevServerOptions {
  /** TCP port on 127.0.0.1 [4000]; 0 picks a free one. */
  port?: number;
  /** A configuration document (object) — takes precedence over `configFile`. Default: the embedded demo. */
  config?: Record<string, unknown>;
  /** A JSON configuration file (`--config`). A document without `issuers` trusts the dev issuer. */
  configFile?: string;
  /** Reverse-proxy allowed requests to this URL (`--upstream`). */
  upstream?: string;
  /** Invoke this Lambda handler (`FILE[#export]` or a function) with proxy events (`--lambda`). */
  lambda?: string | LambdaHandler;
  /** Any Lambda authorizer (`FILE[#export]` or a function); default gatepass's `createAuthorizer(config)`. */
  authorizer?: string | LambdaHandler;
  /** Where the dev issuer keeps its signing key [`.gatepass/dev-keys` under `cwd`]. */
  keysDir?: string;
  /** Serve the development issuer (`/.well-known/*`, `/token`) [true]. */
  issuer?: boolean;
  /** The authorizer's time limit, ms [10000, as HTTP APIs]; over it the client gets 500. */
  authorizerTimeoutMs?: number;
  /** Overrides of the configuration's `dev` section (api type, TTL, …). */
  dev?: Partial<DevConfig>;
  /**
   * Host names answered besides the loopback ones, added to `dev.allowedHosts` (`--allow-host`).
   * Any other `Host` gets 421 before routing, the issuer or the backend (DNS rebinding).
   */
  allowedHosts?: readonly string[];
  /** The account and API id the ARNs use [`123456789012`, `gatepass01`, `us-east-1`]. */
  apiIdentity?: Partial<ApiIdentity>;
  /** Clock in ms, for the result cache, tokens and verification [Date.now]. */
  now?: () => number;
  /** Where log lines go [console.log]. */
  log?: (line: string) => void;
  /** Resolves relative paths [process.cwd()]. */
  cwd?: string;
}

/** A running local gateway. */
export interface DevServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The API type, stage, identity sources, TTL and CORS in effect. */
  readonly dev: DevConfig;
  /** The validated configuration (`null` with a custom authorizer and no configuration). */
  readonly config: GatepassConfig | null;
  /** `gatepass` or the `--authorizer` spec. */
  readonly authorizerDescription: string;
  readonly backendDescription: string;
  /** Where the configuration came from: `embedded default`, a file, `options`. */
  readonly configDescription: string;
  /** The dev issuer (`null` when disabled). */
  readonly issuer: DevIssuer | null;
  /** True when the authorizer's configuration trusts the dev issuer (its tokens work here). */
  readonly trustsDevIssuer: boolean;
  /** Mints a development token (throws when the issuer is disabled). */
  mintToken(request?: MintRequest): TokenResponse;
  /** Drops every cached authorizer result. */
  clearCache(): void;
  /** Stops accepting connections, closes open ones, resolves when the server is closed. */
  close(): Promise<void>;
}

/** `listen` failed because the port is taken. */
export class PortInUseError extends Error {
  override readonly name = "PortInUseError";
  readonly code = "ERR_PORT_IN_USE";
  constructor(readonly port: number) {
    super(`port ${port} is in use (try --port N)`);
  }
}

const DEFAULT_PORT = 4000;
const DEFAULT_AUTHORIZER_TIMEOUT_MS = 10_000;

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(
      `cannot read the configuration ${file} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  const doc = parseJsonText(text, `the configuration ${file}`);
  if (typeof doc !== "object" || doc === null || Array.isArray(doc))
    throw new Error(`the configuration ${file} is not a JSON object`);
  return doc as Record<string, unknown>;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((done, fail) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off("listening", onListening);
      fail(error.code === "EADDRINUSE" ? new PortInUseError(port) : error);
    };
    const onListening = () => {
      server.off("error", onError);
      done((server.address() as AddressInfo).port);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen({ port, host: "127.0.0.1", exclusive: true });
  });
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

/**
 * Starts the local gateway. Rejects with {@link PortInUseError} when the port is taken, or an
 * `Error` (one sentence) for a bad configuration, handler file or upstream URL.
 *
 * @example
 * const server = await startDevServer({ port: 0 });
 * const { access_token } = server.mintToken({ sub: "alice", scope: "orders:read" });
 * await fetch(`${server.url}/orders/42`, { headers: { authorization: `Bearer ${access_token}` } });
 * await server.close();
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const cwd = options.cwd ?? process.cwd();
  const now = options.now ?? Date.now;
  const logger = createLogger("info", options.log ?? console.log);
  const ids = checkApiIdentity({ ...DEFAULT_API_IDENTITY, ...options.apiIdentity });
  if (options.upstream !== undefined && options.lambda !== undefined)
    throw new Error("use either --upstream or --lambda, not both");
  const extraHosts = (options.allowedHosts ?? []).map((name) => hostName(name, "--allow-host"));

  // Everything that does not need the port is prepared before listening, so a bad file fails fast.
  const customAuthorizer =
    typeof options.authorizer === "string" ? await loadHandler(options.authorizer, cwd) : options.authorizer;
  const lambda = typeof options.lambda === "string" ? await loadHandler(options.lambda, cwd) : options.lambda;
  const userDoc =
    options.config ?? (options.configFile ? readConfigFile(resolve(cwd, options.configFile)) : undefined);
  const issuerEnabled = options.issuer !== false;
  const issuer = issuerEnabled
    ? await DevIssuer.open(resolve(cwd, options.keysDir ?? ".gatepass/dev-keys"), now)
    : null;

  let handleRequest: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let handleUpgrade: ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) | undefined;
  const server = createServer((req, res) => {
    if (handleRequest) handleRequest(req, res);
    else {
      res.writeHead(503, { "content-type": "application/json", connection: "close" });
      res.end(JSON.stringify({ message: "gatepass dev is starting" }));
    }
  });
  server.keepAliveTimeout = 5_000;
  const upgraded = new Set<Duplex>();
  const port = await listen(server, options.port ?? DEFAULT_PORT);
  const url = `http://127.0.0.1:${port}`;
  issuer?.setUrl(url);

  let backend: Backend | undefined;
  let ready = false;
  try {
    // The configuration: the given document (trusting the dev issuer when it names none), or the embedded default.
    let config: GatepassConfig | null = null;
    let configDescription = "embedded default";
    if (userDoc !== undefined) {
      configDescription = options.config ? "options" : (options.configFile ?? "");
      config = parseConfig(issuerEnabled ? withDevIssuer(userDoc, url) : userDoc);
    } else if (!customAuthorizer) {
      if (!issuerEnabled)
        throw new Error("the embedded default needs the dev issuer; pass --config or --authorizer");
      config = parseConfig(defaultDevConfig(url, options.dev?.api));
    } else {
      configDescription = "none, default dev settings";
    }
    // Without a configuration: API Gateway's own defaults (the token header, TTL 300 s), whatever the API type.
    const baseDev: DevConfig = config?.dev ?? parseConfig(defaultDevConfig(url)).dev;
    const dev: DevConfig = { ...baseDev, ...options.dev };
    if (extraHosts.length > 0) dev.allowedHosts = [...new Set([...(dev.allowedHosts ?? []), ...extraHosts])];
    const allowedHosts: ReadonlySet<string> = new Set(dev.allowedHosts);
    const identitySources = parseIdentitySources(dev.identitySources, dev.api);
    const trustsDevIssuer =
      issuer !== null && config !== null && !customAuthorizer && config.issuers.some((i) => i.issuer === url);

    // The authorizer: the team's own, or gatepass's; its decision lines are folded into the request line.
    const explanations = new Map<string, string>();
    let authorizer: LambdaHandler;
    let authorizerDescription: string;
    let hydrate = async () => {};
    if (customAuthorizer) {
      authorizer = customAuthorizer;
      authorizerDescription = typeof options.authorizer === "string" ? options.authorizer : "custom handler";
    } else {
      const gatepass = createAuthorizer(config, {
        logger: captureDecisions(logger, explanations),
        now,
        sharedKeyCache: false,
        fetch: unpooledFetch,
      });
      authorizer = gatepass as unknown as LambdaHandler;
      authorizerDescription = "gatepass";
      hydrate = () => gatepass.hydrate();
    }

    backend =
      options.upstream !== undefined
        ? createUpstreamBackend(options.upstream, logger)
        : lambda !== undefined
          ? createLambdaBackend(
              lambda,
              `lambda ${typeof options.lambda === "string" ? options.lambda : "handler"}`,
              logger,
            )
          : createDemoBackend(logger);
    const activeBackend = backend;

    const routes = new RouteTable(
      (config?.routes ?? []).map((r) => r.route),
      dev.api,
    );
    const gateway = new Gateway({
      api: dev.api,
      stage: dev.stage,
      identitySources,
      resultTtlSeconds: dev.resultTtlSeconds,
      authorizer,
      authorizerName: customAuthorizer ? "authorizer" : "gatepass-authorizer",
      timeoutMs: options.authorizerTimeoutMs ?? DEFAULT_AUTHORIZER_TIMEOUT_MS,
      ids,
      routes,
      now,
      logger,
    });
    const cors = corsHeaders(dev.cors);

    const write = options.log ?? console.log;
    const requestIdHeader = Object.keys(requestIdHeaders(dev.api, ""))[0]!;
    const corsEntries = Object.entries(cors);
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
    ): void => {
      const requestId = request.requestId;
      const explained = explanations.size > 0 ? explanations.get(requestId) : undefined;
      if (explained !== undefined) explanations.delete(requestId);
      const durationMs = Math.round((performance.now() - started) * 10) / 10;
      write(requestLine(request, status, outcome, verdict, upgrade, durationMs, explained));
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
      const base = baseHeaders(request.requestId);
      try {
        if (issuer && ISSUER_PATH_SET.has(request.path) && (await issuer.handle(req, res, request.path))) {
          // The authorizer's own start-up discovery is not news; later fetches (key refresh, /token) are logged.
          if (ready) logRequest(request, res.statusCode, started, "issuer", undefined);
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
        const { input, verdict } = await gateway.authorize(request);
        if (!verdict.allowed) {
          const r = verdict.response;
          res.writeHead(r.status, {
            ...r.headers,
            ...cors,
            "content-length": String(Buffer.byteLength(r.body)),
          });
          res.end(r.body);
          logRequest(request, res.statusCode, started, verdict.outcome, verdict);
          return;
        }
        await activeBackend.handle({ req, res, input, caller: verdict.caller, responseHeaders: base });
        logRequest(request, res.statusCode, started, "allow", verdict);
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
    handleRequest = (req, res) => {
      void serve(req, res);
    };

    if (dev.api === "websocket") {
      // Only the `$connect` authorization is emulated: the handshake is authorized exactly like
      // API Gateway does; then an upstream gets the upgrade tunnelled, and without one the
      // gateway completes the handshake itself and discards messages (no route emulation).
      handleUpgrade = (req, socket, head) => {
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
          const { input, verdict } = await gateway.authorize(request);
          if (!verdict.allowed) {
            writeRaw(socket, verdict.response, cors);
            logRequest(request, verdict.response.status, started, verdict.outcome, verdict, true);
            return;
          }
          upgraded.add(socket);
          socket.on("close", () => upgraded.delete(socket));
          if (activeBackend.upgrade)
            activeBackend.upgrade(
              { req, input, caller: verdict.caller, responseHeaders: extra },
              socket,
              head,
            );
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
          logRequest(request, 101, started, "allow", verdict, true);
        })().catch(() => socket.destroy());
      };
      server.on("upgrade", (req, socket, head) => handleUpgrade?.(req, socket, head));
    }

    // Keys fetched ahead of the first request — discovery over HTTP to this very server, as on a
    // cold start. Never rejects: an unreachable issuer shows up as 401s with ERR_JWKS_UNAVAILABLE.
    await hydrate();
    ready = true;

    return {
      url,
      port,
      dev,
      config,
      authorizerDescription,
      backendDescription: activeBackend.description,
      configDescription,
      issuer,
      trustsDevIssuer,
      mintToken(request?: MintRequest) {
        if (!issuer) throw new Error("the dev issuer is disabled");
        return issuer.mint(request);
      },
      clearCache: () => gateway.cache.clear(),
      close: () => closeServer(server, upgraded, activeBackend),
    };
  } catch (error) {
    await closeServer(server, upgraded, backend);
    throw error;
  }
}

function closeServer(server: Server, upgraded: Set<Duplex>, backend: Backend | undefined): Promise<void> {
  return new Promise((done) => {
    backend?.close();
    for (const socket of upgraded) socket.destroy();
    if (!server.listening) {
      done();
      return;
    }
    server.close(() => done());
    server.closeAllConnections();
  });
}

/** What the request line reports as `outcome`: the gateway's verdict, or who else answered. */
export type LineOutcome = Outcome | "issuer" | "preflight" | "refused";

/**
 * The request line: `level`, `event`, the request, the outcome, the verdict's reason, cache state
 * and principal, `upgrade`, the duration, and the authorizer's explanation — exactly what
 * `JSON.stringify` of one flat object with those fields gives (absent ones omitted), written out
 * by hand: it runs on every request, and the object plus the generic serializer cost more.
 */
export function requestLine(
  request: DevRequest,
  status: number,
  outcome: LineOutcome,
  verdict: Verdict | undefined,
  upgrade: true | undefined,
  durationMs: number,
  explained: string | undefined,
): string {
  // The request id (a UUID), the outcome and the cache state are the gateway's own words: nothing to escape.
  let line = `{"level":"info","event":"request","requestId":"${request.requestId}","method":${jsonString(request.method)},"path":${jsonString(request.path)},"status":${jsonNumber(status)},"outcome":"${outcome}"`;
  if (verdict !== undefined) {
    line += `,"reason":${jsonString(verdict.reason)},"cache":"${verdict.cache}"`;
    if (verdict.allowed) {
      const principal = verdict.caller.principalId;
      line += `,"principal":${principal === null ? "null" : jsonString(principal)}`;
    }
  }
  if (upgrade) line += ',"upgrade":true';
  line += `,"durationMs":${jsonNumber(durationMs)}`;
  if (explained !== undefined) line += `,"authorizer":${jsonString(explained)}`;
  return `${line}}`;
}

/** Characters `JSON.stringify` escapes in a string (quote, backslash, controls, lone surrogates). */
const JSON_ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(text)`; the common case (nothing to escape) without the serializer. */
const jsonString = (text: string): string => (JSON_ESCAPED.test(text) ? JSON.stringify(text) : `"${text}"`);

/** `JSON.stringify(n)` (`null` for NaN and infinities). */
const jsonNumber = (n: number): string => (Number.isFinite(n) ? String(n) : "null");

/**
 * `fetch` without connection reuse, for the authorizer's discovery and JWKS fetches (rare: once
 * per key-cache period). The issuer is often this very server: a pooled socket to a server that
 * was just closed (a restart on the same port in one process) would fail the next key fetch.
 */
const unpooledFetch: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set("connection", "close");
  return fetch(input, { ...init, headers });
};

/**
 * A logger for gatepass's own authorizer: its per-decision lines (reason code and detail) are kept
 * by request id and merged into the gateway's request line instead of printed separately; errors
 * (keys unavailable) and warnings still print.
 */
function captureDecisions(logger: Logger, explanations: Map<string, string>): Logger {
  const keep = (fields: LogFields | undefined) => {
    if (fields === undefined) return false;
    const id = fields.requestId;
    if (typeof id !== "string") return false;
    let text = "";
    const reason = fields.reason;
    const detail = fields.detail;
    if (typeof reason === "string" && reason.length > 0) text = reason;
    if (typeof detail === "string" && detail.length > 0)
      text = text.length > 0 ? `${text}: ${detail}` : detail;
    if (typeof fields.rule === "string")
      text = text.length > 0 ? `${text}: rule ${fields.rule}` : `rule ${fields.rule}`;
    explanations.set(id, text.length > 0 ? text : String(fields.outcome ?? ""));
    // Bounded: an entry whose request line was never written (client gone) must not pile up.
    if (explanations.size > 1000) {
      const oldest = explanations.keys().next();
      if (!oldest.done) explanations.delete(oldest.value);
    }
    return true;
  };
  return {
    debug: () => {},
    info: (event, fields) => {
      if (event === "decision") keep(fields);
    },
    warn: (event, fields) => logger.warn(event, fields),
    error: (event, fields) => {
      if (event === "decision") keep(fields);
      logger.error(event, fields);
    },
  };
}
