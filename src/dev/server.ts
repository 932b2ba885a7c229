import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import type { Duplex } from "node:stream";
import { hostName } from "../config/schema.js";
import type { DevConfig, GatepassConfig } from "../config/types.js";
import { certBindingWarnings } from "../lambda/cert-binding.js";
import { parseConfig } from "../lambda/config.js";
import { createLogger } from "../log.js";
import { parseJsonText } from "../util/json.js";
import type { Backend } from "./backends/backend.js";
import { createDemoBackend } from "./backends/demo.js";
import { createLambdaBackend } from "./backends/lambda.js";
import { createUpstreamBackend } from "./backends/upstream.js";
import { defaultDevConfig, withDevIssuer } from "./default-config.js";
import { createDevAuthorizer } from "./dev-authorizer.js";
import { type ApiIdentity, checkApiIdentity, DEFAULT_API_IDENTITY } from "./events.js";
import { Gateway } from "./gateway.js";
import { parseIdentitySources } from "./identity.js";
import { type LambdaHandler, loadHandler } from "./invoke.js";
import { DevIssuer, type MintRequest, type TokenResponse } from "./issuer.js";
import { RouteTable } from "./request.js";
import { createRequestHandlers, type RequestHandlers } from "./request-handlers.js";
import { UsagePlans } from "./usage-plans.js";

/**
 * The local API Gateway: one `node:http` server on 127.0.0.1 that serves the development issuer
 * and, for every other request, runs the gateway (identity sources → authorizer → cache → policy)
 * then the backend (see `request-handlers.ts`). This file owns the lifecycle: resolve the configuration,
 * start (port in use is one clear error), close (every connection, upgraded ones too).
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

  let handlers: RequestHandlers | undefined;
  const server = createServer((req, res) => {
    if (handlers) handlers.request(req, res);
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
    const { config, configDescription, dev } = resolveConfig(options, userDoc, {
      url,
      issuerEnabled,
      customAuthorizer: customAuthorizer !== undefined,
      extraHosts,
    });
    const trustsDevIssuer =
      issuer !== null && config !== null && !customAuthorizer && config.issuers.some((i) => i.issuer === url);
    // The authorizer: the team's own, or gatepass's; its decision lines are folded into the request line.
    const authorizer = createDevAuthorizer(
      config,
      customAuthorizer,
      typeof options.authorizer === "string" ? options.authorizer : undefined,
      { logger, now },
    );
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
    const gateway = new Gateway({
      api: dev.api,
      stage: dev.stage,
      identitySources: parseIdentitySources(dev.identitySources, dev.api),
      resultTtlSeconds: dev.resultTtlSeconds,
      authorizer: authorizer.handler,
      authorizerName: customAuthorizer ? "authorizer" : "gatepass-authorizer",
      timeoutMs: options.authorizerTimeoutMs ?? DEFAULT_AUTHORIZER_TIMEOUT_MS,
      ids,
      routes: new RouteTable(
        (config?.routes ?? []).map((r) => r.route),
        dev.api,
      ),
      now,
      logger,
      ...(dev.apiKeyRequired && (dev.api === "rest-token" || dev.api === "rest-request")
        ? { usagePlans: new UsagePlans(dev.usagePlans ?? [], now) }
        : {}),
    });
    if (dev.apiKeyRequired && dev.api !== "rest-token" && dev.api !== "rest-request")
      logger.warn("api_keys_not_emulated", {
        detail: `dev.apiKeyRequired applies to REST APIs only; ${dev.api} requests are not metered`,
      });
    for (const detail of config === null ? [] : certBindingWarnings(config, dev))
      logger.warn("cert_binding_config", { detail });
    handlers = createRequestHandlers({
      dev,
      gateway,
      backend: activeBackend,
      issuer,
      now,
      logger,
      write: options.log ?? console.log,
      explanations: authorizer.explanations,
      ready: () => ready,
      upgraded,
    });
    const upgrade = handlers.upgrade;
    if (upgrade) server.on("upgrade", upgrade);

    // Keys fetched ahead of the first request — discovery over HTTP to this very server, as on a
    // cold start. Never rejects: an unreachable issuer shows up as 401s with ERR_JWKS_UNAVAILABLE.
    await authorizer.hydrate();
    ready = true;

    return {
      url,
      port,
      dev,
      config,
      authorizerDescription: authorizer.description,
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

/**
 * The configuration in effect: the given document (trusting the dev issuer when it names none),
 * the embedded default, or none (a custom authorizer without a document); and its `dev` section
 * with the options' overrides and extra hosts.
 */
function resolveConfig(
  options: DevServerOptions,
  userDoc: Record<string, unknown> | undefined,
  context: { url: string; issuerEnabled: boolean; customAuthorizer: boolean; extraHosts: readonly string[] },
): { config: GatepassConfig | null; configDescription: string; dev: DevConfig } {
  const { url, issuerEnabled, extraHosts } = context;
  let config: GatepassConfig | null = null;
  let configDescription = "embedded default";
  if (userDoc !== undefined) {
    configDescription = options.config ? "options" : (options.configFile ?? "");
    config = parseConfig(issuerEnabled ? withDevIssuer(userDoc, url) : userDoc);
  } else if (!context.customAuthorizer) {
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
  return { config, configDescription, dev };
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
