import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { ALGORITHMS, type Algorithm } from "../../keys/algorithms.js";
import { type GeneratedKey, generateSigningKey } from "../../keys/generate.js";
import { bindKey, type ImportResult, importJwk, importPem } from "../../keys/import.js";
import { createClientCertificate, createTestCa } from "../../keys/x509.js";
import { certificateThumbprint } from "../../lambda/cert-binding.js";
import { jsonErrorPosition } from "../../util/json.js";
import { parseAlgorithm, parseKid } from "../args.js";
import { action, CliError, ExitCode, type ExitCodeValue, parser, printHuman } from "../output.js";

const parseDays = parser((value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 825)
    throw new Error("expected a whole number of days from 1 to 825");
  return n;
});

/** The algorithms the contract names; the others work too. */
const MAIN_ALGORITHMS: readonly string[] = ["RS256", "PS256", "ES256", "ES384", "EdDSA", "HS256"];

interface GenerateOptions {
  alg?: Algorithm;
  clientCert?: boolean;
  cn?: string;
  days?: number;
  kid?: string;
  out?: string;
  force?: boolean;
  json?: boolean;
}

interface OutputFile {
  name: string;
  content: string;
  /** Private material: created 0600, never readable by others. */
  secret: boolean;
  what: string;
}

function filesFor(key: GeneratedKey): OutputFile[] {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const files: OutputFile[] = [
    {
      name: "private.jwk.json",
      content: json(key.privateJwk),
      secret: true,
      what:
        key.secret === undefined
          ? "private JWK: sign with `gatepass mint --key`"
          : "oct JWK of the shared secret",
    },
  ];
  if (key.secret !== undefined) {
    files.push({
      name: "secret.txt",
      content: `${key.secret}\n`,
      secret: true,
      what: 'the shared secret: GATEPASS_SECRET="$(cat secret.txt)", or mint --secret',
    });
  }
  files.push({
    name: "public.jwks.json",
    content: json(key.publicJwks),
    secret: false,
    what:
      key.secret === undefined
        ? 'public key set: publish it, or configure it as "jwksFile"'
        : "empty: a shared secret has no public half",
  });
  if (key.publicPem !== undefined) {
    files.push({
      name: "public.pem",
      content: key.publicPem,
      secret: false,
      what: 'SPKI public key: "publicKey" or GATEPASS_PUBLIC_KEY',
    });
  }
  return files;
}

function prepareDirectory(dir: string): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new CliError(`${dir} exists and is not a directory`);
    return;
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new CliError(`cannot create ${dir} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
}

/** Every file `keys generate` may write, whatever the algorithm. */
const KEY_FILES = ["private.jwk.json", "secret.txt", "public.jwks.json", "public.pem"] as const;

function writeFiles(dir: string, files: OutputFile[], force: boolean): void {
  // Check everything before writing anything: a half-replaced key pair is worse than none. Any
  // file of an earlier key counts, not only those this key writes: a forced replacement removes
  // them all, so no file of the old key (an HS256 secret.txt beside a new ES256 key) is left behind.
  const existing = KEY_FILES.map((name) => join(dir, name)).filter((path) => existsSync(path));
  if (existing.length > 0 && !force) {
    throw new CliError(
      `${existing.join(", ")} already exist${existing.length === 1 ? "s" : ""}; pass --force to replace the key`,
    );
  }
  if (force) {
    for (const path of existing) {
      try {
        rmSync(path, { force: true });
      } catch (error) {
        throw new CliError(`cannot remove ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
      }
    }
  }
  for (const file of files) {
    const path = join(dir, file.name);
    const mode = file.secret ? 0o600 : 0o644;
    try {
      // Created exclusively (any old file was removed above), so it never inherits an old, wider mode.
      writeFileSync(path, file.content, { mode, flag: "wx" });
      chmodSync(path, mode);
    } catch (error) {
      throw new CliError(`cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }
}

async function generate(options: GenerateOptions): Promise<undefined> {
  if (options.clientCert === true) {
    if (options.alg !== undefined || options.kid !== undefined)
      throw new CliError(
        "--client-cert makes certificates, not a signing key: leave out --alg and --kid",
        ExitCode.USAGE,
      );
    if (options.out === undefined) throw new CliError("--client-cert needs --out DIR", ExitCode.USAGE);
    return clientCert({ ...options, out: options.out });
  }
  if (options.cn !== undefined || options.days !== undefined)
    throw new CliError("--cn and --days go with --client-cert", ExitCode.USAGE);
  if (options.alg === undefined)
    throw new CliError("required option '--alg <alg>' not specified (or --client-cert)", ExitCode.USAGE);
  let key: GeneratedKey;
  try {
    key = await generateSigningKey(options.alg, options.kid === undefined ? {} : { kid: options.kid });
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  if (options.out === undefined) {
    const printed: Record<string, unknown> = {
      alg: key.alg,
      kid: key.kid,
      privateJwk: key.privateJwk,
      publicJwks: key.publicJwks,
    };
    if (key.publicPem !== undefined) printed.publicPem = key.publicPem;
    if (key.secret !== undefined) printed.secret = key.secret;
    process.stdout.write(`${JSON.stringify(printed, null, 2)}\n`);
    return;
  }
  const dir = options.out;
  const files = filesFor(key);
  prepareDirectory(dir);
  writeFiles(dir, files, options.force === true);
  if (options.json) {
    const written = Object.fromEntries(files.map((f) => [f.name, join(dir, f.name)]));
    process.stdout.write(`${JSON.stringify({ alg: key.alg, kid: key.kid, files: written })}\n`);
    return;
  }
  const width = Math.max(...files.map((f) => join(dir, f.name).length));
  const lines = [`Generated a new ${key.alg} key, kid "${key.kid}".`];
  for (const f of files)
    lines.push(`  ${join(dir, f.name).padEnd(width)}  ${f.secret ? "(mode 0600) " : ""}${f.what}`);
  lines.push(
    `Mint a token: gatepass mint --key ${join(dir, "private.jwk.json")} --sub user-1 --aud my-api --iss https://issuer.example/`,
  );
  printHuman(`${lines.join("\n")}\n`);
  return;
}

interface ClientCertOptions {
  out: string;
  cn?: string;
  days?: number;
  force?: boolean;
  json?: boolean;
}

/** Every file `keys client-cert` writes. */
const CERT_FILES = ["ca.pem", "ca.key.pem", "client.pem", "client.key.pem"] as const;

/**
 * `gatepass keys generate --client-cert`: a test CA and a client certificate it issued (ECDSA P-256), for
 * mutual TLS with `gatepass dev --tls` and certificate-bound tokens (RFC 8705); prints the client
 * certificate's `x5t#S256`, the value a bound token's `cnf` carries.
 */
async function clientCert(options: ClientCertOptions): Promise<undefined> {
  const dir = options.out;
  prepareDirectory(dir);
  const existing = CERT_FILES.map((name) => join(dir, name)).filter((path) => existsSync(path));
  if (existing.length > 0 && options.force !== true)
    throw new CliError(`${existing.join(", ")} already exist; pass --force to replace them`);
  const cn = options.cn ?? "gatepass-client";
  const days = options.days ?? 30;
  const ca = createTestCa("gatepass test CA", days);
  const client = createClientCertificate(ca, cn, days);
  const x5t = certificateThumbprint(client.pem);
  const files = [
    { name: "ca.pem", content: ca.pem, secret: false },
    { name: "ca.key.pem", content: ca.keyPem, secret: true },
    { name: "client.pem", content: client.pem, secret: false },
    { name: "client.key.pem", content: client.keyPem, secret: true },
  ];
  for (const file of files) {
    const path = join(dir, file.name);
    const mode = file.secret ? 0o600 : 0o644;
    try {
      rmSync(path, { force: true });
      writeFileSync(path, file.content, { mode, flag: "wx" });
      chmodSync(path, mode);
    } catch (error) {
      throw new CliError(`cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    }
  }
  const written = Object.fromEntries(files.map((f) => [f.name, join(dir, f.name)]));
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ "x5t#S256": x5t, files: written })}\n`);
    return;
  }
  const where: Record<string, string> = {
    "ca.pem": "the truststore: gatepass dev --tls --client-ca; on AWS, the custom domain's truststore in S3",
    "ca.key.pem": "signs more client certificates; stays here",
    "client.pem": "the client's certificate: curl --cert",
    "client.key.pem": "the client's private key: curl --key",
  };
  printHuman(
    [
      `Generated a test CA and a client certificate (CN=${cn}, ${days} days) in ${dir}:`,
      ...files.map((f) => `  ${join(dir, f.name)}${f.secret ? " (mode 0600)" : ""}  ${where[f.name]}`),
      `Client certificate x5t#S256: ${x5t}`,
      'Bind a token to it: cnf {"x5t#S256": "<that value>"} (gatepass dev: POST /token with cnf_x5t, or bind_cert=1 over --tls).',
      "",
    ].join("\n"),
  );
  return;
}

interface CheckOptions {
  json?: boolean;
}

interface Verdict {
  /** The key's place: `keys[i]` in a key set, `key` for a lone JWK or PEM. */
  where: string;
  kid?: string;
  verdict: "accepted" | "refused";
  /** The judging code (e.g. `RSA_EXPONENT_INVALID`), or `UNUSABLE` for any other import refusal. */
  code?: string;
  reason?: string;
  algorithms?: string[];
}

const MAX_CHECK_BYTES = 1024 * 1024;

function verdictOf(where: string, kid: unknown, result: ImportResult): Verdict {
  const named = typeof kid === "string" ? { kid: kid.slice(0, 256) } : {};
  if (result.ok) return { where, ...named, verdict: "accepted", algorithms: [...result.key.algorithms] };
  return { where, ...named, verdict: "refused", code: result.refused ?? "UNUSABLE", reason: result.reason };
}

/** The verdicts of every key of a JWKS, JWK or PEM document, as gatepass would import them. */
function checkDocument(text: string, file: string): { verdicts: Verdict[]; setError?: string } {
  if (text.includes("-----BEGIN")) {
    let key: ReturnType<typeof importPem>;
    try {
      key = importPem(text);
    } catch (error) {
      const detail = /infinity/.test((error as Error).message) ? ` (${(error as Error).message})` : "";
      return {
        verdicts: [
          {
            where: "key",
            verdict: "refused",
            code: "UNUSABLE",
            reason: `not a usable PEM public key${detail}`,
          },
        ],
      };
    }
    return { verdicts: [verdictOf("key", undefined, bindKey(key, undefined, undefined, ALGORITHMS, "pem"))] };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    // The parser's message quotes the text around the error, which may be key material.
    throw new CliError(`${file} is neither a PEM document nor valid JSON (${jsonErrorPosition(error)})`);
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObject(doc) && Array.isArray(doc.keys)) {
    const entries = doc.keys as unknown[];
    const verdicts = entries.map((jwk, i) =>
      verdictOf(
        `keys[${i}]`,
        isObject(jwk) ? jwk.kid : undefined,
        importJwk(jwk as Record<string, unknown>, ALGORITHMS, { allowSymmetric: true }),
      ),
    );
    const kinds = new Set(entries.map((jwk) => (isObject(jwk) && jwk.kty === "oct" ? "secret" : "public")));
    return kinds.size > 1
      ? {
          verdicts,
          setError:
            'the key set mixes shared secrets (kty "oct") with public keys: gatepass refuses it as an inline jwks or jwksFile',
        }
      : { verdicts };
  }
  if (isObject(doc) && typeof doc.kty === "string") {
    return { verdicts: [verdictOf("key", doc.kid, importJwk(doc, ALGORITHMS, { allowSymmetric: true }))] };
  }
  throw new CliError(`${file} is not a JWKS ({"keys": [...]}), a JWK or a PEM document`);
}

async function check(file: string, options: CheckOptions): Promise<ExitCodeValue> {
  let text: string;
  try {
    if (statSync(file).size > MAX_CHECK_BYTES) throw new CliError(`${file} is larger than 1 MiB`);
    text = readFileSync(file, "utf8");
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  const { verdicts, setError } = checkDocument(text, file);
  const refused = setError !== undefined || verdicts.some((v) => v.verdict === "refused");
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ file, refused, ...(setError ? { setError } : {}), keys: verdicts })}
`);
  } else {
    const lines = verdicts.map((v) => {
      const name = `${v.where}${v.kid !== undefined ? ` kid ${JSON.stringify(v.kid)}` : ""}`;
      return v.verdict === "accepted"
        ? `${name}  ACCEPTED  verifies ${v.algorithms!.join(", ")}`
        : `${name}  REFUSED  ${v.code}  ${v.reason}`;
    });
    if (setError !== undefined) lines.push(`key set  REFUSED  ${setError}`);
    if (verdicts.length === 0) lines.push("no keys");
    printHuman(`${lines.join("\n")}\n`);
  }
  return refused ? ExitCode.FAILURE : ExitCode.OK;
}

/** `gatepass keys generate`: new signing keys as JWK, JWKS, PEM (and, for HMAC, a secret). */
export function keysCommand(): Command {
  const keys = new Command("keys").description("generate signing keys, check key files");
  keys
    .command("generate")
    .description(
      "generate a signing key: private.jwk.json (0600), public.jwks.json and public.pem (asymmetric) or secret.txt (HS*); prints JSON without --out",
    )
    .option(
      "--alg <alg>",
      `algorithm: ${MAIN_ALGORITHMS.join(", ")} (also ${ALGORITHMS.filter((a) => !MAIN_ALGORITHMS.includes(a)).join(", ")})`,
      parseAlgorithm,
    )
    .option("--kid <id>", "key id [the RFC 7638 JWK thumbprint]", parseKid)
    .option(
      "--client-cert",
      "instead of a signing key: a test CA and a client certificate for mutual TLS (ca.pem, ca.key.pem, client.pem, client.key.pem; keys 0600), printing its x5t#S256; needs --out",
    )
    .option("--cn <name>", "with --client-cert: the certificate's common name [gatepass-client]")
    .option("--days <n>", "with --client-cert: validity in days, 1-825 [30]", parseDays)
    .option("--out <dir>", "write the files into DIR (created if missing)")
    .option("--force", "replace existing key files in DIR")
    .option("--json", "with --out: print what was written as JSON")
    .action(action(generate));
  keys
    .command("check")
    .description(
      "judge every key of a JWKS, JWK or PEM file as gatepass imports it: each key's verdict and why; exit 1 if any is refused",
    )
    .argument("<file>", "a JWKS, a JWK or a PEM public key")
    .option("--json", "print the verdicts as JSON")
    .action(action(check));
  return keys;
}
