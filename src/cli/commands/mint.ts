import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import {
  PRESET_PARAMETERS,
  PROVIDER_PRESETS,
  type ProviderPreset,
  ProviderTokenError,
  shapeProviderToken,
} from "../../dev/provider-tokens.js";
import { ALGORITHM_SPECS, type Algorithm, isAlgorithm, keyMismatch } from "../../keys/algorithms.js";
import { decodeUnverified } from "../../token/decode.js";
import { type SignOptions, signToken } from "../../token/sign.js";
import { isJsonObject } from "../../util/json.js";
import { parseAlgorithm, parseDurationOption, parseKid } from "../args.js";
import { action, CliError, collect, ExitCode, parser, usageError } from "../output.js";

interface MintOptions {
  key?: string;
  secret?: string;
  secretFile?: string;
  alg?: Algorithm;
  iss?: string;
  aud?: string[];
  sub?: string;
  scope?: string;
  claim?: Array<[string, unknown]>;
  ttl: number;
  nbf?: number;
  kid?: string;
  preset?: ProviderPreset;
  presetParam?: Array<[string, unknown]>;
  group?: string[];
  role?: string[];
}

/** `--preset NAME`: one of the providers a token can be shaped like. */
const parsePreset = (value: string): ProviderPreset => {
  if (!(PROVIDER_PRESETS as readonly string[]).includes(value))
    throw new Error(`unknown preset "${value.slice(0, 20)}" (known: ${PROVIDER_PRESETS.join(", ")})`);
  return value as ProviderPreset;
};

/** `--preset-param name=value`: the value as text, or a JSON array when it starts with `[`. */
const parsePresetParam = (text: string): [string, unknown] => {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new Error(`expected name=value, got "${text.slice(0, 40)}"`);
  const name = text.slice(0, eq);
  if (name === "__proto__") throw new Error("__proto__ is not a preset parameter");
  const raw = text.slice(eq + 1);
  if (!raw.startsWith("[")) return [name, raw];
  try {
    return [name, JSON.parse(raw)];
  } catch {
    throw new Error(`${name}: a value starting with "[" must be a JSON array`);
  }
};

/** `--group`, `--role`: one name (repeat the option for several). */
const parseName = (value: string): string => {
  if (value.trim() === "") throw new Error("expected a name");
  return value;
};

/** `--claim name=value`: the value as JSON when it is valid JSON (`true`, `42`, `["a"]`), else the text. */
const parseClaim = (text: string): [string, unknown] => {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new Error(`expected name=value, got "${text.slice(0, 40)}"`);
  const name = text.slice(0, eq);
  if (name === "__proto__") throw new Error("__proto__ is not a claim name");
  const raw = text.slice(eq + 1);
  try {
    return [name, JSON.parse(raw)];
  } catch {
    return [name, raw];
  }
};

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new CliError(
      `cannot read the ${what} ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
}

/** Reads a private JWK or PEM file, refusing public keys and key sets with a useful reason. */
function readSigningKey(path: string): {
  input: string | Record<string, unknown>;
  asymmetric: boolean;
  pinned?: Algorithm;
} {
  const text = readText(path, "key file").trim();
  if (text.startsWith("{")) {
    let jwk: unknown;
    try {
      jwk = JSON.parse(text);
    } catch {
      throw new CliError(`${path} is not valid JSON`);
    }
    if (!isJsonObject(jwk)) throw new CliError(`${path} is not a JWK`);
    if (Array.isArray(jwk.keys))
      throw new CliError(`${path} is a public key set (JWKS); pass the private JWK (private.jwk.json)`);
    if (jwk.kty !== "oct" && jwk.d === undefined)
      throw new CliError(`${path} is a public JWK; minting needs the private key`);
    const pinned = isAlgorithm(jwk.alg) ? jwk.alg : undefined;
    return { input: jwk, asymmetric: jwk.kty !== "oct", ...(pinned ? { pinned } : {}) };
  }
  if (/-----BEGIN (PUBLIC KEY|RSA PUBLIC KEY|CERTIFICATE)-----/.test(text)) {
    throw new CliError(`${path} holds a public key or certificate; minting needs the private key`);
  }
  if (!text.includes("-----BEGIN"))
    throw new CliError(`${path} is neither a JWK (JSON) nor a PEM private key`);
  return { input: text, asymmetric: true };
}

/** The token shaped like `preset`'s provider: `--iss` replaces the derived issuer, `--aud` is the audience. */
function likeProvider(preset: ProviderPreset, options: MintOptions, claims: Record<string, unknown>) {
  const params: Record<string, unknown> = {};
  for (const [name, value] of options.presetParam ?? []) {
    if (Object.hasOwn(params, name)) throw usageError(`--preset-param ${name} is given twice`);
    params[name] = value;
  }
  if (options.iss !== undefined) {
    if (Object.hasOwn(params, "issuer"))
      throw usageError("give the issuer once: --iss or --preset-param issuer=…");
    params.issuer = options.iss;
  }
  try {
    return shapeProviderToken({
      preset,
      params,
      ...(options.sub !== undefined ? { sub: options.sub } : {}),
      scopes: (options.scope ?? "").split(/\s+/).filter((s) => s.length > 0),
      ...(options.group !== undefined ? { groups: options.group } : {}),
      ...(options.role !== undefined ? { roles: options.role } : {}),
      ...(options.aud !== undefined ? { audience: options.aud } : {}),
      claims,
      now: Math.floor(Date.now() / 1000),
    });
  } catch (error) {
    if (error instanceof ProviderTokenError) throw usageError(error.message);
    throw error;
  }
}

function mint(options: MintOptions): undefined {
  const sources = [options.key, options.secret, options.secretFile].filter((s) => s !== undefined);
  if (sources.length !== 1)
    throw usageError("give exactly one of --key FILE, --secret S or --secret-file FILE");
  let input: string | Buffer | Record<string, unknown>;
  let asymmetric = false;
  if (options.key !== undefined) {
    const key = readSigningKey(options.key);
    if (key.pinned && options.alg && key.pinned !== options.alg) {
      throw usageError(`--alg ${options.alg} does not match the key file's alg ${key.pinned}`);
    }
    input = key.input;
    asymmetric = key.asymmetric;
  } else {
    // A secret is its UTF-8 bytes, exactly as gatepass reads `secret` / GATEPASS_SECRET; a Buffer
    // keeps signToken from reading a secret that happens to start with "{" as a JWK.
    const secret = options.secret ?? readText(options.secretFile!, "secret file").replace(/\r?\n$/, "");
    if (secret.length === 0) throw usageError("the secret is empty");
    input = Buffer.from(secret, "utf8");
    if (options.alg && ALGORITHM_SPECS[options.alg].family !== "hmac") {
      throw usageError(
        `--alg ${options.alg} needs a private key (--key); a secret signs HS256, HS384 or HS512`,
      );
    }
  }

  let claims: Record<string, unknown> = {};
  for (const [name, value] of options.claim ?? []) claims[name] = value;
  const signOptions: SignOptions = { expiresIn: options.ttl };
  if (options.alg) signOptions.alg = options.alg;
  if (options.kid !== undefined) signOptions.kid = options.kid;
  if (options.nbf !== undefined) signOptions.notBefore = options.nbf;
  if (options.preset !== undefined) {
    const shaped = likeProvider(options.preset, options, claims);
    claims = shaped.claims;
    signOptions.typ = shaped.typ;
    signOptions.issuer = shaped.issuer;
    signOptions.subject = shaped.subject;
    if (shaped.audience !== undefined) signOptions.audience = shaped.audience;
    if (shaped.notBefore && options.nbf === undefined) signOptions.notBefore = 0;
  } else {
    if (options.presetParam !== undefined)
      throw usageError(`--preset-param needs --preset (one of ${PROVIDER_PRESETS.join(", ")})`);
    if (options.scope !== undefined && !("scope" in claims)) claims.scope = options.scope;
    if (options.group !== undefined && !("groups" in claims)) claims.groups = options.group;
    if (options.role !== undefined && !("roles" in claims)) claims.roles = options.role;
    if (options.iss !== undefined) signOptions.issuer = options.iss;
    if (options.sub !== undefined) signOptions.subject = options.sub;
    if (options.aud !== undefined)
      signOptions.audience = options.aud.length === 1 ? options.aud[0]! : options.aud;
  }

  let token: string;
  try {
    token = signToken(claims, input, signOptions);
  } catch (error) {
    throw new CliError(`cannot sign: ${(error as Error).message}`);
  }
  if (asymmetric) {
    // Refuse to print a token gatepass would never accept (an EC key used for RS256, a short RSA key).
    const alg = decodeUnverified(token).header.alg as Algorithm;
    const publicKey = createPublicKey(
      typeof input === "string" ? input : { key: input as never, format: "jwk" },
    );
    const mismatch = keyMismatch(publicKey, alg);
    if (mismatch)
      throw new CliError(`cannot sign: ${mismatch}`, options.alg ? ExitCode.USAGE : ExitCode.FAILURE);
  }
  process.stdout.write(`${token}\n`);
  return undefined;
}

/** `gatepass mint`: a signed JWT on stdout, nothing else. */
export function mintCommand(): Command {
  return new Command("mint")
    .description("sign a JWT and print it (only the compact token) on stdout")
    .option("--key <file>", "private JWK (private.jwk.json) or PEM private key file")
    .option("--secret <secret>", "shared secret for HS256/384/512 (its UTF-8 bytes, as GATEPASS_SECRET)")
    .option(
      "--secret-file <file>",
      "read the shared secret from a file (e.g. secret.txt), keeping it out of the process list",
    )
    .option(
      "--alg <alg>",
      "algorithm [the key file's alg, else what the key implies; HS256 for a secret]",
      parseAlgorithm,
    )
    .option("--iss <issuer>", "iss claim")
    .option("--aud <audience>", "aud claim; repeat for several", collect(String))
    .option("--sub <subject>", "sub claim")
    .option("--scope <scopes>", 'scope claim, space-separated ("orders:read orders:write")')
    .option(
      "--claim <name=value>",
      "any claim; the value is parsed as JSON when it is JSON; repeatable",
      collect(parseClaim),
    )
    .addOption(
      new Option("--ttl <duration>", "lifetime: 30s, 15m, 1h, 7d")
        .argParser(parseDurationOption)
        .default(15 * 60, "15m"),
    )
    .option("--nbf <duration>", "not before: this long after now (e.g. 0s, 5m)", parseDurationOption)
    .option("--kid <kid>", "kid header [the key file's kid]", parseKid)
    .option(
      "--group <name>",
      "a group: the groups claim, or the preset's group claim (cognito:groups, …); repeatable",
      collect(parseName),
    )
    .option(
      "--role <name>",
      "a role: the roles claim, or the preset's role claim (Entra roles, Keycloak realm_access.roles); repeatable",
      collect(parseName),
    )
    .option(
      "--preset <name>",
      `shape the token like this provider's, with its real issuer: ${PROVIDER_PRESETS.join(", ")}`,
      parser(parsePreset),
    )
    .option(
      "--preset-param <name=value>",
      "a preset parameter, named as in the configuration (a [JSON array] for lists); repeatable",
      collect(parsePresetParam),
    )
    .addHelpText(
      "after",
      `\nPreset parameters (--iss replaces the derived issuer, --aud sets the audience):\n${PROVIDER_PRESETS.map(
        (name) =>
          `  ${name.padEnd(9)} ${PRESET_PARAMETERS[name]
            .filter((p) => p !== "issuer" || name === "okta")
            .map((p) => (p === "issuer" ? "issuer (or --iss)" : p))
            .join(", ")}`,
      ).join("\n")}\n` +
        "\nExamples:\n  gatepass mint --key keys/private.jwk.json --iss https://id.example.com/ --aud orders-api --sub user-1 --scope orders:read" +
        "\n  gatepass mint --key .gatepass/dev-keys/private.jwk.json --preset cognito --preset-param userPoolId=eu-west-1_AbCdEf123 \\" +
        "\n      --preset-param clientId=4o5p6q --sub alice --scope orders:read --group admin",
    )
    .action(action(mint));
}
