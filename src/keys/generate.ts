import { generateKeyPair as generateKeyPairCallback, type KeyObject, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { ALGORITHM_SPECS, type Algorithm, isAlgorithm } from "./algorithms.js";
import { jwkThumbprint } from "./thumbprint.js";

const generateKeyPair = promisify(generateKeyPairCallback);

/** A JWK as gatepass writes it: string members only. */
export type JwkObject = Record<string, string>;

/** A freshly generated signing key, in every form a deployment needs. */
export interface GeneratedKey {
  readonly alg: Algorithm;
  /** The `kid`: the one asked for, or the RFC 7638 thumbprint (SHA-256) of the key. */
  readonly kid: string;
  /** The private JWK (`kty: "oct"` for HMAC) with `kid` and `alg`. Keep it secret. */
  readonly privateJwk: JwkObject;
  /** The public key set to publish or configure (`jwks`/`jwksFile`), with `kid`, `alg`, `use: "sig"`; empty for HMAC. */
  readonly publicJwks: { keys: JwkObject[] };
  /** The public key as a PEM SPKI document, for asymmetric algorithms (`publicKey`, `GATEPASS_PUBLIC_KEY`). */
  readonly publicPem?: string;
  /**
   * For HMAC: the shared secret as configured (`secret`, `GATEPASS_SECRET`). The key is this
   * string's UTF-8 bytes — the same bytes as the private JWK's `k` — so both forms sign and verify
   * alike. Keep it secret.
   */
  readonly secret?: string;
}

export interface GenerateKeyOptions {
  /** The `kid` [the RFC 7638 thumbprint]. */
  kid?: string;
  /** RSA modulus length in bits [2048]. */
  modulusLength?: number;
  /** HMAC: random bytes behind the secret [32, or the algorithm's minimum if larger]. */
  secretBytes?: number;
}

const PUBLIC_MEMBERS = ["kty", "crv", "n", "e", "x", "y"] as const;

function exportJwk(key: KeyObject): JwkObject {
  const jwk = key.export({ format: "jwk" }) as Record<string, unknown>;
  const out: JwkObject = {};
  for (const [name, value] of Object.entries(jwk)) if (typeof value === "string") out[name] = value;
  return out;
}

/**
 * Generates a signing key for `alg` (RSA 2048-bit for RS and PS algorithms, the matching curve for ES ones,
 * Ed25519 for EdDSA, a random secret for HS ones). `kid` defaults to the key's RFC 7638 thumbprint,
 * so the same key always gets the same `kid`.
 *
 * @example
 * const { privateJwk, publicJwks } = await generateSigningKey("ES256");
 * const token = signToken({ sub: "user-1" }, privateJwk, { expiresIn: "15m" });
 */
export async function generateSigningKey(
  alg: Algorithm,
  options: GenerateKeyOptions = {},
): Promise<GeneratedKey> {
  if (!isAlgorithm(alg)) throw new Error(`unsupported algorithm ${JSON.stringify(String(alg)).slice(0, 40)}`);
  if (options.kid !== undefined && (options.kid.length === 0 || options.kid.length > 256)) {
    throw new Error("kid must be a non-empty string of at most 256 characters");
  }
  const spec = ALGORITHM_SPECS[alg];
  if (spec.family === "hmac") {
    const bytes = Math.max(options.secretBytes ?? 32, spec.minSecretBytes ?? 32);
    // base64url text, so it can sit in an environment variable; the key is its UTF-8 bytes,
    // which is how gatepass reads `secret` / GATEPASS_SECRET.
    const secret = randomBytes(bytes).toString("base64url");
    const base: JwkObject = { kty: "oct", k: Buffer.from(secret, "utf8").toString("base64url") };
    const kid = options.kid ?? jwkThumbprint(base);
    return { alg, kid, privateJwk: { ...base, kid, alg }, publicJwks: { keys: [] }, secret };
  }
  let pair: { publicKey: KeyObject; privateKey: KeyObject };
  switch (spec.family) {
    case "rsa":
    case "rsa-pss":
      // A plain RSA key serves PS* too (the padding is chosen when signing), and exports as a JWK.
      pair = await generateKeyPair("rsa", { modulusLength: options.modulusLength ?? 2048 });
      break;
    case "ecdsa":
      pair = await generateKeyPair("ec", { namedCurve: spec.curve! });
      break;
    case "eddsa":
      pair = await generateKeyPair("ed25519");
      break;
  }
  const privateMembers = exportJwk(pair.privateKey);
  const publicMembers: JwkObject = {};
  for (const name of PUBLIC_MEMBERS)
    if (privateMembers[name] !== undefined) publicMembers[name] = privateMembers[name];
  const kid = options.kid ?? jwkThumbprint(publicMembers);
  return {
    alg,
    kid,
    privateJwk: { ...privateMembers, kid, alg },
    publicJwks: { keys: [{ ...publicMembers, kid, alg, use: "sig" }] },
    publicPem: pair.publicKey.export({ format: "pem", type: "spki" }) as string,
  };
}
