import { ConfigError } from "../errors.js";
import { fileSystem } from "../util/builtins.js";
import { jsonErrorPosition } from "../util/json.js";
import { REPLAY_TABLE_VARIABLE, replayTableOf } from "./dpop-replay.js";
import type { GatepassConfig } from "./types.js";

export type Env = Record<string, string | undefined>;

/** Where each single-issuer environment shortcut lands in the configuration document. */
const SHORTCUT_FIELDS: Record<string, string> = {
  // Most specific first: `secret` is an array when GATEPASS_SECRET_PREVIOUS is set.
  "issuers[0].secret[1]": "GATEPASS_SECRET_PREVIOUS",
  "issuers[0].secret": "GATEPASS_SECRET",
  "issuers[0].allowInsecureShortSecret": "GATEPASS_ALLOW_INSECURE_SHORT_SECRET",
  "context.claims": "GATEPASS_CONTEXT_CLAIMS",
  "issuers[0].publicKey": "GATEPASS_PUBLIC_KEY",
  "issuers[0].jwksUri": "GATEPASS_JWKS_URI",
  "issuers[0].issuer": "GATEPASS_ISSUER",
  "issuers[0].audience": "GATEPASS_AUDIENCE",
  "issuers[0].algorithms": "GATEPASS_ALGORITHMS",
  principalClaim: "GATEPASS_PRINCIPAL_CLAIM",
  logLevel: "GATEPASS_LOG_LEVEL",
};

/** The variables read whatever the configuration's source (a document or the shortcuts), by field. */
const LOG_VARIABLES = { logLevel: "GATEPASS_LOG_LEVEL", logSampleRate: "GATEPASS_LOG_SAMPLE_RATE" } as const;

/** `GATEPASS_LOG_SAMPLE_RATE` as a number; anything else is kept as is, for validation to name. */
export const sampleRateOf = (raw: string): unknown => {
  const text = raw.trim();
  return /^(0|1)(\.\d+)?$|^\.\d+$/.test(text) ? Number(text) : text;
};

const list = (value: string) =>
  value
    .split(",")
    .map((v) => v.trim())
    .filter((v) => v.length > 0);

/** `null` (the word) skips a check on purpose, as `null` does in the JSON document. */
const nullable = (value: string | undefined) =>
  value === undefined ? undefined : value.trim() === "null" ? null : value.trim();

/** A path is echoed in messages only when it plainly is one: never a mangled inline document. */
const SAFE_PATH = /^[\w./\\:~@+-]{1,256}$/;

function readDocument(raw: string): unknown {
  const text = raw.trim();
  const inline = text.startsWith("{");
  let source = text;
  if (!inline) {
    try {
      source = fileSystem().readFileSync(text, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "error";
      throw new ConfigError(
        "GATEPASS_CONFIG",
        SAFE_PATH.test(text)
          ? `cannot read the file ${JSON.stringify(text)} (${code}).`
          : `is neither inline JSON (starting with "{") nor the path of a readable file (${code}).`,
      );
    }
  }
  try {
    return JSON.parse(source);
  } catch (error) {
    throw new ConfigError(
      "GATEPASS_CONFIG",
      `${inline ? "is not valid JSON" : `the file ${JSON.stringify(text)} is not valid JSON`} (${jsonErrorPosition(error)}).`,
    );
  }
}

/** The variable that supplied the secret, for error messages. */
const secretVariable = (env: Env) => (env.GATEPASS_SECRET !== undefined ? "GATEPASS_SECRET" : "SECRET_KEY");

/** Builds the single-issuer document from the `GATEPASS_*` shortcuts, or `undefined` when none is set. */
function shortcutDocument(env: Env): Record<string, unknown> | undefined {
  const secret = env.GATEPASS_SECRET ?? env.SECRET_KEY;
  const publicKey = env.GATEPASS_PUBLIC_KEY?.replace(/\\n/g, "\n");
  const jwksUri = env.GATEPASS_JWKS_URI;
  // A secret may hold any character (commas, newlines): the one previous secret of a rotation has
  // a variable of its own rather than a separator inside GATEPASS_SECRET.
  const previous = env.GATEPASS_SECRET_PREVIOUS === "" ? undefined : env.GATEPASS_SECRET_PREVIOUS;
  if (previous !== undefined && secret === undefined)
    throw new ConfigError(
      "GATEPASS_SECRET_PREVIOUS",
      "is trusted along with GATEPASS_SECRET (or SECRET_KEY), which is not set.",
    );
  if (secret === undefined && publicKey === undefined && jwksUri === undefined) return undefined;
  const issuer: Record<string, unknown> = {};
  if (secret !== undefined) issuer.secret = previous === undefined ? secret : [secret, previous];
  const allowShort = env.GATEPASS_ALLOW_INSECURE_SHORT_SECRET?.trim().toLowerCase();
  if (allowShort !== undefined && allowShort !== "") {
    if (allowShort !== "true" && allowShort !== "false")
      throw new ConfigError("GATEPASS_ALLOW_INSECURE_SHORT_SECRET", 'expected "true" or "false".');
    issuer.allowInsecureShortSecret = allowShort === "true";
  }
  if (publicKey !== undefined) issuer.publicKey = publicKey;
  if (jwksUri !== undefined) issuer.jwksUri = jwksUri.trim();
  const iss = nullable(env.GATEPASS_ISSUER);
  if (iss !== undefined) issuer.issuer = iss;
  const aud = nullable(env.GATEPASS_AUDIENCE);
  if (aud !== undefined) issuer.audience = aud === null ? null : list(aud);
  if (env.GATEPASS_ALGORITHMS !== undefined) issuer.algorithms = list(env.GATEPASS_ALGORITHMS);
  const doc: Record<string, unknown> = { issuers: [issuer] };
  if (env.GATEPASS_PRINCIPAL_CLAIM !== undefined) doc.principalClaim = env.GATEPASS_PRINCIPAL_CLAIM;
  const contextClaims = env.GATEPASS_CONTEXT_CLAIMS;
  if (contextClaims !== undefined && contextClaims.trim() !== "")
    doc.context = { claims: list(contextClaims) };
  return doc;
}

/** The variables that hold a key source, in the order a shortcut configuration names them. */
const KEY_SOURCE_VARIABLES = [
  "GATEPASS_SECRET",
  "SECRET_KEY",
  "GATEPASS_PUBLIC_KEY",
  "GATEPASS_JWKS_URI",
] as const;

/**
 * Where a configuration in `env` comes from, without reading or validating it: `GATEPASS_CONFIG`,
 * `"<VARIABLE> shortcut"` for the single-issuer shortcuts (the variable holding the key source),
 * or `undefined` when neither is set (blank values count as unset). Names only, never a value:
 * safe for a banner or a report. Commands that fall back to something else without a configuration
 * (`inspect`, `dev`) ask this first, then {@link loadConfigWith}.
 */
export function environmentConfigSource(env: Env): string | undefined {
  const set = (name: string) => (env[name] ?? "").trim() !== "";
  if (set("GATEPASS_CONFIG")) return "GATEPASS_CONFIG";
  const variable = KEY_SOURCE_VARIABLES.find(set);
  return variable === undefined ? undefined : `${variable} shortcut`;
}

/** Validates a configuration document: the caller's full validation (shape, keys, rules). */
export type ConfigParser = (doc: unknown) => GatepassConfig;

/**
 * Loads the configuration from the environment (README, "Configuration") and validates it with `parse`:
 * `GATEPASS_CONFIG` (inline JSON, or a path to a JSON file), else the single-issuer shortcuts
 * `GATEPASS_SECRET` (alias `SECRET_KEY`), `GATEPASS_PUBLIC_KEY`, `GATEPASS_JWKS_URI`,
 * `GATEPASS_ISSUER`, `GATEPASS_AUDIENCE`, `GATEPASS_ALGORITHMS`, `GATEPASS_PRINCIPAL_CLAIM`,
 * `GATEPASS_SECRET_PREVIOUS` (a second trusted secret, for rotation), `GATEPASS_ALLOW_INSECURE_SHORT_SECRET`
 * and `GATEPASS_CONTEXT_CLAIMS` (comma-separated). `GATEPASS_LOG_LEVEL`, `GATEPASS_LOG_SAMPLE_RATE` and
 * `GATEPASS_DPOP_REPLAY_TABLE` (`dpopReplay` on DynamoDB, this table) apply to both. Throws one `ConfigError` naming the variable or field:
 * an error of a field set by a shortcut names the variable. `loadConfig` (`lambda/config.ts`) is
 * this with the full validation.
 */
export function loadConfigWith(env: Env, parse: ConfigParser): GatepassConfig {
  let doc: Record<string, unknown> | undefined;
  let fromShortcuts = false;
  if (env.GATEPASS_CONFIG !== undefined && env.GATEPASS_CONFIG.trim() !== "") {
    const parsed = readDocument(env.GATEPASS_CONFIG);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new ConfigError("GATEPASS_CONFIG", "expected a JSON object.");
    }
    doc = { ...(parsed as Record<string, unknown>) };
  } else {
    doc = shortcutDocument(env);
    fromShortcuts = true;
  }
  if (doc === undefined) {
    throw new ConfigError(
      "",
      "no configuration found: set GATEPASS_CONFIG (JSON or a file path), or GATEPASS_SECRET, GATEPASS_PUBLIC_KEY or GATEPASS_JWKS_URI.",
    );
  }
  if (env.GATEPASS_LOG_LEVEL !== undefined) doc.logLevel = env.GATEPASS_LOG_LEVEL.trim().toLowerCase();
  if (env.GATEPASS_LOG_SAMPLE_RATE !== undefined)
    doc.logSampleRate = sampleRateOf(env.GATEPASS_LOG_SAMPLE_RATE);
  // The table of a shared DPoP replay store, often named by the deployment (a CloudFormation `!Ref`).
  const replayTable = replayTableOf(env);
  if (replayTable !== undefined) {
    const current = doc.dpopReplay;
    const rest = typeof current === "object" && current !== null && !Array.isArray(current) ? current : {};
    doc.dpopReplay = { ...rest, store: "dynamodb", table: replayTable };
  }
  try {
    return parse(doc);
  } catch (error) {
    if (error instanceof ConfigError && fromShortcuts) {
      if (error.field === "issuers[0]") {
        const set = ["GATEPASS_SECRET", "SECRET_KEY", "GATEPASS_PUBLIC_KEY", "GATEPASS_JWKS_URI"].filter(
          (v) => env[v] !== undefined,
        );
        throw new ConfigError(
          set.join(", "),
          set.length > 1 ? "set only one key source variable." : error.detail,
        );
      }
      let variable = Object.entries(SHORTCUT_FIELDS).find(
        ([field]) => error.field === field || error.field.startsWith(`${field}[`),
      )?.[1];
      if (variable === "GATEPASS_SECRET") variable = secretVariable(env);
      if (variable) throw new ConfigError(variable, error.detail);
    }
    if (
      error instanceof ConfigError &&
      replayTable !== undefined &&
      (error.field === "dpopReplay" || error.field === "dpopReplay.table")
    )
      throw new ConfigError(REPLAY_TABLE_VARIABLE, error.detail);
    for (const [field, variable] of Object.entries(LOG_VARIABLES)) {
      if (error instanceof ConfigError && error.field === field && env[variable] !== undefined) {
        throw new ConfigError(variable, error.detail);
      }
    }
    throw error;
  }
}
