import { readFileSync } from "node:fs";
import { createServer, type RequestListener, type Server } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import type { Duplex } from "node:stream";
import { type Env, environmentConfigSource, loadConfigWith } from "../config/from-env.js";
import { hostName } from "../config/schema.js";
import type { DevConfig, GatepassConfig } from "../config/types.js";
import { certBindingWarnings } from "../lambda/cert-binding.js";
import { parseConfig } from "../lambda/config.js";
import { dpopWarnings } from "../lambda/dpop.js";
import { createLogger } from "../log.js";
import { parseJsonText } from "../util/json.js";
import { type ApiRouter, createApiRouter, definitionApiType, type RouteSummary } from "./api-router.js";
import type { Backend } from "./backends/backend.js";
import { createDemoBackend } from "./backends/demo.js";
import { createLambdaBackend } from "./backends/lambda.js";
import { createUpstreamBackend } from "./backends/upstream.js";
import { loadConsoleAssets } from "./console/assets.js";
import { createDevConsole, type DevConsole } from "./console/console.js";
import { checkConsolePrefix } from "./console/handler.js";
import { configRouteSource, definitionRouteSource } from "./console/routes.js";
import { defaultDevConfig, withDevIssuer } from "./default-config.js";
import type {
  ApiDefinition,
  GatewayResponseDefinition,
  JwtAuthorizerDefinition,
  NativeJwtAuthorizer,
} from "./definition/model.js";
import { createDevAuthorizer, unpooledFetch } from "./dev-authorizer.js";
import { type ApiIdentity, checkApiIdentity, DEFAULT_API_IDENTITY } from "./events.js";
import { Gateway } from "./gateway.js";
import { createHandlerRegistry, type HandlerRegistry } from "./handlers/registry.js";
import { parseIdentitySources } from "./identity.js";
import type { LambdaHandler } from "./invoke.js";
import { DevIssuer, ISSUER_PATHS, type MintRequest, type TokenResponse } from "./issuer.js";
import { configRouteKeys, ISSUER_PREFIX, routesShadowedByIssuer } from "./issuer-placement.js";
import { createNativeJwtAuthorizer } from "./native-jwt.js";
import { configGatewayResponses, resourceMetadataEndpoint } from "./oauth/protected-resource.js";
import { RouteTable } from "./request.js";
import { createRequestHandlers, type RequestHandlers } from "./request-handlers.js";
import { createTlsServer, type DevTlsOptions, loadDevTls, pinnedFetch } from "./tls.js";
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
  /**
   * Environment read when neither `config` nor `configFile` is given: `GATEPASS_CONFIG` and the
   * `GATEPASS_*` / `SECRET_KEY` shortcuts, exactly as the Lambda reads them (the CLI passes
   * `process.env`). Without a configuration there, the embedded demo. [not read]
   */
  env?: Env;
  /**
   * Route keys of the API served (a definition's), besides the configuration's `routes`: when any of
   * them would answer the issuer's paths, the issuer moves under `/_gatepass/issuer`.
   */
  routeKeys?: readonly string[];
  /** Reverse-proxy allowed requests to this URL (`--upstream`). */
  upstream?: string;
  /** Invoke this Lambda handler (`FILE[#export]` or a function) with proxy events (`--lambda`). */
  lambda?: string | LambdaHandler;
  /** Any Lambda authorizer (`FILE[#export]` or a function); default gatepass's `createAuthorizer(config)`. */
  authorizer?: string | LambdaHandler;
  /** Where the dev issuer keeps its signing key [`.gatepass/dev-keys` under `cwd`]. */
  keysDir?: string;
  /**
   * Serve the development issuer (`/.well-known/*`, `/token`): `true` always (`--issuer`), `false`
   * never (`--no-issuer`); unset, only when the configuration trusts it (the embedded demo, a
   * document without `issuers`, an issuer entry naming it) or there is no configuration.
   */
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
  /**
   * Serve exactly this API (read from a SAM template, a serverless.yml or an OpenAPI file): its
   * routes, each route's authorizer (or none) and integration (see `api-router.ts`). The API type
   * and stage come from it; the configuration's routes and `upstream`/`lambda` are not used.
   */
  definition?: ApiDefinition;
  /** The emulation of AWS's native JWT authorizers, for a definition's JWT authorizers [`createNativeJwtAuthorizer`]. */
  nativeJwt?: (definition: JwtAuthorizerDefinition) => NativeJwtAuthorizer;
  /**
   * Reload on change (`--watch`): the `--lambda` and `--authorizer` handlers and a definition's
   * functions (any file of their input graph) and the configuration file, without restarting the
   * server [false]. A definition file is reloaded through {@link DevServer.setDefinition}.
   */
  watch?: boolean;
  /** The integration's time limit, ms [REST and WebSocket 29 000, HTTP APIs 30 000]. */
  integrationTimeoutMs?: number;
  /** Gateway Responses to apply to the gateway's own answers (REST APIs) [a definition's `gatewayResponses`]. */
  gatewayResponses?: readonly GatewayResponseDefinition[];
  /** Serve the console (live requests, token explainer, mint, routes) under {@link consolePrefix} [true]. */
  console?: boolean;
  /** Where the console lives (`--console-prefix`) [`/_gatepass`]; its paths never reach a route. */
  consolePrefix?: string;
  /**
   * Serve HTTPS (`--tls`), and with `clientCaFile` mutual TLS as on an API Gateway custom domain
   * (see `tls.ts`) [plain HTTP].
   */
  tls?: DevTlsOptions;
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
  /**
   * Where the configuration came from, by name only: `embedded demo`, the `--config` file as given,
   * `GATEPASS_CONFIG`, `SECRET_KEY shortcut` (the variable holding the key source), `options`.
   */
  readonly configDescription: string;
  /** The API definition served (`null`: the configuration's routes). */
  readonly definition: ApiDefinition | null;
  /** The definition's routes with their authorizer and integration, for the banner (empty without one). */
  readonly routes: readonly RouteSummary[];
  /** The dev issuer (`null` when not served). */
  readonly issuer: DevIssuer | null;
  /** Why the issuer is served or not, and where; for the banner. */
  readonly issuerPlacement: IssuerPlacement;
  /** True when the authorizer's configuration trusts the dev issuer (its tokens work here). */
  readonly trustsDevIssuer: boolean;
  /** The console's URL (`http://127.0.0.1:<port>/_gatepass/`); `null` when off. */
  readonly consoleUrl: string | null;
  /** HTTPS (`--tls`): whether mutual TLS is on, the truststore, the CA file for `curl --cacert`; `null` over HTTP. */
  readonly tls: {
    readonly mutual: boolean;
    readonly truststoreFile: string | null;
    readonly trustedCount: number;
    readonly serverCaFile: string | null;
  } | null;
  /** Mints a development token (throws when the issuer is disabled). */
  mintToken(request?: MintRequest): TokenResponse;
  /**
   * The server's handlers: stable functions that always call a handler's current version, and
   * file watching (`onChange`) for anything else that reloads with `--watch` (a definition file).
   */
  readonly handlers: HandlerRegistry;
  /**
   * Serves another version of the definition (same API type), keeping the server and its
   * connections; rejects, keeping the current one, when the new one cannot be served.
   */
  setDefinition(definition: ApiDefinition): Promise<void>;
  /** Drops every cached authorizer result. */
  clearCache(): void;
  /** Stops accepting connections, closes open ones, resolves when the server is closed. */
  close(): Promise<void>;
}

/** Whether and where the development issuer is served. */
export interface IssuerPlacement {
  /** `on`; `off-flag` (`--no-issuer`); `off-untrusted` (the configuration does not trust it). */
  readonly state: "on" | "off-flag" | "off-untrusted";
  /** `""` or `/_gatepass/issuer`. */
  readonly prefix: string;
  /** The route keys that made the prefix necessary. */
  readonly shadowed: readonly string[];
}

/**
 * True when `uri` is the dev issuer's key set at `issuerUrl` under any loopback name
 * (`http://localhost:4000/.well-known/jwks.json` for an issuer on `http://127.0.0.1:4000`).
 */
function isDevJwksUri(uri: string | undefined, issuerUrl: string): boolean {
  if (uri === undefined) return false;
  try {
    const at = new URL(uri);
    const dev = new URL(`${issuerUrl}${ISSUER_PATHS.jwks}`);
    return (
      at.protocol === "http:" &&
      ["127.0.0.1", "localhost", "[::1]"].includes(at.hostname) &&
      at.port === dev.port &&
      at.pathname === dev.pathname
    );
  } catch {
    return false;
  }
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

function listen(server: Server | HttpsServer, port: number): Promise<number> {
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
  const registry = createHandlerRegistry({ cwd, watch: options.watch === true, logger });
  let customAuthorizer: LambdaHandler | undefined;
  let lambda: LambdaHandler | undefined;
  let userDoc: Record<string, unknown> | undefined;
  try {
    customAuthorizer =
      typeof options.authorizer === "string" ? await registry.load(options.authorizer) : options.authorizer;
    lambda = typeof options.lambda === "string" ? await registry.load(options.lambda) : options.lambda;
    userDoc =
      options.config ?? (options.configFile ? readConfigFile(resolve(cwd, options.configFile)) : undefined);
  } catch (error) {
    registry.close();
    throw error;
  }
  const issuerEnabled = options.issuer !== false;
  const consolePrefix =
    options.console === false ? null : checkConsolePrefix(options.consolePrefix ?? "/_gatepass");
  const consoleAssets = consolePrefix === null ? null : await loadConsoleAssets();

  const keysDir = resolve(cwd, options.keysDir ?? ".gatepass/dev-keys");
  let devTls: ReturnType<typeof loadDevTls> | null = null;
  try {
    devTls = options.tls ? loadDevTls(options.tls, keysDir, cwd, now()) : null;
  } catch (error) {
    registry.close();
    throw error;
  }

  let handlers: RequestHandlers | undefined;
  const listener: RequestListener = (req, res) => {
    if (handlers) handlers.request(req, res);
    else {
      res.writeHead(503, { "content-type": "application/json", connection: "close" });
      res.end(JSON.stringify({ message: "gatepass dev is starting" }));
    }
  };
  const server = devTls ? createTlsServer(devTls, listener) : createServer(listener);
  server.keepAliveTimeout = 5_000;
  const upgraded = new Set<Duplex>();
  const port = await listen(server, options.port ?? DEFAULT_PORT);
  const url = `${devTls ? "https" : "http"}://127.0.0.1:${port}`;
  // Over TLS, the authorizer reaches the development issuer on this server by pinning its certificate.
  const authorizerFetch = devTls ? pinnedFetch(url, devTls.serverCertificate, unpooledFetch) : undefined;

  let backend: Backend | undefined;
  let state: State | undefined;
  let ready = false;
  let unwatchConfig: (() => void) | undefined;
  const close = () => {
    unwatchConfig?.();
    state?.router?.close();
    registry.close();
    return closeServer(server, upgraded, backend);
  };
  try {
    const first = resolveConfig(options, userDoc, {
      url,
      issuerEnabled,
      customAuthorizer: customAuthorizer !== undefined,
      extraHosts,
    });
    const { issuerUrl, shadowed } = first;
    const trusted = (config: GatepassConfig | null) =>
      config?.issuers.some((i) => i.issuer === issuerUrl || isDevJwksUri(i.jwksUri, issuerUrl)) === true;
    // A configuration that trusts other issuers gets no token endpoint unless asked for: its
    // tokens would not be accepted, and a stray /token must not look like part of the API.
    const served = options.issuer ?? (first.config === null || trusted(first.config));
    const issuer = served ? await DevIssuer.open(keysDir, now) : null;
    issuer?.setUrl(issuerUrl);
    issuer?.setProtectedResource(() => state?.config?.resource);
    const issuerPlacement: IssuerPlacement = {
      state: served ? "on" : options.issuer === false ? "off-flag" : "off-untrusted",
      prefix: issuerUrl.slice(url.length),
      shadowed,
    };
    backend =
      options.upstream !== undefined
        ? createUpstreamBackend(options.upstream, logger, integrationTimeout(options))
        : lambda !== undefined
          ? createLambdaBackend(
              lambda,
              `lambda ${typeof options.lambda === "string" ? options.lambda : "handler"}`,
              logger,
              integrationTimeout(options),
            )
          : createDemoBackend(logger);
    const activeBackend = backend;

    /**
     * Everything the configuration and the definition decide: built at start, and again when
     * `--watch` sees the configuration change or the definition is replaced.
     */
    const build = async (
      resolved: ReturnType<typeof resolveConfig>,
      definition: ApiDefinition | undefined,
    ): Promise<State> => {
      const { config, configDescription } = resolved;
      // With a definition, the API type and stage are the definition's.
      const dev: DevConfig = definition
        ? { ...resolved.dev, api: definitionApiType(definition.kind), stage: definition.stage }
        : resolved.dev;
      const trustsDevIssuer = issuer !== null && !customAuthorizer && trusted(config);
      if (devTls?.mutual && dev.api === "websocket")
        throw new Error(
          "--client-ca: API Gateway has mutual TLS for REST and HTTP APIs only, not WebSocket APIs (--tls alone serves wss://)",
        );
      // The authorizer: the team's own, or gatepass's; its decision lines are folded into the request line.
      const authorizer = createDevAuthorizer(
        config,
        customAuthorizer,
        typeof options.authorizer === "string" ? options.authorizer : undefined,
        { logger, now, url, ...(authorizerFetch ? { fetch: authorizerFetch } : {}) },
      );
      // A definition's Gateway Responses as written; else those a resource's REST API deploys.
      const gatewayResponses =
        options.gatewayResponses ?? definition?.gatewayResponses ?? configGatewayResponses(config, dev.api);
      const authorizerDescription = customAuthorizer ? authorizer.description : "gatepass";
      let router: ApiRouter | undefined;
      const devConsole: DevConsole | undefined =
        consolePrefix !== null && consoleAssets !== null
          ? createDevConsole({
              prefix: consolePrefix,
              assets: consoleAssets,
              url,
              dev,
              ids,
              config,
              gatepassAuthorizer: !customAuthorizer,
              issuer,
              trustsDevIssuer,
              routes: definition
                ? definitionRouteSource(definition.kind, config, () => router?.routes ?? [])
                : configRouteSource(config, authorizerDescription),
              authorizer: authorizerDescription,
              backend: definition ? "per route" : activeBackend.description,
              now,
              logger,
            })
          : undefined;
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
        ...(gatewayResponses !== undefined ? { gatewayResponses } : {}),
        ...(devConsole ? { observe: devConsole.recorder } : {}),
      });
      router = definition
        ? await createApiRouter({
            definition,
            ids,
            now,
            logger,
            cwd,
            apiGateway: gateway,
            handlers: registry,
            fallbackAuthorizer: authorizer.handler,
            overrideAuthorizers: customAuthorizer !== undefined,
            authorizerTimeoutMs: options.authorizerTimeoutMs ?? DEFAULT_AUTHORIZER_TIMEOUT_MS,
            ...(options.integrationTimeoutMs !== undefined
              ? { integrationTimeoutMs: options.integrationTimeoutMs }
              : {}),
            nativeJwt:
              options.nativeJwt ??
              ((def) =>
                createNativeJwtAuthorizer(def, {
                  now,
                  logger,
                  ...(authorizerFetch ? { fetch: authorizerFetch } : {}),
                })),
          })
        : undefined;
      if (dev.apiKeyRequired && dev.api !== "rest-token" && dev.api !== "rest-request")
        logger.warn("api_keys_not_emulated", {
          detail: `dev.apiKeyRequired applies to REST APIs only; ${dev.api} requests are not metered`,
        });
      for (const detail of config === null ? [] : certBindingWarnings(config, dev))
        logger.warn("cert_binding_config", { detail });
      for (const detail of config === null ? [] : dpopWarnings(config, dev))
        logger.warn("dpop_config", { detail });
      const resourceMetadata = resourceMetadataEndpoint(config);
      const requestHandlers = createRequestHandlers({
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
        ...(router ? { dispatch: router.dispatch } : {}),
        ...(devConsole ? { console: devConsole } : {}),
        ...(resourceMetadata ? { resourceMetadata } : {}),
      });
      return {
        config,
        configDescription,
        dev,
        trustsDevIssuer,
        authorizer,
        gateway,
        router,
        definition,
        requestHandlers,
        devConsole,
      };
    };
    /** Builds the next state and puts it in place, or throws keeping the current one. */
    const replace = async (
      doc: Record<string, unknown> | undefined,
      definition: ApiDefinition | undefined,
    ) => {
      const current = state!;
      const next = await build(
        resolveConfig(options, doc, {
          url,
          issuerEnabled,
          customAuthorizer: customAuthorizer !== undefined,
          extraHosts,
        }),
        definition,
      );
      if (next.dev.api !== current.dev.api) {
        next.router?.close();
        throw new Error(
          `the API type changed from ${current.dev.api} to ${next.dev.api}; restart gatepass dev for that`,
        );
      }
      await next.authorizer.hydrate();
      state = next;
      handlers = next.requestHandlers;
      current.router?.close();
    };

    state = await build(first, options.definition);
    handlers = state.requestHandlers;
    if (handlers.upgrade)
      server.on("upgrade", (req, socket, head) => state?.requestHandlers.upgrade?.(req, socket, head));

    // Keys fetched ahead of the first request — discovery over HTTP to this very server, as on a
    // cold start. Never rejects: an unreachable issuer shows up as 401s with ERR_JWKS_UNAVAILABLE.
    await state.authorizer.hydrate();
    ready = true;

    let currentDoc = userDoc;
    if (options.watch === true && options.config === undefined && options.configFile !== undefined) {
      const configFile = resolve(cwd, options.configFile);
      unwatchConfig = registry.onChange([configFile], () => {
        void (async () => {
          try {
            const doc = readConfigFile(configFile);
            await replace(doc, state?.definition);
            currentDoc = doc;
            logger.info("config_reloaded", { detail: `${options.configFile} reloaded` });
          } catch (error) {
            logger.error("config_reload_failed", {
              detail: `${error instanceof Error ? error.message : String(error)}; the previous configuration stays in effect`,
            });
          }
        })();
      });
    }

    const current = () => state!;
    return {
      url,
      port,
      get dev() {
        return current().dev;
      },
      get config() {
        return current().config;
      },
      get authorizerDescription() {
        return current().authorizer.description;
      },
      backendDescription: activeBackend.description,
      get configDescription() {
        return current().configDescription;
      },
      get definition() {
        return current().definition ?? null;
      },
      get routes() {
        return current().router?.routes ?? [];
      },
      issuer,
      issuerPlacement,
      tls: devTls
        ? {
            mutual: devTls.mutual,
            truststoreFile: devTls.truststoreFile,
            trustedCount: devTls.trustedCount,
            serverCaFile: devTls.serverCaFile,
          }
        : null,
      get trustsDevIssuer() {
        return current().trustsDevIssuer;
      },
      get consoleUrl() {
        const devConsole = current().devConsole;
        return devConsole ? `${url}${devConsole.path}` : null;
      },
      mintToken(request?: MintRequest) {
        if (!issuer) throw new Error("the dev issuer is disabled");
        return issuer.mint(request);
      },
      clearCache: () => {
        current().gateway.cache.clear();
        current().router?.clearCache();
      },
      handlers: registry,
      setDefinition: (definition: ApiDefinition) => replace(currentDoc, definition),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** What the configuration and the definition in effect decide; replaced whole on a reload. */
interface State {
  readonly config: GatepassConfig | null;
  readonly configDescription: string;
  readonly dev: DevConfig;
  readonly trustsDevIssuer: boolean;
  readonly authorizer: ReturnType<typeof createDevAuthorizer>;
  readonly gateway: Gateway;
  readonly router: ApiRouter | undefined;
  readonly definition: ApiDefinition | undefined;
  readonly requestHandlers: RequestHandlers;
  readonly devConsole: DevConsole | undefined;
}

/** The integration time limit of `options`, for the backends (their default is the API type's). */
const integrationTimeout = (options: DevServerOptions): { timeoutMs?: number } =>
  options.integrationTimeoutMs !== undefined ? { timeoutMs: options.integrationTimeoutMs } : {};

/**
 * The configuration in effect, by precedence: the given document or `--config` file, else the
 * environment (`GATEPASS_CONFIG`, the shortcuts; read by the Lambda's own loader), else the embedded
 * demo, or none (a custom authorizer without a configuration). A document without `issuers` trusts
 * the dev issuer. Also: where the issuer goes (under `/_gatepass/issuer` when a route would answer
 * its paths), and the `dev` section with the options' overrides and extra hosts.
 */
function resolveConfig(
  options: DevServerOptions,
  userDoc: Record<string, unknown> | undefined,
  context: { url: string; issuerEnabled: boolean; customAuthorizer: boolean; extraHosts: readonly string[] },
): {
  config: GatepassConfig | null;
  configDescription: string;
  dev: DevConfig;
  issuerUrl: string;
  shadowed: string[];
} {
  const { url, issuerEnabled, extraHosts } = context;
  let issuerUrl = url;
  let shadowed: string[] = [];
  /** Places the issuer away from the document's routes, then validates (the dev issuer trusted when no issuer is named). */
  const parse = (doc: unknown): GatepassConfig => {
    const record =
      typeof doc === "object" && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
    shadowed = routesShadowedByIssuer([...configRouteKeys(record), ...extraRouteKeys(options)]);
    issuerUrl = shadowed.length > 0 ? `${url}${ISSUER_PREFIX}` : url;
    return parseConfig(issuerEnabled && doc === record ? withDevIssuer(record, issuerUrl) : doc);
  };
  let config: GatepassConfig | null = null;
  let configDescription = "embedded demo";
  const fromEnv =
    userDoc === undefined && options.env !== undefined ? environmentConfigSource(options.env) : undefined;
  if (userDoc !== undefined) {
    configDescription = options.config ? "options" : (options.configFile ?? "");
    config = parse(userDoc);
  } else if (fromEnv !== undefined && options.env !== undefined) {
    configDescription = fromEnv;
    config = loadConfigWith(options.env, parse);
  } else if (!context.customAuthorizer) {
    if (!issuerEnabled)
      throw new Error(
        "the embedded demo needs the dev issuer; pass --config, set GATEPASS_CONFIG, or use --authorizer",
      );
    config = parse(defaultDevConfig(url, options.dev?.api));
    // The demo's own routes never use the issuer's paths; a definition's routes may.
    if (issuerUrl !== url) config = parseConfig(defaultDevConfig(issuerUrl, options.dev?.api));
  } else {
    configDescription = "none, default dev settings";
    shadowed = routesShadowedByIssuer(extraRouteKeys(options));
    issuerUrl = shadowed.length > 0 ? `${url}${ISSUER_PREFIX}` : url;
  }
  // Without a configuration: API Gateway's own defaults (the token header, TTL 300 s), whatever the API type.
  const baseDev: DevConfig = config?.dev ?? parseConfig(defaultDevConfig(url)).dev;
  const dev: DevConfig = { ...baseDev, ...options.dev };
  if (extraHosts.length > 0) dev.allowedHosts = [...new Set([...(dev.allowedHosts ?? []), ...extraHosts])];
  return { config, configDescription, dev, issuerUrl, shadowed };
}

/** Route keys besides the configuration's that the issuer must not shadow: the option's and a definition's. */
const extraRouteKeys = (options: DevServerOptions): string[] => [
  ...(options.routeKeys ?? []),
  ...(options.definition?.routes.map((route) => route.routeKey) ?? []),
];

function closeServer(
  server: Server | HttpsServer,
  upgraded: Set<Duplex>,
  backend: Backend | undefined,
): Promise<void> {
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
