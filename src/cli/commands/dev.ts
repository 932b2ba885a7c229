import { basename } from "node:path";
import { Command, Option } from "commander";
import { DEV_APIS } from "../../config/schema.js";
import type { DevApiType, DevConfig } from "../../config/types.js";
import { DEMO_TOKEN } from "../../dev/default-config.js";
import { loadApiDefinitions } from "../../dev/definition/load.js";
import type { ApiDefinition } from "../../dev/definition/model.js";
import { devIssuerNeedsDpop, dpopBannerLines } from "../../dev/dpop-local.js";
import { parseIdentitySource } from "../../dev/identity.js";
import { resourceBanner } from "../../dev/oauth/protected-resource.js";
import { type DevServer, PortInUseError, startDevServer } from "../../dev/server.js";
import { parseDuration } from "../../token/sign.js";
import { action, CliError, ExitCode, parser, printHuman, usageError } from "../output.js";
import { definitionBanner } from "./dev-definition.js";
import { tlsBanner } from "./dev-tls.js";

interface DevOptions {
  config?: string;
  port?: number;
  upstream?: string;
  lambda?: string;
  authorizer?: string;
  api?: DevApiType;
  cacheTtl?: number;
  authorizerTimeout?: number;
  integrationTimeout?: number;
  watch?: boolean;
  keysDir?: string;
  issuer?: boolean;
  allowHost: string[];
  template?: string;
  serverless?: string;
  openapi?: string;
  apiName?: string;
  stage?: string;
  parameter: string[];
  function: string[];
  console: boolean;
  consolePrefix?: string;
  tls?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  clientCa?: string;
}

const API_TYPES = DEV_APIS;

const parsePort = (text: string): number => {
  if (!/^\d{1,5}$/.test(text.trim()) || Number(text) > 65535)
    throw new Error(`expected a port from 0 to 65535, got "${text.slice(0, 20)}"`);
  return Number(text);
};

const parseSeconds = parser((text: string): number => {
  const seconds = parseDuration(text);
  if (seconds > 3600) throw new Error("expected at most 3600 seconds (API Gateway's limit)");
  return seconds;
});

const parseTimeout = parser((text: string): number => {
  const trimmed = text.trim();
  const ms = /^\d+ms$/.test(trimmed) ? Number(trimmed.slice(0, -2)) : parseDuration(trimmed) * 1000;
  if (ms < 1 || ms > 300_000) throw new Error("expected a duration from 1ms to 300s, e.g. 10s or 500ms");
  return ms;
});

/** Collects a repeatable option's values. */
const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `KEY=VALUE` pairs of a repeatable option, as a record; a pair without `=` is a usage error. */
function pairs(values: readonly string[], option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf("=");
    if (at <= 0) throw usageError(`${option} expects KEY=VALUE, got "${value.slice(0, 40)}"`);
    out[value.slice(0, at)] = value.slice(at + 1);
  }
  return out;
}

/** The API definition named by `--template`, `--serverless` or `--openapi`, if any. */
function readDefinition(options: DevOptions): ApiDefinition | undefined {
  const files = { template: options.template, serverless: options.serverless, openapi: options.openapi };
  const given = Object.entries(files).filter(([, file]) => file !== undefined);
  if (given.length === 0) {
    for (const [flag, value] of [
      ["--api-name", options.apiName],
      ["--stage", options.stage],
    ] as const)
      if (value !== undefined) throw usageError(`${flag} needs --template, --serverless or --openapi`);
    return undefined;
  }
  if (given.length > 1) throw usageError("give one of --template, --serverless, --openapi");
  if (options.api !== undefined)
    throw usageError("--api sets the API type of a configuration; with a definition the file says it");
  let definitions: ApiDefinition[];
  try {
    definitions = loadApiDefinitions({
      ...files,
      cwd: process.cwd(),
      ...(options.apiName !== undefined ? { api: options.apiName } : {}),
      ...(options.stage !== undefined ? { stage: options.stage } : {}),
      ...(options.parameter.length > 0 ? { parameters: pairs(options.parameter, "--parameter") } : {}),
      ...(options.function.length > 0 ? { functions: pairs(options.function, "--function") } : {}),
    });
  } catch (error) {
    throw new CliError(error instanceof Error ? error.message : String(error), ExitCode.FAILURE);
  }
  const [first, ...rest] = definitions;
  if (first === undefined) throw new CliError("the definition declares no API", ExitCode.FAILURE);
  if (rest.length === 0) return first;
  // A serverless.yml may define a REST, an HTTP and a WebSocket API: serve the first, name the others.
  return {
    ...first,
    notes: [
      ...first.notes,
      {
        at: first.file,
        message: `the file also defines ${rest.map((d) => `${d.name} (${d.kind})`).join(", ")}; serve one of them with --api-name`,
      },
    ],
  };
}

/** Single quotes for a shell, so a printed line runs exactly as shown. */
const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** The start banner: where things are, and for the embedded default a token and curl lines that work as printed. */
function banner(server: DevServer, watch = false): string {
  const { dev } = server;
  const tls = tlsBanner(server);
  const lines = [
    `gatepass dev: local API Gateway (${dev.api}, stage ${dev.stage}) on ${server.url}`,
    `  authorizer  ${server.authorizerDescription} (config: ${server.configDescription})`,
    `  cache       ${dev.resultTtlSeconds > 0 && dev.api !== "websocket" ? `${dev.resultTtlSeconds} s, keyed by ${dev.identitySources.join(", ")}` : "off"}`,
    `  backend     ${server.definition ? "per route, below" : server.backendDescription}`,
    ...definitionBanner(server),
    ...tls.info,
  ];
  if (watch)
    lines.push(
      `  watch       handlers, authorizer${server.definition ? ", the definition" : ""} and --config reload on change`,
    );
  lines.push(...dpopBannerLines(server.config, dev, server.url, server.issuer?.url ?? null));
  if (dev.allowedHosts !== undefined && dev.allowedHosts.length > 0)
    lines.push(`  hosts       loopback names and ${dev.allowedHosts.join(", ")}`);
  const placement = server.issuerPlacement;
  if (server.consoleUrl !== null) lines.push(`  console     ${server.consoleUrl}`);
  lines.push(
    ...resourceBanner(server.config, dev.api, server.url, server.definition !== null, server.issuer?.url),
  );
  if (server.issuer) {
    const at = placement.prefix;
    lines.push(
      `  dev issuer  ${server.issuer.url} (${at}/.well-known/openid-configuration, ${at}/.well-known/jwks.json, POST ${at}/token)`,
    );
    if (at !== "")
      lines.push(
        `              under ${at}: the API's routes use the issuer's paths (${placement.shadowed.slice(0, 3).join(", ")}${placement.shadowed.length > 3 ? ", …" : ""})`,
      );
    if (!server.trustsDevIssuer && server.config !== null)
      lines.push("              (this configuration does not trust it: its tokens get 401 here)");
  } else if (placement.state === "off-untrusted") {
    lines.push(
      "  dev issuer  off: this configuration does not trust it (add --issuer to serve /token and discovery anyway)",
    );
  } else {
    lines.push("  dev issuer  off (--no-issuer)");
  }
  if (server.trustsDevIssuer && !devIssuerNeedsDpop(server.config, server.issuer?.url ?? null)) {
    const token = server.mintToken(DEMO_TOKEN).access_token;
    const source = dev.identitySources[0] ? parseIdentitySource(dev.identitySources[0]) : undefined;
    const header = source?.kind === "header" ? source.name : "authorization";
    const auth = `-H ${shellQuote(`${header === "authorization" ? "Authorization" : header}: Bearer ${token}`)}`;
    lines.push(
      "",
      `Ready token (sub ${DEMO_TOKEN.sub}, scope ${DEMO_TOKEN.scope}, not admin, valid 1 h):`,
      `  ${token}`,
      "",
    );
    if (server.configDescription === "embedded demo" && dev.api !== "websocket") {
      lines.push(
        "Try (each line runs as printed):",
        `  curl -i ${server.url}/orders/42 ${auth}   # 200 (scope orders:read)`,
        `  curl -i ${server.url}/orders/42   # 401 (no token)`,
        `  curl -i ${server.url}/admin/users ${auth}   # 403 (not in group admin)`,
        `  curl -s ${server.issuer!.url}/token -d sub=alice -d scope=orders:read -d ${shellQuote('claims={"groups":["admin"]}')}   # a token for an admin`,
      );
      if (server.consoleUrl !== null)
        lines.push("", `Then open ${server.consoleUrl} to see why each request got its answer.`);
    } else if (source?.kind === "header") {
      lines.push("Try:", `  curl -i ${server.url}/ ${auth}`);
    }
  }
  if (tls.tryLines.length > 0) lines.push("", ...tls.tryLines);
  lines.push("", "Ctrl-C to stop. One JSON line per request below.");
  return `${lines.join("\n")}\n`;
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((done) => {
    const on = (signal: NodeJS.Signals) => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      done(signal);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

async function run(options: DevOptions): Promise<undefined> {
  let port = options.port;
  if (port === undefined && process.env.PORT !== undefined && process.env.PORT !== "") {
    try {
      port = parsePort(process.env.PORT);
    } catch (error) {
      throw usageError(`PORT: ${(error as Error).message}`);
    }
  }
  const definition = readDefinition(options);
  for (const [flag, value] of [
    ["--tls-cert", options.tlsCert],
    ["--tls-key", options.tlsKey],
    ["--client-ca", options.clientCa],
  ] as const)
    if (value !== undefined && options.tls !== true) throw usageError(`${flag} needs --tls`);
  const dev: Partial<DevConfig> = {};
  if (options.api !== undefined) dev.api = options.api;
  if (options.cacheTtl !== undefined) dev.resultTtlSeconds = options.cacheTtl;
  let server: DevServer;
  try {
    server = await startDevServer({
      port: port ?? 4000,
      ...(options.config !== undefined ? { configFile: options.config } : {}),
      env: process.env,
      ...(options.upstream !== undefined ? { upstream: options.upstream } : {}),
      ...(options.lambda !== undefined ? { lambda: options.lambda } : {}),
      ...(options.authorizer !== undefined ? { authorizer: options.authorizer } : {}),
      ...(options.authorizerTimeout !== undefined ? { authorizerTimeoutMs: options.authorizerTimeout } : {}),
      ...(options.integrationTimeout !== undefined
        ? { integrationTimeoutMs: options.integrationTimeout }
        : {}),
      ...(options.watch === true ? { watch: true } : {}),
      ...(options.keysDir !== undefined ? { keysDir: options.keysDir } : {}),
      ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
      console: options.console,
      ...(options.consolePrefix !== undefined ? { consolePrefix: options.consolePrefix } : {}),
      ...(options.allowHost.length > 0 ? { allowedHosts: options.allowHost } : {}),
      dev,
      ...(definition !== undefined ? { definition } : {}),
      ...(options.tls === true
        ? {
            tls: {
              ...(options.tlsCert !== undefined ? { certFile: options.tlsCert } : {}),
              ...(options.tlsKey !== undefined ? { keyFile: options.tlsKey } : {}),
              ...(options.clientCa !== undefined ? { clientCaFile: options.clientCa } : {}),
            },
          }
        : {}),
    });
  } catch (error) {
    if (error instanceof PortInUseError) throw new CliError(error.message, ExitCode.FAILURE);
    throw new CliError(error instanceof Error ? error.message : String(error), ExitCode.FAILURE);
  }
  // --watch: the definition file too (its functions are watched through the server's handlers).
  if (options.watch === true && definition !== undefined) {
    const file = definition.file;
    server.handlers.onChange([file], () => {
      void (async () => {
        try {
          const next = readDefinition(options);
          if (next === undefined) return;
          await server.setDefinition(next);
          printHuman(`gatepass dev: ${basename(file)} reloaded (${next.routes.length} routes)\n`);
        } catch (error) {
          process.stderr.write(
            `gatepass dev: ${basename(file)} not reloaded, the previous version stays: ${error instanceof Error ? error.message : String(error)}\n`,
          );
        }
      })();
    });
  }
  // Listen before printing: whoever reads "Ctrl-C to stop" may signal at once (a test, a script).
  const stopped = waitForSignal();
  printHuman(banner(server, options.watch === true));
  const signal = await stopped;
  process.stdout.write(`gatepass dev: ${signal}, closing\n`);
  await server.close();
  // Anything still holding the event loop (a stuck upstream socket) must not keep a stopped server alive.
  setTimeout(() => process.exit(process.exitCode ?? 0), 2000).unref();
  return undefined;
}

/** `gatepass dev`: the local API Gateway (README, "Local development"). */
export function devCommand(): Command {
  return new Command("dev")
    .description(
      "run a local API Gateway on 127.0.0.1: a Lambda authorizer in-process on every request (identity sources, result cache, policy evaluation, AWS's status codes), a development issuer, and a backend (--upstream, --lambda, or a demo)",
    )
    .option(
      "--config <file>",
      "configuration JSON (without issuers it trusts the dev issuer) [GATEPASS_CONFIG, the GATEPASS_* / SECRET_KEY shortcuts, else the embedded demo]",
    )
    .option("--port <n>", "port on 127.0.0.1; 0 picks a free one [PORT or 4000]", parser(parsePort))
    .addOption(
      new Option("--upstream <url>", "reverse-proxy allowed requests to this URL").conflicts("lambda"),
    )
    .option(
      "--lambda <file[#export]>",
      "invoke this Lambda handler with proxy events (export handler by default; .ts compiled with esbuild)",
    )
    .option(
      "--authorizer <file[#export]>",
      "use this Lambda authorizer instead of gatepass's (export handler by default)",
    )
    .addOption(new Option("--api <type>", "API type, overrides dev.api").choices(API_TYPES))
    .option(
      "--cache-ttl <seconds>",
      "authorizer result cache TTL, overrides dev.resultTtlSeconds (0 disables)",
      parseSeconds,
    )
    .option(
      "--authorizer-timeout <duration>",
      "authorizer time limit, e.g. 10s or 500ms; over it: 500 [10s]",
      parseTimeout,
    )
    .option("--template <file>", "serve the API of this SAM or CloudFormation template (YAML or JSON)")
    .option("--serverless <file>", "serve the API of this serverless.yml (http, httpApi or websocket events)")
    .option(
      "--openapi <file>",
      "serve the API of this OpenAPI 3 / Swagger 2 file with x-amazon-apigateway-* extensions",
    )
    .option(
      "--api-name <name>",
      "which API of the file: its logical id, its Name, or rest, http or websocket (when the file defines several)",
    )
    .option("--stage <name>", "the stage served (serverless --stage; an OpenAPI file's stage)")
    .option(
      "--parameter <key=value>",
      "a template parameter's value (repeatable; like sam deploy --parameter-overrides)",
      collect,
      [],
    )
    .option(
      "--function <arn-or-name=file[#export]>",
      "OpenAPI files: the handler file of a Lambda function its integrations or authorizers name (repeatable)",
      collect,
      [],
    )
    .option(
      "--integration-timeout <duration>",
      "integration (backend) time limit, e.g. 29s or 500ms; over it: 504 (HTTP APIs 503) [REST 29s, HTTP API 30s]",
      parseTimeout,
    )
    .option(
      "--watch",
      "reload the --lambda and --authorizer handlers (any file they import) and the --config file when they change, without restarting",
    )
    .option(
      "--tls",
      "serve HTTPS, as an API Gateway custom domain (a development certificate for localhost unless --tls-cert)",
    )
    .option("--tls-cert <file>", "with --tls: the server certificate, PEM")
    .option("--tls-key <file>", "with --tls: the server certificate's private key, PEM")
    .option(
      "--client-ca <file>",
      "with --tls: mutual TLS; the truststore (PEM CA certificates) client certificates must chain to, as a custom domain's truststore; the certificate reaches every authorizer and backend event (REST and HTTP APIs)",
    )
    .option("--keys-dir <dir>", "where the dev issuer keeps its signing key [.gatepass/dev-keys]")
    .option(
      "--issuer",
      "serve the development issuer (discovery, JWKS, POST /token) even when the configuration does not trust it",
    )
    .option("--no-issuer", "do not serve the development issuer")
    .option(
      "--console-prefix <path>",
      "where the console lives on this server (its paths never reach a route) [/_gatepass]",
    )
    .option("--no-console", "do not serve the console (live requests, token explainer, mint, routes)")
    .option(
      "--allow-host <name>",
      "also answer requests whose Host is NAME (repeatable; adds to dev.allowedHosts). Only loopback names (localhost, 127.0.0.1, [::1]) are answered by default: any other Host gets 421 (DNS rebinding)",
      collect,
      [],
    )
    .action(action(run));
}
