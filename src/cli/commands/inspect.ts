import { Command } from "commander";
import type { GatepassConfig } from "../../config/types.js";
import {
  compareNative,
  NATIVE_FLAVOURS,
  type NativeFlavourName,
  nativeDefinitionFor,
} from "../../dev/native-compare.js";
import { createNativeJwtAuthorizer } from "../../dev/native-jwt.js";
import { inspectToken } from "../../inspect/inspect-token.js";
import { presetsOf, unmatchedMethodsOf } from "../../inspect/presets.js";
import { parseRoute, type Route } from "../../inspect/route.js";
import { shortSecretWarnings } from "../../keys/short-secrets.js";
import { parseOrFail, readConfig, readToken } from "../inspect/inputs.js";
import { printReport, type Report } from "../inspect/report.js";
import { action, ExitCode, type ExitCodeValue, parser, usageError } from "../output.js";

interface InspectOptions {
  config?: string;
  route?: Route;
  json?: boolean;
  native?: NativeFlavourName | true;
  nativeIssuer?: string;
  nativeAudience: string[];
  scope: string[];
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const parseNativeFlavour = parser((text: string): NativeFlavourName => {
  if (!Object.hasOwn(NATIVE_FLAVOURS, text))
    throw new Error(`expected one of ${Object.keys(NATIVE_FLAVOURS).join(", ")}, got "${text.slice(0, 20)}"`);
  return text as NativeFlavourName;
});

/** `--route "METHOD /path"`: a concrete request, as API Gateway would see it. */
const parseRouteOption = parser(parseRoute);

async function inspect(tokenArg: string, options: InspectOptions): Promise<ExitCodeValue> {
  const token = await readToken(tokenArg);
  const { config, source } = readConfig(options.config);
  const inspection = await parseOrFailAsync(() =>
    inspectToken(token, config, {
      ...(options.route ? { route: options.route } : {}),
      noConfiguration:
        "no configuration to verify against: pass --config FILE, or set GATEPASS_CONFIG, GATEPASS_SECRET, GATEPASS_PUBLIC_KEY or GATEPASS_JWKS_URI.",
    }),
  );
  const { verification, route } = inspection;
  if (options.route && config === null) verification.explanation += " --route needs a configuration too.";

  if (
    options.native === undefined &&
    (options.scope.length > 0 || options.nativeIssuer !== undefined || options.nativeAudience.length > 0)
  )
    throw usageError("--scope, --native-issuer and --native-audience go with --native");
  let native: Report["native"];
  if (options.native !== undefined) {
    let def: ReturnType<typeof nativeDefinitionFor>;
    try {
      def = nativeDefinitionFor(config, options.native === true ? "http-api" : options.native, {
        ...(options.nativeIssuer !== undefined ? { issuer: options.nativeIssuer } : {}),
        audience: options.nativeAudience,
      });
    } catch (error) {
      throw usageError((error as Error).message);
    }
    native = await compareNative(createNativeJwtAuthorizer(def, { now: Date.now }), token, options.scope);
  }

  const exitCode: ExitCodeValue =
    verification.valid && (route === undefined || route.decision === "allow")
      ? ExitCode.OK
      : ExitCode.FAILURE;
  const report: Report = {
    token: inspection.token,
    times: inspection.times,
    configuration: source,
    verification,
    ...(route ? { route } : {}),
    ...(config?.issuers.some((i) => i.preset !== undefined) ? { presets: presetsOf(config) } : {}),
    ...(config !== null ? { unmatchedMethods: unmatchedMethodsOf(config) } : {}),
    ...(config !== null ? { warnings: warningsOf(config, source) } : {}),
    ...(native ? { native } : {}),
    exitCode,
  };
  if (options.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else printReport(report);
  return exitCode;
}

/** {@link parseOrFail} for an async step: a `ConfigError` becomes a CLI error with its message. */
async function parseOrFailAsync<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    return parseOrFail(() => {
      throw error;
    });
  }
}

/**
 * What the authorizer warns about at every cold start (a legacy short secret trusted under
 * `allowInsecureShortSecret`, or that opt-in left on with no short secret), by field or, for a
 * configuration from the shortcuts, by variable. Never a secret nor its length.
 */
function warningsOf(config: GatepassConfig, source: string): NonNullable<Report["warnings"]> {
  const { short, unused } = shortSecretWarnings(config);
  const env = process.env;
  const fromShortcuts = source === "environment" && (env.GATEPASS_CONFIG ?? "").trim() === "";
  const name = (field: string) => {
    if (!fromShortcuts) return field;
    if (field === "issuers[0].secret[1]") return "GATEPASS_SECRET_PREVIOUS";
    if (field === "issuers[0].secret" || field === "issuers[0].secret[0]")
      return env.GATEPASS_SECRET !== undefined ? "GATEPASS_SECRET" : "SECRET_KEY";
    if (field === "issuers[0].allowInsecureShortSecret") return "GATEPASS_ALLOW_INSECURE_SHORT_SECRET";
    return field;
  };
  return [...short, ...unused].map((w) => ({ field: name(w.field), detail: w.detail }));
}

/** `gatepass inspect`: why a token is accepted or refused, and what the authorizer answers for a route. */
export function inspectCommand(): Command {
  return new Command("inspect")
    .description(
      "decode a JWT (without trusting it), verify it against the configuration, explain the result, and show the authorizer's answer for a route",
    )
    .argument("<token>", "the JWT, or - to read it from stdin")
    .option("--config <file>", "configuration JSON file [GATEPASS_CONFIG or the GATEPASS_* variables]")
    .option(
      "--route <route>",
      'a request to decide, "METHOD /path" (e.g. "GET /orders/42")',
      parseRouteOption,
    )
    .option("--json", "print one JSON object")
    .option(
      "--native [kind]",
      "also judge the token as AWS's own JWT authorizer would: http-api (default), rest, or cognito; it fetches the issuer's discovery document and keys",
      parseNativeFlavour,
    )
    .option(
      "--native-issuer <url>",
      "the native authorizer's issuer [the configuration's first exact issuer]",
    )
    .option(
      "--native-audience <aud>",
      "an audience of the native authorizer, repeatable [that issuer's audience]",
      collect,
      [],
    )
    .option(
      "--scope <scope>",
      "a scope the route requires of the native authorizer, repeatable (any one suffices)",
      collect,
      [],
    )
    .addHelpText(
      "after",
      "\nExit status: 0 valid (and allowed on --route), 1 otherwise, 2 for usage errors. --native is reported beside gatepass's answer and does not change the exit status.",
    )
    .action(action(inspect));
}
