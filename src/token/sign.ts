import {
  constants,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  type KeyObject,
  sign,
} from "node:crypto";
import { ALGORITHM_SPECS, type Algorithm, isAlgorithm, keyMismatch } from "../keys/algorithms.js";
import { parseJsonObject } from "../util/json.js";

/** A signing key: a private `KeyObject`, a private JWK (object or JSON text), a PEM private key, or a shared secret. */
export type SigningKeyInput = KeyObject | string | Buffer | Record<string, unknown>;

export interface SignOptions {
  /** The JWS algorithm. Default: the JWK's `alg`, else what the key type implies (HS256, RS256, ES256/384/512, EdDSA). */
  alg?: Algorithm;
  /** The `kid` header. Default: the JWK's `kid`, if any. */
  kid?: string;
  /** The `typ` header [`"JWT"`]; `null` leaves it out (as Cognito and Okta do). */
  typ?: string | null;
  /** Lifetime in seconds, or a duration like `"15m"`; sets `exp` from `iat` unless `claims.exp` is given. */
  expiresIn?: number | string;
  /** Sets `nbf` this many seconds (or duration) after `iat`. */
  notBefore?: number | string;
  issuer?: string;
  audience?: string | string[];
  subject?: string;
  /** Clock for `iat`, in seconds since the epoch [now]. */
  now?: number;
}

/** Parses `30s`, `15m`, `1h`, `7d` or a number of seconds. Throws for anything else. */
export function parseDuration(value: number | string): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new Error(`invalid duration ${value}`);
    return Math.floor(value);
  }
  const match = /^(\d+)\s*(s|m|h|d)?$/.exec(value.trim());
  if (!match) throw new Error(`invalid duration "${value}" (expected e.g. 30s, 15m, 1h, 7d)`);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(match[2] ?? "s") as "s" | "m" | "h" | "d"];
  return Number(match[1]) * unit;
}

interface PreparedKey {
  key: KeyObject;
  alg?: Algorithm;
  kid?: string;
}

function prepareKey(input: SigningKeyInput): PreparedKey {
  if (
    typeof input === "object" &&
    input !== null &&
    "type" in input &&
    typeof (input as KeyObject).export === "function"
  ) {
    return { key: input as KeyObject };
  }
  if (Buffer.isBuffer(input)) return { key: createSecretKey(input) };
  if (typeof input === "string") {
    const text = input.trim();
    if (text.startsWith("{")) {
      // A JWK as JSON text. Anything else that starts with "{" is refused rather than guessed at,
      // and the message never quotes it: it may be a secret (pass a secret of that shape as a Buffer).
      const jwk = parseJsonObject(text);
      if (jwk === undefined || typeof jwk.kty !== "string")
        throw new Error(
          'a string key that starts with "{" must be a JWK (JSON with "kty"); pass a secret that starts with "{" as a Buffer',
        );
      return prepareKey(jwk);
    }
    if (text.includes("-----BEGIN")) return { key: createPrivateKey(text) };
    return { key: createSecretKey(Buffer.from(input, "utf8")) };
  }
  const jwk = input as Record<string, unknown>;
  const alg = isAlgorithm(jwk.alg) ? jwk.alg : undefined;
  const kid = typeof jwk.kid === "string" ? jwk.kid : undefined;
  if (jwk.kty === "oct") {
    if (typeof jwk.k !== "string") throw new Error("the oct JWK has no k");
    return { key: createSecretKey(Buffer.from(jwk.k, "base64url")), alg, kid };
  }
  if (jwk.d === undefined) throw new Error("the JWK is not a private key (no d)");
  return { key: createPrivateKey({ key: jwk as never, format: "jwk" }), alg, kid };
}

function defaultAlgorithm(key: KeyObject): Algorithm {
  if (key.type === "secret") return "HS256";
  switch (key.asymmetricKeyType) {
    case "rsa":
      return "RS256";
    case "rsa-pss":
      return "PS256";
    case "ed25519":
      return "EdDSA";
    case "ec": {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      return curve === "secp384r1" ? "ES384" : curve === "secp521r1" ? "ES512" : "ES256";
    }
    default:
      throw new Error(`cannot sign with a key of type ${key.asymmetricKeyType}`);
  }
}

/** Signs `signingInput` with `alg`; returns the raw JOSE signature. */
function createSignature(alg: Algorithm, key: KeyObject, signingInput: string): Buffer {
  const spec = ALGORITHM_SPECS[alg];
  const data = Buffer.from(signingInput);
  switch (spec.family) {
    case "hmac":
      return createHmac(spec.hash!, key).update(data).digest();
    case "rsa":
      return sign(spec.hash, data, key);
    case "rsa-pss":
      return sign(spec.hash, data, {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
      });
    case "ecdsa":
      return sign(spec.hash, data, { key, dsaEncoding: "ieee-p1363" });
    case "eddsa":
      return sign(null, data, key);
  }
}

const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/**
 * Signs a compact JWT, for services that issue their own tokens (a login endpoint behind a
 * shared-secret authorizer, a test, the CLI's `mint`). `iat` is always set; `exp` from
 * `expiresIn` [no default: pass one, gatepass requires `exp` by default].
 *
 * @example
 * const token = signToken({ sub: "user-1", scope: "orders:read" }, process.env.GATEPASS_SECRET!, {
 *   alg: "HS256", issuer: "https://login.example.com/", audience: "orders-api", expiresIn: "15m",
 * });
 */
export function signToken(
  claims: Record<string, unknown>,
  key: SigningKeyInput,
  options: SignOptions = {},
): string {
  const prepared = prepareKey(key);
  const alg = options.alg ?? prepared.alg ?? defaultAlgorithm(prepared.key);
  if (!isAlgorithm(alg)) throw new Error(`unsupported algorithm ${String(alg)}`);
  if (prepared.alg && prepared.alg !== alg)
    throw new Error(`the key is pinned to ${prepared.alg}, not ${alg}`);
  const spec = ALGORITHM_SPECS[alg];
  if (spec.family === "hmac") {
    if (prepared.key.type !== "secret") throw new Error(`${alg} needs a shared secret`);
    if ((prepared.key.symmetricKeySize ?? 0) < spec.minSecretBytes!) {
      throw new Error(`${alg} needs a secret of at least ${spec.minSecretBytes} bytes`);
    }
  } else if (prepared.key.type !== "private") {
    throw new Error(`${alg} needs a private key`);
  } else {
    // Never mint a token whose header names an algorithm its key cannot produce (an EC key with
    // RS256, a 1024-bit RSA key): no gatepass verifier would accept it.
    const mismatch = keyMismatch(createPublicKey(prepared.key), alg);
    if (mismatch) throw new Error(mismatch);
  }
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { iat: now };
  if (options.issuer !== undefined) payload.iss = options.issuer;
  if (options.subject !== undefined) payload.sub = options.subject;
  if (options.audience !== undefined) payload.aud = options.audience;
  if (options.expiresIn !== undefined) payload.exp = now + parseDuration(options.expiresIn);
  if (options.notBefore !== undefined) payload.nbf = now + parseDuration(options.notBefore);
  for (const [name, value] of Object.entries(claims)) {
    if (name !== "__proto__") payload[name] = value;
  }
  const header: Record<string, unknown> = { alg };
  if (options.typ !== null) header.typ = options.typ ?? "JWT";
  const kid = options.kid ?? prepared.kid;
  if (kid !== undefined) header.kid = kid;
  const signingInput = `${b64json(header)}.${b64json(payload)}`;
  return `${signingInput}.${createSignature(alg, prepared.key, signingInput).toString("base64url")}`;
}
