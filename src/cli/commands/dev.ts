import { Command, Option } from "commander";
import { DEV_APIS } from "../../config/schema.js";
import type { DevApiType, DevConfig } from "../../config/types.js";
import { DEMO_TOKEN } from "../../dev/default-config.js";
import { parseIdentitySource } from "../../dev/identity.js";
import { type DevServer, PortInUseError, startDevServer } from "../../dev/server.js";
import { parseDuration } from "../../token/sign.js";
import { action, CliError, ExitCode, parser, printHuman, usageError } from "../output.js";

interface DevOptions {
  config?: string;
  port?: number;
  upstream?: string;
  lambda?: string;
  authorizer?: string;
  api?: DevApiType;
  cacheTtl?: number;
  authorizerTimeout?: number;
  keysDir?: string;
  issuer: boolean;
  allowHost: string[];
  console: boolean;
  consolePrefix?: string;
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

/** Single quotes for a shell, so a printed line runs exactly as shown. */
const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

/** The start banner: where things are, and for the embedded default a token and curl lines that work as printed. */
function banner(server: DevServer): string {
  const { dev } = server;
  const lines = [
    `gatepass dev: local API Gateway (${dev.api}, stage ${dev.stage}) on ${server.url}`,
    `  authorizer  ${server.authorizerDescription} (config: ${server.configDescription})`,
    `  cache       ${dev.resultTtlSeconds > 0 && dev.api !== "websocket" ? `${dev.resultTtlSeconds} s, keyed by ${dev.identitySources.join(", ")}` : "off"}`,
    `  backend     ${server.backendDescription}`,
  ];
  if (dev.allowedHosts !== undefined && dev.allowedHosts.length > 0)
    lines.push(`  hosts       loopback names and ${dev.allowedHosts.join(", ")}`);
  if (server.consoleUrl !== null) lines.push(`  console     ${server.consoleUrl}`);
  if (server.issuer) {
    lines.push(
      `  dev issuer  ${server.issuer.url} (/.well-known/openid-configuration, /.well-known/jwks.json, POST /token)`,
    );
  }
  if (server.trustsDevIssuer) {
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
    if (server.configDescription === "embedded default" && dev.api !== "websocket") {
      lines.push(
        "Try (each line runs as printed):",
        `  curl -i ${server.url}/orders/42 ${auth}   # 200 (scope orders:read)`,
        `  curl -i ${server.url}/orders/42   # 401 (no token)`,
        `  curl -i ${server.url}/admin/users ${auth}   # 403 (not in group admin)`,
        `  curl -s ${server.url}/token -d sub=alice -d scope=orders:read -d ${shellQuote('claims={"groups":["admin"]}')}   # a token for an admin`,
      );
      if (server.consoleUrl !== null)
        lines.push("", `Then open ${server.consoleUrl} to see why each request got its answer.`);
    } else if (source?.kind === "header") {
      lines.push("Try:", `  curl -i ${server.url}/ ${auth}`);
    }
  }
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
  const dev: Partial<DevConfig> = {};
  if (options.api !== undefined) dev.api = options.api;
  if (options.cacheTtl !== undefined) dev.resultTtlSeconds = options.cacheTtl;
  let server: DevServer;
  try {
    server = await startDevServer({
      port: port ?? 4000,
      ...(options.config !== undefined ? { configFile: options.config } : {}),
      ...(options.upstream !== undefined ? { upstream: options.upstream } : {}),
      ...(options.lambda !== undefined ? { lambda: options.lambda } : {}),
      ...(options.authorizer !== undefined ? { authorizer: options.authorizer } : {}),
      ...(options.authorizerTimeout !== undefined ? { authorizerTimeoutMs: options.authorizerTimeout } : {}),
      ...(options.keysDir !== undefined ? { keysDir: options.keysDir } : {}),
      issuer: options.issuer,
      console: options.console,
      ...(options.consolePrefix !== undefined ? { consolePrefix: options.consolePrefix } : {}),
      ...(options.allowHost.length > 0 ? { allowedHosts: options.allowHost } : {}),
      dev,
    });
  } catch (error) {
    if (error instanceof PortInUseError) throw new CliError(error.message, ExitCode.FAILURE);
    throw new CliError(error instanceof Error ? error.message : String(error), ExitCode.FAILURE);
  }
  // Listen before printing: whoever reads "Ctrl-C to stop" may signal at once (a test, a script).
  const stopped = waitForSignal();
  printHuman(banner(server));
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
      "configuration JSON (without issuers it trusts the dev issuer) [embedded demo]",
    )
    .option("--port <n>", "port on 127.0.0.1; 0 picks a free one [PORT or 4000]", parser(parsePort))
    .addOption(
      new Option("--upstream <url>", "reverse-proxy allowed requests to this URL").conflicts("lambda"),
    )
    .option(
      "--lambda <file[#export]>",
      "invoke this Lambda handler with proxy events (export handler by default)",
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
    .option("--keys-dir <dir>", "where the dev issuer keeps its signing key [.gatepass/dev-keys]")
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
