import { readFileSync } from "node:fs";
import { Command } from "commander";
import type { GatepassConfig, IssuerConfig } from "../../config/types.js";
import { AuthErrorCodes, ConfigError, isAuthError } from "../../errors.js";
import { type AuthorizerResponse, createAuthorizer } from "../../lambda/authorizer.js";
import { loadConfig, parseConfig, rulesFor } from "../../lambda/config.js";
import { createMemoryLogger, silentLogger } from "../../log.js";
import { evaluatePolicy, validateAuthorizerResponse } from "../../policy/evaluate.js";
import { decodeUnverified } from "../../token/decode.js";
import { createVerifier } from "../../token/verifier.js";
import { type JsonObject, parseJsonText } from "../../util/json.js";
import { action, CliError, ExitCode, type ExitCodeValue, parser, printHuman, usageError } from "../output.js";

interface InspectOptions {
  config?: string;
  route?: Route;
  json?: boolean;
}

interface Route {
  method: string;
  path: string;
}

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/** `--route "METHOD /path"`: a concrete request, as API Gateway would see it. */
const parseRoute = parser((text: string): Route => {
  const match = /^\s*([A-Za-z]+)\s+(\/[^\s?#]*)(?:[?#]\S*)?\s*$/.exec(text);
  if (!match || !METHODS.includes(match[1]!.toUpperCase())) {
    throw new Error(
      `expected "METHOD /path" with METHOD one of ${METHODS.join(", ")}, got "${text.slice(0, 60)}"`,
    );
  }
  return { method: match[1]!.toUpperCase(), path: match[2]! };
});

/** A fixed, real-looking API: 12-digit account, 10-character API id, stage `dev`. */
const ARN_PREFIX = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev";

// ---------------------------------------------------------------- reading inputs

async function readToken(arg: string): Promise<string> {
  let text = arg;
  if (arg === "-") {
    if (process.stdin.isTTY) throw usageError("TOKEN is '-' but stdin is a terminal; pipe the token in");
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
    text = Buffer.concat(chunks).toString("utf8");
  }
  // Accept a pasted header value too.
  const token = text.trim().replace(/^bearer\s+/i, "");
  if (token.length === 0) throw usageError(arg === "-" ? "no token on stdin" : "TOKEN is empty");
  return token;
}

type LoadedConfig = { config: GatepassConfig; source: string } | { config: null; source: string };

function readConfig(path: string | undefined): LoadedConfig {
  if (path !== undefined) {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw new CliError(
        `cannot read the configuration ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
    let doc: unknown;
    try {
      doc = parseJsonText(text, path);
    } catch (error) {
      throw new CliError((error as Error).message);
    }
    return { config: parseOrFail(() => parseConfig(doc)), source: path };
  }
  const env = process.env;
  const configured = [
    "GATEPASS_CONFIG",
    "GATEPASS_SECRET",
    "SECRET_KEY",
    "GATEPASS_PUBLIC_KEY",
    "GATEPASS_JWKS_URI",
  ].some((name) => (env[name] ?? "").trim() !== "");
  if (!configured) return { config: null, source: "none" };
  return { config: parseOrFail(() => loadConfig(env)), source: "environment" };
}

function parseOrFail<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
}

// ---------------------------------------------------------------- human times

/** "14 minutes", "1 hour", "3 days": the whole units in `seconds`, rounded down. */
export function humanSpan(seconds: number): string {
  const s = Math.floor(Math.abs(seconds));
  if (s === 0) return "less than a second";
  const [n, unit] =
    s < 60
      ? [s, "second"]
      : s < 3600
        ? [Math.floor(s / 60), "minute"]
        : s < 172800
          ? [Math.floor(s / 3600), "hour"]
          : [Math.floor(s / 86400), "day"];
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}

/** In display order: chronological for a normal token. */
const PHRASES: Record<string, { past: string; future: string }> = {
  auth_time: { past: "authenticated {} ago", future: "authenticated {} in the future" },
  iat: { past: "issued {} ago", future: "issued {} in the future" },
  nbf: { past: "valid since {} ago", future: "not valid for another {}" },
  exp: { past: "expired {} ago", future: "expires in {}" },
};

interface TimeInfo {
  epoch: number;
  iso: string;
  relative: string;
}

function timesOf(payload: JsonObject | null, now: number): Record<string, TimeInfo> {
  const out: Record<string, TimeInfo> = {};
  if (!payload) return out;
  for (const [claim, phrase] of Object.entries(PHRASES)) {
    const value = payload[claim];
    if (typeof value !== "number" || !Number.isFinite(value) || Math.abs(value) > 253402300799) continue;
    const delta = value - now;
    out[claim] = {
      epoch: value,
      iso: new Date(value * 1000).toISOString(),
      relative: (delta >= 0 ? phrase.future : phrase.past).replace("{}", humanSpan(delta)),
    };
  }
  return out;
}

// ---------------------------------------------------------------- verification

interface Verification {
  valid: boolean;
  skipped?: boolean;
  code?: string;
  /** The library's sentence. */
  message?: string;
  /** The CLI's sentence, with what it knows more (relative times, configured values). */
  explanation: string;
  issuer?: string | null;
  principal?: string;
}

const q = (value: unknown) => {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return `'${text.length > 80 ? `${text.slice(0, 77)}...` : text}'`;
};
const qList = (values: readonly unknown[]) => `[${values.map(q).join(", ")}]`;

function issuerFor(config: GatepassConfig, payload: JsonObject | null): IssuerConfig | undefined {
  const iss = payload?.iss;
  return config.issuers.find((i) => i.issuer === iss) ?? config.issuers.find((i) => i.issuer === null);
}

/** One sentence for a refused token, richer than the library's where the CLI knows more. */
function explain(
  code: string,
  message: string,
  config: GatepassConfig,
  header: JsonObject | null,
  payload: JsonObject | null,
  now: number,
): string {
  const times = timesOf(payload, now);
  const issuer = issuerFor(config, payload);
  switch (code) {
    case AuthErrorCodes.EXPIRED:
      if (times.exp) return `The token ${times.exp.relative} (exp ${times.exp.iso}).`;
      break;
    case AuthErrorCodes.NOT_YET_VALID:
      if (times.nbf) return `The token is ${times.nbf.relative} (nbf ${times.nbf.iso}).`;
      break;
    case AuthErrorCodes.IAT_INVALID:
      if (times.iat && typeof payload?.iat === "number" && payload.iat > now) {
        return `The token was ${times.iat.relative} (iat ${times.iat.iso}).`;
      }
      if (times.iat && typeof issuer?.maxTokenAgeSeconds === "number") {
        return `The token was ${times.iat.relative}, more than maxTokenAgeSeconds (${issuer.maxTokenAgeSeconds}) allows.`;
      }
      break;
    case AuthErrorCodes.AUDIENCE_INVALID:
      if (payload?.aud !== undefined && issuer?.audience) {
        const aud = Array.isArray(payload.aud) ? qList(payload.aud) : q(payload.aud);
        return `The audience ${aud} is not one of ${qList(issuer.audience)}.`;
      }
      break;
    case AuthErrorCodes.ISSUER_INVALID:
      if (typeof payload?.iss === "string") {
        const known = config.issuers.map((i) => i.issuer).filter((i) => i !== null);
        return `The issuer ${q(payload.iss)} is not one of the configured issuers ${qList(known)}.`;
      }
      break;
    case AuthErrorCodes.ALGORITHM_NOT_ALLOWED:
      if (typeof header?.alg === "string" && header.alg.toLowerCase() !== "none") {
        const allowed = issuer?.algorithms ? ` (allowed: ${issuer.algorithms.join(", ")})` : "";
        return `The algorithm ${q(header.alg)} is not allowed for ${issuer?.issuer ? `the issuer ${q(issuer.issuer)}` : "this issuer"} or its key${allowed}.`;
      }
      break;
    case AuthErrorCodes.KEY_NOT_FOUND:
      if (typeof header?.kid === "string") return `${message.replace(/\.$/, "")} (kid ${q(header.kid)}).`;
      break;
    case AuthErrorCodes.SIGNATURE_INVALID:
      return "The signature does not verify: the token was signed with another key, or altered after signing.";
  }
  return message;
}

async function verify(
  token: string,
  config: GatepassConfig,
  header: JsonObject | null,
  payload: JsonObject | null,
  now: number,
): Promise<Verification> {
  const verifier = createVerifier(config, { logger: silentLogger, sharedKeyCache: false });
  try {
    const verified = await verifier.verify(token);
    // The authorizer also needs the principal; a token without one is refused there (401).
    const raw = verified.payload[config.principalClaim];
    const principal =
      typeof raw === "string" ? raw : typeof raw === "number" && Number.isFinite(raw) ? String(raw) : "";
    if (principal === "") {
      const message = `The principal claim ${q(config.principalClaim)} is missing or not a string.`;
      return {
        valid: false,
        code: AuthErrorCodes.CLAIM_MISSING,
        message,
        explanation: message,
        issuer: verified.issuer,
      };
    }
    return {
      valid: true,
      explanation: "The signature and every claim check out",
      issuer: verified.issuer,
      principal,
    };
  } catch (error) {
    if (!isAuthError(error)) {
      const message = error instanceof Error ? error.message : String(error);
      return { valid: false, code: "ERR_INTERNAL", message, explanation: message };
    }
    return {
      valid: false,
      code: error.code,
      message: error.message,
      explanation: explain(error.code, error.message, config, header, payload, now),
    };
  }
}

// ---------------------------------------------------------------- route decision

interface RouteResult {
  route: string;
  methodArn: string;
  decision: "allow" | "deny" | "unauthorized" | "error";
  /** What API Gateway answers the client. */
  status: 200 | 401 | 403 | 500;
  reason?: string;
  detail?: string;
  /** What the authorizer returned; `null` when it threw. */
  authorizerResponse: AuthorizerResponse | null;
  /** The error message when it threw (`Unauthorized` for a 401). */
  thrown: string | null;
  /** API Gateway's answer when the request does not reach the integration. */
  gatewayResponse: { statusCode: number; headers: Record<string, string>; body: string } | null;
}

const GATEWAY: Record<"401" | "403" | "403-explicit" | "500", RouteResult["gatewayResponse"]> = {
  "401": {
    statusCode: 401,
    headers: { "x-amzn-ErrorType": "UnauthorizedException" },
    body: '{"message":"Unauthorized"}',
  },
  "403": {
    statusCode: 403,
    headers: { "x-amzn-ErrorType": "AccessDeniedException" },
    body: '{"Message":"User is not authorized to access this resource"}',
  },
  "403-explicit": {
    statusCode: 403,
    headers: { "x-amzn-ErrorType": "AccessDeniedException" },
    body: '{"Message":"User is not authorized to access this resource with an explicit deny"}',
  },
  "500": {
    statusCode: 500,
    headers: { "x-amzn-ErrorType": "AuthorizerConfigurationException" },
    body: '{"message":null}',
  },
};

async function decideRoute(token: string, config: GatepassConfig, route: Route): Promise<RouteResult> {
  const methodArn = `${ARN_PREFIX}/${route.method}/${route.path.replace(/^\//, "")}`;
  const logger = createMemoryLogger();
  const authorizer = parseOrFail(() => createAuthorizer(config, { logger, sharedKeyCache: false }));
  const base = { route: `${route.method} ${route.path}`, methodArn };
  let response: AuthorizerResponse;
  try {
    response = await authorizer({ type: "TOKEN", authorizationToken: `Bearer ${token}`, methodArn });
  } catch (error) {
    const thrown = error instanceof Error ? error.message : String(error);
    const logged = [...logger.lines].reverse().find((l) => l.event === "decision");
    const unauthorized = thrown === "Unauthorized";
    return {
      ...base,
      decision: unauthorized ? "unauthorized" : "error",
      status: unauthorized ? 401 : 500,
      ...(typeof logged?.reason === "string" ? { reason: logged.reason } : {}),
      ...(typeof logged?.detail === "string" ? { detail: logged.detail } : {}),
      authorizerResponse: null,
      thrown,
      gatewayResponse: unauthorized ? GATEWAY["401"] : GATEWAY["500"],
    };
  }
  const logged = [...logger.lines].reverse().find((l) => l.event === "decision");
  const why = {
    ...(typeof logged?.reason === "string" ? { reason: logged.reason } : {}),
    ...(typeof logged?.detail === "string" ? { detail: logged.detail } : {}),
  };
  const simple = !("policyDocument" in response);
  // What API Gateway would refuse as a malformed answer (500), however it looks.
  const problems = validateAuthorizerResponse(response, simple ? "simple" : "iam", { flatContext: !simple });
  if (problems.length > 0) {
    return {
      ...base,
      decision: "error",
      status: 500,
      reason: "ERR_INVALID_RESPONSE",
      detail: problems.join("; "),
      authorizerResponse: response,
      thrown: null,
      gatewayResponse: GATEWAY["500"],
    };
  }
  // A simple response only answers HTTP API 2.0 events; a TOKEN event gets a policy, evaluated
  // here with IAM semantics, as API Gateway does (explicit Deny wins).
  const outcome =
    "policyDocument" in response
      ? evaluatePolicy(response.policyDocument, methodArn)
      : response.isAuthorized
        ? "allow"
        : "implicit-deny";
  const allowed = outcome === "allow";
  return {
    ...base,
    decision: allowed ? "allow" : "deny",
    status: allowed ? 200 : 403,
    ...why,
    authorizerResponse: response,
    thrown: null,
    gatewayResponse: allowed ? null : outcome === "explicit-deny" ? GATEWAY["403-explicit"] : GATEWAY["403"],
  };
}

// ---------------------------------------------------------------- output

interface Report {
  token: {
    header: JsonObject | null;
    payload: JsonObject | null;
    verified: false;
    note: string;
    error?: { code: string; message: string };
  };
  times: Record<string, TimeInfo>;
  configuration: string;
  verification: Verification;
  route?: RouteResult;
  /** Rule paths whose other methods any authenticated principal may call (unmatched routes allowed). */
  unmatchedMethods?: Array<{ path: string; methods: string[]; decidedBy: string }>;
  exitCode: ExitCodeValue;
}

const indent = (text: string, by = "  ") => text.replace(/^/gm, by);

function printReport(report: Report): void {
  const lines: string[] = [];
  const { token, times, verification, route } = report;
  lines.push("Decoded WITHOUT verification (do not trust these values unless verification passes below)");
  if (token.error) {
    lines.push(`  cannot decode: ${token.error.code}: ${token.error.message}`);
  } else {
    lines.push(
      "Header",
      indent(JSON.stringify(token.header, null, 2)),
      "Payload",
      indent(JSON.stringify(token.payload, null, 2)),
    );
  }
  const claims = Object.keys(times);
  if (claims.length > 0) {
    lines.push("Times");
    for (const claim of claims)
      lines.push(`  ${claim.padEnd(9)} ${times[claim]!.iso}  ${times[claim]!.relative}`);
    const { exp, iat } = times;
    if (exp && iat) lines.push(`  ${"lifetime".padEnd(9)} ${humanSpan(exp.epoch - iat.epoch)}`);
  }
  lines.push("");
  if (verification.skipped) {
    lines.push(`Verification: SKIPPED  ${verification.explanation}`);
  } else if (verification.valid) {
    const who = [
      verification.issuer ? `issuer ${q(verification.issuer)}` : "issuer not checked",
      `principal ${q(verification.principal)}`,
      typeof token.header?.alg === "string" ? `alg ${token.header.alg}` : "",
      typeof token.header?.kid === "string" ? `kid ${q(token.header.kid)}` : "",
    ].filter(Boolean);
    lines.push(
      `Verification: VALID  (configuration: ${report.configuration})`,
      `  ${verification.explanation}: ${who.join(", ")}.`,
    );
  } else {
    lines.push(
      `Verification: INVALID  ${verification.code}  (configuration: ${report.configuration})`,
      `  ${verification.explanation}`,
    );
  }
  if (report.unmatchedMethods && report.unmatchedMethods.length > 0) {
    const by =
      report.unmatchedMethods[0]!.decidedBy === "$default"
        ? "the open $default rule"
        : 'unmatchedRoutes ("allow")';
    lines.push("", `Open to any authenticated principal: no rule decides these methods, ${by} allows them`);
    for (const u of report.unmatchedMethods) lines.push(`  ${u.methods.join(", ")} ${u.path}`);
  }
  if (route) {
    const label = { allow: "ALLOW", deny: "DENY", unauthorized: "UNAUTHORIZED", error: "ERROR" }[
      route.decision
    ];
    lines.push("", `Route ${route.route}: ${label} (${route.status})`);
    if (route.reason || route.detail)
      lines.push(`  ${[route.reason, route.detail].filter(Boolean).join(": ")}`);
    lines.push(`  methodArn ${route.methodArn}`);
    if (route.thrown !== null) {
      lines.push(`  The authorizer throws Error(${JSON.stringify(route.thrown)}).`);
    } else {
      lines.push(
        "  The authorizer returns:",
        indent(JSON.stringify(route.authorizerResponse, null, 2), "    "),
      );
    }
    if (route.gatewayResponse) {
      const g = route.gatewayResponse;
      const headers = Object.entries(g.headers).map(([k, v]) => `${k}: ${v}`);
      lines.push(`  API Gateway answers ${g.statusCode} (${headers.join(", ")}) ${g.body}`);
    } else {
      lines.push(
        "  API Gateway passes the request to the integration, with the principalId and context above.",
      );
    }
  }
  printHuman(`${lines.join("\n")}\n`);
}

// ---------------------------------------------------------------- the command

async function inspect(tokenArg: string, options: InspectOptions): Promise<ExitCodeValue> {
  const token = await readToken(tokenArg);
  const { config, source } = readConfig(options.config);
  const now = Date.now() / 1000;

  let header: JsonObject | null = null;
  let payload: JsonObject | null = null;
  let decodeError: { code: string; message: string } | undefined;
  try {
    // A generous cap for display; verification applies the configured one.
    ({ header, payload } = decodeUnverified(token, 65536));
  } catch (error) {
    decodeError = isAuthError(error)
      ? { code: error.code, message: error.message }
      : { code: "ERR_JWT_MALFORMED", message: String(error) };
  }

  const verification: Verification =
    config === null
      ? {
          valid: false,
          skipped: true,
          explanation:
            "no configuration to verify against: pass --config FILE, or set GATEPASS_CONFIG, GATEPASS_SECRET, GATEPASS_PUBLIC_KEY or GATEPASS_JWKS_URI.",
        }
      : await verify(token, config, header, payload, now);
  const route =
    options.route && config !== null ? await decideRoute(token, config, options.route) : undefined;
  if (options.route && config === null) verification.explanation += " --route needs a configuration too.";

  const exitCode: ExitCodeValue =
    verification.valid && (route === undefined || route.decision === "allow")
      ? ExitCode.OK
      : ExitCode.FAILURE;
  const report: Report = {
    token: {
      header,
      payload,
      verified: false,
      note: "decoded without verification",
      ...(decodeError ? { error: decodeError } : {}),
    },
    times: timesOf(payload, now),
    configuration: source,
    verification,
    ...(route ? { route } : {}),
    ...(config !== null ? { unmatchedMethods: unmatchedMethodsOf(config) } : {}),
    exitCode,
  };
  if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else printReport(report);
  return exitCode;
}

/** The configuration's rule paths with methods left to an allowing unmatched-route answer. */
function unmatchedMethodsOf(config: GatepassConfig): NonNullable<Report["unmatchedMethods"]> {
  return rulesFor(config).unmatchedMethods.map((u) => ({
    path: u.path,
    methods: [...u.methods],
    decidedBy: u.decidedBy,
  }));
}

/** `gatepass inspect`: why a token is accepted or refused, and what the authorizer answers for a route. */
export function inspectCommand(): Command {
  return new Command("inspect")
    .description(
      "decode a JWT (without trusting it), verify it against the configuration, explain the result, and show the authorizer's answer for a route",
    )
    .argument("<token>", "the JWT, or - to read it from stdin")
    .option("--config <file>", "configuration JSON file [GATEPASS_CONFIG or the GATEPASS_* variables]")
    .option("--route <route>", 'a request to decide, "METHOD /path" (e.g. "GET /orders/42")', parseRoute)
    .option("--json", "print one JSON object")
    .addHelpText("after", "\nExit status: 0 valid (and allowed on --route), 1 otherwise, 2 for usage errors.")
    .action(action(inspect));
}
