/**
 * Keys and tokens for the benchmark, made with `node:crypto` alone (independent of the code under
 * test): one key per algorithm, generated once per process, and a signer for compact JWTs.
 */
import {
  constants,
  createHmac,
  createSecretKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  randomBytes,
  sign,
} from "node:crypto";

export const BENCH_ALGORITHMS = ["HS256", "RS256", "PS256", "ES256", "EdDSA"] as const;
export type BenchAlgorithm = (typeof BENCH_ALGORITHMS)[number];

export const ISSUER = "https://id.example.com/";
export const AUDIENCE = "orders-api";

export interface BenchKey {
  readonly alg: BenchAlgorithm;
  readonly kid: string;
  readonly signingKey: KeyObject;
  /** The public key, or the secret. */
  readonly verifyKey: KeyObject;
  /** HS256: the secret as configured (ASCII). */
  readonly secret: string | undefined;
  /** Asymmetric: SPKI PEM. */
  readonly publicPem: string | undefined;
  /** Public JWK with `kid`, `alg` and `use` (an `oct` JWK for HS256). */
  readonly publicJwk: JsonWebKey & { kid: string; alg: string };
}

const pairs = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }>();
const keys = new Map<string, BenchKey>();

function pairFor(alg: BenchAlgorithm, slot: number): { privateKey: KeyObject; publicKey: KeyObject } {
  const family = alg === "RS256" || alg === "PS256" ? "rsa" : alg;
  const id = `${family}:${slot}`;
  let pair = pairs.get(id);
  if (pair === undefined) {
    if (family === "rsa") pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
    else if (family === "ES256") pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
    else pair = generateKeyPairSync("ed25519");
    pairs.set(id, pair);
  }
  return pair;
}

/** The key for `alg` (another `slot` gives another key of the same type). */
export function benchKey(alg: BenchAlgorithm, slot = 0): BenchKey {
  const kid = `bench-${alg.toLowerCase()}-${slot}`;
  const cached = keys.get(kid);
  if (cached !== undefined) return cached;
  let key: BenchKey;
  if (alg === "HS256") {
    const secret = randomBytes(48).toString("base64url").slice(0, 48);
    const secretKey = createSecretKey(Buffer.from(secret, "utf8"));
    key = {
      alg,
      kid,
      signingKey: secretKey,
      verifyKey: secretKey,
      secret,
      publicPem: undefined,
      publicJwk: { kty: "oct", k: Buffer.from(secret, "utf8").toString("base64url"), kid, alg },
    };
  } else {
    const { privateKey, publicKey } = pairFor(alg, slot);
    key = {
      alg,
      kid,
      signingKey: privateKey,
      verifyKey: publicKey,
      secret: undefined,
      publicPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
      publicJwk: { ...publicKey.export({ format: "jwk" }), kid, alg, use: "sig" },
    };
  }
  keys.set(kid, key);
  return key;
}

const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** The raw JOSE signature of `input` (r||s for ECDSA). */
export function signatureOf(alg: BenchAlgorithm, key: KeyObject, input: string): Buffer {
  const data = Buffer.from(input);
  switch (alg) {
    case "HS256":
      return createHmac("sha256", key).update(data).digest();
    case "RS256":
      return sign("sha256", data, key);
    case "PS256":
      return sign("sha256", data, {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      });
    case "ES256":
      return sign("sha256", data, { key, dsaEncoding: "ieee-p1363" });
    case "EdDSA":
      return sign(null, data, key);
  }
}

/** Signs a compact JWT with `key`; the header carries `alg`, `typ` and `kid` (override with `header`). */
export function signJwt(
  payload: Record<string, unknown>,
  key: BenchKey,
  header: Record<string, unknown> = {},
): string {
  const input = `${b64json({ alg: key.alg, typ: "JWT", kid: key.kid, ...header })}.${b64json(payload)}`;
  return `${input}.${signatureOf(key.alg, key.signingKey, input).toString("base64url")}`;
}

/** A typical access token's claims: issuer, audience, subject, scopes, a few profile claims, 1 h lifetime. */
export function standardClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: "user-4711",
    scope: "orders:read orders:write",
    email: "ada@example.com",
    groups: ["staff"],
    iat: now,
    exp: now + 3600,
    ...extra,
  };
}

/**
 * The gatepass configuration of one issuer for `key`: a shared secret for HS256, an inline JWKS
 * (selected by `kid`) otherwise; `iss`, `aud` and `exp` checked, the algorithm pinned.
 */
export function issuerConfig(key: BenchKey): Record<string, unknown> {
  const common = { issuer: ISSUER, audience: [AUDIENCE], algorithms: [key.alg] };
  return key.secret !== undefined
    ? { ...common, secret: key.secret }
    : { ...common, jwks: { keys: [key.publicJwk] } };
}
