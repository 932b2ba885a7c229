/**
 * Shared test helpers for keys and tokens: key pairs generated with `node:crypto` once per process
 * (per algorithm family and slot), tokens signed with `jose` (an independent implementation), and
 * hand-crafted compact tokens for attack tests (raw header/payload text, any signature).
 *
 * Nothing here imports gatepass: the helpers must stay independent of the code under test.
 */

import assert from "node:assert/strict";
import {
  constants,
  createHmac,
  createSecretKey,
  sign as cryptoSign,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { type JWTPayload, SignJWT } from "jose";
import { ALGORITHMS } from "../../src/keys/algorithms.js";

/** Every JWS algorithm gatepass verifies (the library's own list). */
export const ALL_ALGORITHMS = ALGORITHMS;

export type TestAlgorithm = (typeof ALL_ALGORITHMS)[number];

export const HMAC_ALGORITHMS = ["HS256", "HS384", "HS512"] as const;
export const ASYMMETRIC_ALGORITHMS = ALL_ALGORITHMS.filter((a) => !a.startsWith("HS")) as Exclude<
  TestAlgorithm,
  "HS256" | "HS384" | "HS512"
>[];

/** A key for one algorithm, in every form a test may need. */
export interface TestKey {
  readonly alg: TestAlgorithm;
  readonly kid: string;
  /** Signs: the private key, or the secret as a `KeyObject`. */
  readonly signingKey: KeyObject;
  /** Verifies: the public key, or the secret as a `KeyObject`. */
  readonly verifyKey: KeyObject;
  /** HMAC only: the secret as configured (ASCII, so its UTF-8 bytes are the key). */
  readonly secret: string | undefined;
  /** Asymmetric only: the SPKI PEM of the public key. */
  readonly publicPem: string | undefined;
  /** The public JWK (an `oct` JWK for HMAC) with `kid` and `alg`. */
  readonly publicJwk: Record<string, unknown>;
  /** The private JWK (for HMAC the same `oct` JWK) with `kid` and `alg`. */
  readonly privateJwk: Record<string, unknown>;
}

const pairs = new Map<string, { privateKey: KeyObject; publicKey: KeyObject }>();
const secrets = new Map<string, string>();

type Family = "rsa" | "P-256" | "P-384" | "P-521" | "ed25519";

function familyOf(alg: TestAlgorithm): Family | "hmac" {
  if (alg.startsWith("HS")) return "hmac";
  if (alg.startsWith("RS") || alg.startsWith("PS")) return "rsa";
  if (alg === "ES256") return "P-256";
  if (alg === "ES384") return "P-384";
  if (alg === "ES512") return "P-521";
  return "ed25519";
}

/**
 * A key pair of `family`, generated once per process and `slot` (use another slot for "a different
 * key of the same type"). RS* and PS* share the RSA pair of a slot.
 */
export function keyPair(
  family: Family,
  slot = 0,
  rsaBits = 2048,
): { privateKey: KeyObject; publicKey: KeyObject } {
  const id = `${family}:${slot}:${family === "rsa" ? rsaBits : ""}`;
  let pair = pairs.get(id);
  if (!pair) {
    switch (family) {
      case "rsa":
        pair = generateKeyPairSync("rsa", { modulusLength: rsaBits });
        break;
      case "ed25519":
        pair = generateKeyPairSync("ed25519");
        break;
      default:
        pair = generateKeyPairSync("ec", { namedCurve: family });
    }
    pairs.set(id, pair);
  }
  return pair;
}

/** A random ASCII secret of `bytes` bytes (default 64, enough for HS512), once per process and slot. */
export function testSecret(slot = 0, bytes = 64): string {
  const id = `${slot}:${bytes}`;
  let secret = secrets.get(id);
  if (secret === undefined) {
    secret = randomBytes(bytes).toString("base64url").slice(0, bytes);
    secrets.set(id, secret);
  }
  return secret;
}

/** The test key for `alg` in `slot` (default 0). Cheap after the first call per family and slot. */
export function testKey(alg: TestAlgorithm, slot = 0): TestKey {
  const kid = `test-${alg.toLowerCase()}-${slot}`;
  const family = familyOf(alg);
  if (family === "hmac") {
    const secret = testSecret(slot);
    const key = createSecretKey(Buffer.from(secret, "utf8"));
    const jwk = { kty: "oct", k: Buffer.from(secret, "utf8").toString("base64url"), kid, alg };
    return {
      alg,
      kid,
      signingKey: key,
      verifyKey: key,
      secret,
      publicPem: undefined,
      publicJwk: jwk,
      privateJwk: jwk,
    };
  }
  const { privateKey, publicKey } = keyPair(family, slot);
  return {
    alg,
    kid,
    signingKey: privateKey,
    verifyKey: publicKey,
    secret: undefined,
    publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    publicJwk: { ...publicKey.export({ format: "jwk" }), kid, alg },
    privateJwk: { ...privateKey.export({ format: "jwk" }), kid, alg },
  };
}

/** base64url of a string (UTF-8), a buffer, or a value as JSON. */
export function b64url(data: string | Uint8Array | object): string {
  if (typeof data === "string") return Buffer.from(data, "utf8").toString("base64url");
  if (data instanceof Uint8Array) return Buffer.from(data).toString("base64url");
  return Buffer.from(JSON.stringify(data), "utf8").toString("base64url");
}

const HASHES = { "256": "sha256", "384": "sha384", "512": "sha512" } as const;

/**
 * Signs `signingInput` with `alg` using `node:crypto` directly (independent of gatepass).
 * `ecdsaEncoding: "der"` produces the (wrong for JOSE) DER form of an ECDSA signature.
 */
export function rawSignature(
  alg: TestAlgorithm,
  key: KeyObject,
  signingInput: string,
  options: { ecdsaEncoding?: "ieee-p1363" | "der" } = {},
): Buffer {
  const data = Buffer.from(signingInput, "utf8");
  const hash = alg === "EdDSA" ? null : HASHES[alg.slice(2) as "256"];
  if (alg.startsWith("HS")) return createHmac(hash!, key).update(data).digest();
  if (alg.startsWith("RS")) return cryptoSign(hash, data, key);
  if (alg.startsWith("PS")) {
    return cryptoSign(hash, data, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  }
  if (alg.startsWith("ES"))
    return cryptoSign(hash, data, { key, dsaEncoding: options.ecdsaEncoding ?? "ieee-p1363" });
  return cryptoSign(null, data, key);
}

/**
 * Builds a compact token from a header and a payload given as objects or as raw JSON text (for
 * duplicate members, odd whitespace, non-objects), signed with `key` under `alg` (default: a
 * {@link TestKey}'s own `alg`, else the header's `alg` — the header is never checked against the
 * key, so mismatches can be forged on purpose), or with `signature` verbatim when given (a string
 * is used as the segment as is).
 */
export function craftToken(
  header: object | string,
  payload: object | string,
  sign:
    | { key: KeyObject | TestKey; alg?: TestAlgorithm; ecdsaEncoding?: "der" }
    | { signature: string | Buffer },
): string {
  const signingInput = `${b64url(header)}.${b64url(payload)}`;
  if ("signature" in sign) {
    const sig = typeof sign.signature === "string" ? sign.signature : sign.signature.toString("base64url");
    return `${signingInput}.${sig}`;
  }
  const key = "signingKey" in sign.key ? sign.key.signingKey : sign.key;
  const headerAlg = typeof header === "string" ? JSON.parse(header).alg : (header as { alg?: unknown }).alg;
  const alg = sign.alg ?? ("alg" in sign.key && "signingKey" in sign.key ? sign.key.alg : headerAlg);
  const options = sign.ecdsaEncoding ? { ecdsaEncoding: sign.ecdsaEncoding } : {};
  return `${signingInput}.${rawSignature(alg as TestAlgorithm, key, signingInput, options).toString("base64url")}`;
}

/** Signs `claims` with `jose` (`SignJWT`) under the key's algorithm, with its `kid` unless `kid: null`. */
export async function joseSign(
  key: TestKey,
  claims: JWTPayload,
  header: Record<string, unknown> & { kid?: string | null; typ?: string } = {},
): Promise<string> {
  const { kid, ...rest } = header;
  const protectedHeader: Record<string, unknown> = { ...rest, alg: key.alg };
  if (kid !== null) protectedHeader.kid = kid ?? key.kid;
  const signingKey = key.secret !== undefined ? new TextEncoder().encode(key.secret) : key.signingKey;
  return new SignJWT(claims).setProtectedHeader(protectedHeader as { alg: string }).sign(signingKey);
}

/** A JWKS document of the public JWKs of `keys`. */
export function jwksOf(...keys: TestKey[]): { keys: Record<string, unknown>[] } {
  return { keys: keys.map((k) => k.publicJwk) };
}

/** Seconds since the epoch for a clock value in milliseconds. */
export const seconds = (ms: number) => Math.floor(ms / 1000);

/** Flips one bit of the byte at `index` (negative: from the end) of a base64url segment, keeping it canonical. */
export function flipSignatureBit(token: string, index = -1, bit = 0): string {
  const dot = token.lastIndexOf(".");
  const sig = Buffer.from(token.slice(dot + 1), "base64url");
  const at = index < 0 ? sig.length + index : index;
  sig[at] = sig[at]! ^ (1 << bit);
  return `${token.slice(0, dot)}.${sig.toString("base64url")}`;
}

/** How a verifier is given a test key: a shared `secret`, a PEM `publicKey`, or an inline `jwks`. */
export type KeySourceKind = "secret" | "publicKey" | "jwks";

/** The key sources that can carry `alg`'s key. */
export function sourcesFor(alg: TestAlgorithm): KeySourceKind[] {
  return alg.startsWith("HS") ? ["secret", "jwks"] : ["publicKey", "jwks"];
}

export const TEST_ISSUER = "https://issuer.test/";
export const TEST_AUDIENCE = "orders-api";

/**
 * A plain gatepass issuer configuration (a JSON-able object) for `key` through `source`, with
 * `iss` {@link TEST_ISSUER} and `aud` {@link TEST_AUDIENCE} unless overridden in `extra`.
 */
export function issuerConfig(
  key: TestKey,
  source: KeySourceKind,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const base: Record<string, unknown> = { issuer: TEST_ISSUER, audience: [TEST_AUDIENCE] };
  if (source === "secret") {
    if (key.secret === undefined) throw new Error(`${key.alg} has no secret`);
    base.secret = key.secret;
  } else if (source === "publicKey") {
    if (key.publicPem === undefined) throw new Error(`${key.alg} has no PEM`);
    base.publicKey = key.publicPem;
  } else {
    base.jwks = jwksOf(key);
  }
  return { ...base, ...extra };
}

/**
 * Asserts that `action` rejects (or throws) an `AuthError` (by name, so it works across module
 * copies) whose `code` is `code` or one of `code`; returns the error.
 */
export async function assertAuthError(
  action: Promise<unknown> | (() => unknown),
  code: string | readonly string[],
): Promise<Error & { code: string }> {
  let caught: unknown;
  try {
    await (typeof action === "function" ? action() : action);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected a rejection with ${String(code)}, but it succeeded`);
  const error = caught as Error & { code: string };
  assert.equal(error.name, "AuthError", `expected an AuthError, got ${error?.name}: ${error?.message}`);
  const codes = typeof code === "string" ? [code] : code;
  assert.ok(
    codes.includes(error.code),
    `expected ${codes.join(" or ")}, got ${error.code} (${error.message})`,
  );
  return error;
}
