import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { Command, Option } from "commander";
import { ALGORITHM_SPECS, type Algorithm, isAlgorithm, keyMismatch } from "../../keys/algorithms.js";
import { decodeUnverified } from "../../token/decode.js";
import { type SignOptions, signToken } from "../../token/sign.js";
import { isJsonObject } from "../../util/json.js";
import { parseAlgorithm, parseDurationOption, parseKid } from "../args.js";
import { action, CliError, collect, ExitCode, usageError } from "../output.js";

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
}

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

  const claims: Record<string, unknown> = {};
  if (options.scope !== undefined) claims.scope = options.scope;
  for (const [name, value] of options.claim ?? []) claims[name] = value;
  const signOptions: SignOptions = { expiresIn: options.ttl };
  if (options.alg) signOptions.alg = options.alg;
  if (options.kid !== undefined) signOptions.kid = options.kid;
  if (options.iss !== undefined) signOptions.issuer = options.iss;
  if (options.sub !== undefined) signOptions.subject = options.sub;
  if (options.aud !== undefined)
    signOptions.audience = options.aud.length === 1 ? options.aud[0]! : options.aud;
  if (options.nbf !== undefined) signOptions.notBefore = options.nbf;

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
    .addHelpText(
      "after",
      "\nExample:\n  gatepass mint --key keys/private.jwk.json --iss https://id.example.com/ --aud orders-api --sub user-1 --scope orders:read",
    )
    .action(action(mint));
}
