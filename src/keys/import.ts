import type { KeyObject } from "node:crypto";
import { nodeCrypto } from "../util/builtins.js";
import { spkiPublicKeyBits } from "../util/der.js";
import {
  type Algorithm,
  algorithmsForKey,
  isAlgorithm,
  keyMismatch,
  unusableKeyReason,
} from "./algorithms.js";
import { judgeKey, type KeyRefusalCode } from "./judge.js";
import type { Jwk, VerificationKey } from "./types.js";

const { createPublicKey, createSecretKey } = nodeCrypto;

/**
 * Key import: untrusted key material in, a {@link VerificationKey} out, or a reason why not.
 * Import runs at configuration or JWKS-fetch time, never per token.
 */

export type ImportResult =
  | { ok: true; key: VerificationKey }
  | {
      ok: false;
      reason: string;
      /** Set when the key was refused as untrustworthy (see `judgeKey`), not merely unusable here. */
      refused?: KeyRefusalCode;
    };

const B64URL = /^[A-Za-z0-9_-]+$/;

let nextId = 0;
/** A process-unique id for a key instance (see {@link VerificationKey.id}). */
export function newKeyId(label: string): string {
  nextId += 1;
  return `${label}#${nextId}`;
}

/**
 * Binds an imported key to the algorithms it may verify: `pinned` (a JWK `alg`) when given, the
 * key type's algorithms otherwise, both intersected with the issuer's `allowed` list. Every key of
 * every source passes through here, so this is where a key is judged first ({@link judgeKey}): a
 * key that cannot be trusted (an RSA exponent of 1, a ROCA modulus, …) is refused whatever it is for.
 */
export function bindKey(
  key: KeyObject,
  kid: string | undefined,
  pinned: Algorithm | undefined,
  allowed: readonly Algorithm[],
  label: string,
): ImportResult {
  const refusal = judgeKey(key);
  if (refusal !== null) return { ok: false, reason: refusal.reason, refused: refusal.code };
  if (pinned !== undefined) {
    const mismatch = keyMismatch(key, pinned);
    if (mismatch) return { ok: false, reason: mismatch };
  }
  const byType = pinned ? [pinned] : algorithmsForKey(key);
  if (byType.length === 0) return { ok: false, reason: unusableKeyReason(key) };
  const usable = byType.filter((a) => allowed.includes(a));
  if (usable.length === 0) {
    return {
      ok: false,
      reason: `the key verifies ${byType.join(", ")}, none of which is allowed (${allowed.join(", ")})`,
    };
  }
  return { ok: true, key: { kid, key, algorithms: new Set(usable), id: newKeyId(label) } };
}

/**
 * Imports one public JWK. Private members are dropped (only the public part is ever used); `oct`
 * keys are accepted only when `allowSymmetric` (an inline JWKS in the configuration), never from a
 * remote JWKS. `use` must be `sig` and `key_ops` must include `verify` when present.
 */
export function importJwk(
  jwk: Jwk,
  allowed: readonly Algorithm[],
  options: { allowSymmetric: boolean },
): ImportResult {
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk))
    return { ok: false, reason: "a key is not a JSON object" };
  if (
    jwk.kid !== undefined &&
    (typeof jwk.kid !== "string" || jwk.kid.length === 0 || jwk.kid.length > 256)
  ) {
    return { ok: false, reason: "kid must be a non-empty string of at most 256 characters" };
  }
  const kid = jwk.kid as string | undefined;
  const label = kid === undefined ? "key without kid" : `kid ${JSON.stringify(kid)}`;
  if (jwk.use !== undefined && jwk.use !== "sig")
    return { ok: false, reason: `${label}: use is ${JSON.stringify(jwk.use)}, not "sig"` };
  if (jwk.key_ops !== undefined && (!Array.isArray(jwk.key_ops) || !jwk.key_ops.includes("verify"))) {
    return { ok: false, reason: `${label}: key_ops does not include "verify"` };
  }
  if (jwk.alg !== undefined && !isAlgorithm(jwk.alg)) {
    return {
      ok: false,
      reason: `${label}: alg ${JSON.stringify(String(jwk.alg)).slice(0, 40)} is not supported`,
    };
  }
  const pinned = jwk.alg as Algorithm | undefined;
  let key: KeyObject;
  try {
    key = importJwkMaterial(jwk, options.allowSymmetric);
  } catch (error) {
    return { ok: false, reason: `${label}: ${(error as Error).message}` };
  }
  const bound = bindKey(key, kid, pinned, allowed, "jwk");
  return bound.ok ? bound : { ...bound, reason: `${label}: ${bound.reason}` };
}

function b64(jwk: Jwk, member: string): string {
  const value = jwk[member];
  if (typeof value !== "string" || !B64URL.test(value) || value.length > 2048) {
    throw new Error(`member ${member} is missing or not base64url`);
  }
  return value;
}

function importJwkMaterial(jwk: Jwk, allowSymmetric: boolean): KeyObject {
  switch (jwk.kty) {
    case "RSA":
      return createPublicKey({ key: { kty: "RSA", n: b64(jwk, "n"), e: b64(jwk, "e") }, format: "jwk" });
    case "EC": {
      if (jwk.crv !== "P-256" && jwk.crv !== "P-384" && jwk.crv !== "P-521")
        throw new Error(`curve ${String(jwk.crv)} is not supported`);
      return createPublicKey({
        key: { kty: "EC", crv: jwk.crv, x: b64(jwk, "x"), y: b64(jwk, "y") },
        format: "jwk",
      });
    }
    case "OKP": {
      if (jwk.crv !== "Ed25519") throw new Error(`curve ${String(jwk.crv)} is not supported`);
      return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: b64(jwk, "x") }, format: "jwk" });
    }
    case "oct":
      if (!allowSymmetric) throw new Error("symmetric (oct) keys are never accepted from a remote key set");
      return createSecretKey(Buffer.from(b64(jwk, "k"), "base64url"));
    default:
      throw new Error(`kty ${JSON.stringify(String(jwk.kty)).slice(0, 40)} is not supported`);
  }
}

/** Imports a PEM public key (SPKI, PKCS#1 or an X.509 certificate); a private key yields its public half. */
export function importPem(pem: string): KeyObject {
  if (typeof pem !== "string" || !pem.includes("-----BEGIN")) throw new Error("is not a PEM document");
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType === "ec" && !hasEncodedPoint(key)) {
    throw new Error("is an EC key without a curve point (the point at infinity)");
  }
  return key;
}

/**
 * OpenSSL checks that an EC public key's point lies on its curve when it imports the key, but it
 * imports the point at infinity (encoded as the single byte 0) from an SPKI, and Node then aborts
 * the process when anything reads the key (its details, a JWK export, a verification). Such a key
 * is refused here, before anything touches it: its SPKI must carry a compressed (02, 03) or
 * uncompressed (04) point.
 */
function hasEncodedPoint(key: KeyObject): boolean {
  try {
    const point = spkiPublicKeyBits(key.export({ type: "spki", format: "der" }));
    return point.length > 1 && (point[0] === 2 || point[0] === 3 || point[0] === 4);
  } catch {
    return false;
  }
}

const LOOKS_LIKE_KEY = /-----BEGIN|"(kty|keys)"\s*:/;

/** True when a would-be shared secret is really a PEM, a JWK or a JWKS (key confusion, or a paste error). */
export function looksLikeKey(secret: string): boolean {
  return LOOKS_LIKE_KEY.test(secret);
}

/**
 * Imports a shared secret given as a string (its UTF-8 bytes). A string that is a PEM or a JWK is
 * refused: a public key used as an HMAC secret is the classic key-confusion attack.
 */
export function importSecret(secret: string): KeyObject {
  if (looksLikeKey(secret)) {
    throw new Error("looks like a public key; a public key can never be used as an HMAC secret");
  }
  return createSecretKey(Buffer.from(secret, "utf8"));
}
