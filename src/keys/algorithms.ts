import type { KeyObject } from "node:crypto";

import { ALGORITHMS, type Algorithm, isAlgorithm } from "../config/algorithms.js";

/** The JWS algorithms gatepass verifies (their names are part of the configuration's vocabulary). */
export { ALGORITHMS, type Algorithm, isAlgorithm };

export type AlgorithmFamily = "hmac" | "rsa" | "rsa-pss" | "ecdsa" | "eddsa";

export interface AlgorithmSpec {
  readonly family: AlgorithmFamily;
  /** Node's digest name; `null` for EdDSA, which hashes internally. */
  readonly hash: "sha256" | "sha384" | "sha512" | null;
  /** HMAC: the smallest secret accepted, in bytes (the hash size, RFC 7518 §3.2). */
  readonly minSecretBytes?: number;
  /** ECDSA: the curve as Node names it, and the raw `r||s` signature length. */
  readonly curve?: "prime256v1" | "secp384r1" | "secp521r1";
  readonly signatureBytes?: number;
}

export const ALGORITHM_SPECS: Readonly<Record<Algorithm, AlgorithmSpec>> = {
  HS256: { family: "hmac", hash: "sha256", minSecretBytes: 32 },
  HS384: { family: "hmac", hash: "sha384", minSecretBytes: 48 },
  HS512: { family: "hmac", hash: "sha512", minSecretBytes: 64 },
  RS256: { family: "rsa", hash: "sha256" },
  RS384: { family: "rsa", hash: "sha384" },
  RS512: { family: "rsa", hash: "sha512" },
  PS256: { family: "rsa-pss", hash: "sha256" },
  PS384: { family: "rsa-pss", hash: "sha384" },
  PS512: { family: "rsa-pss", hash: "sha512" },
  ES256: { family: "ecdsa", hash: "sha256", curve: "prime256v1", signatureBytes: 64 },
  ES384: { family: "ecdsa", hash: "sha384", curve: "secp384r1", signatureBytes: 96 },
  ES512: { family: "ecdsa", hash: "sha512", curve: "secp521r1", signatureBytes: 132 },
  EdDSA: { family: "eddsa", hash: null },
};

/** RSA keys shorter than this are refused (RFC 7518 §3.3, §3.5). */
export const MIN_RSA_BITS = 2048;

/**
 * The algorithms a key can verify, from its type alone (before any `alg` pin or allowlist).
 * A secret key yields only HMAC algorithms whose minimum length it meets; an asymmetric key never
 * yields an HMAC algorithm, which is what makes RS256→HS256 key confusion impossible.
 */
export function algorithmsForKey(key: KeyObject): Algorithm[] {
  if (key.type === "secret") {
    const size = key.symmetricKeySize ?? 0;
    return (["HS256", "HS384", "HS512"] as const).filter((a) => size >= ALGORITHM_SPECS[a].minSecretBytes!);
  }
  if (key.type !== "public") return [];
  const details = key.asymmetricKeyDetails ?? {};
  switch (key.asymmetricKeyType) {
    case "rsa":
      if ((details.modulusLength ?? 0) < MIN_RSA_BITS) return [];
      return ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
    case "rsa-pss":
      if ((details.modulusLength ?? 0) < MIN_RSA_BITS) return [];
      return ["PS256", "PS384", "PS512"];
    case "ec":
      switch (details.namedCurve) {
        case "prime256v1":
          return ["ES256"];
        case "secp384r1":
          return ["ES384"];
        case "secp521r1":
          return ["ES512"];
        default:
          return [];
      }
    case "ed25519":
      return ["EdDSA"];
    default:
      return [];
  }
}

/** Why `key` cannot verify `alg`, or `null` when it can. Used for clear configuration errors. */
export function keyMismatch(key: KeyObject, alg: Algorithm): string | null {
  if (algorithmsForKey(key).includes(alg)) return null;
  const spec = ALGORITHM_SPECS[alg];
  if (key.type === "secret") {
    if (spec.family !== "hmac") return `a shared secret cannot verify ${alg}`;
    return `${alg} needs a secret of at least ${spec.minSecretBytes} bytes (got ${key.symmetricKeySize})`;
  }
  if (spec.family === "hmac") return `a public key can never be used as an HMAC secret (${alg})`;
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if ((type === "rsa" || type === "rsa-pss") && (details.modulusLength ?? 0) < MIN_RSA_BITS) {
    return `RSA keys must be at least ${MIN_RSA_BITS} bits (got ${details.modulusLength})`;
  }
  const described = type === "ec" ? `an EC key on ${details.namedCurve}` : `a key of type ${type}`;
  return `${described} cannot verify ${alg}`;
}

/** Why a key verifies no algorithm at all (a short RSA key, an unsupported curve or key type). */
export function unusableKeyReason(key: KeyObject): string {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (key.type === "secret")
    return `a secret of ${key.symmetricKeySize} bytes is shorter than the 32 bytes HS256 needs`;
  if (type === "rsa" || type === "rsa-pss")
    return `RSA keys must be at least ${MIN_RSA_BITS} bits (got ${details.modulusLength})`;
  if (type === "ec") return `the curve ${details.namedCurve} is not supported (P-256, P-384, P-521)`;
  return `keys of type ${type} are not supported`;
}
