import type { KeyObject } from "node:crypto";
import { ALGORITHM_SPECS, type Algorithm } from "../keys/algorithms.js";
import { nodeCrypto } from "../util/builtins.js";

const { constants, createHmac, timingSafeEqual, verify } = nodeCrypto;

const modulusBytes = new WeakMap<KeyObject, number>();

/**
 * An RSA signature is exactly as long as the modulus (RFC 8017 §8.1.2, RFC 7518 §3.3). OpenSSL
 * also accepts a signature whose leading zero bytes were dropped or added, which would make a
 * token's signature malleable; gatepass refuses any other length. Cached per key: reading
 * `asymmetricKeyDetails` allocates.
 */
function rsaSignatureBytes(key: KeyObject): number {
  let bytes = modulusBytes.get(key);
  if (bytes === undefined) {
    bytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
    modulusBytes.set(key, bytes);
  }
  return bytes;
}

/**
 * Verifies a JWS signature with a pre-imported `KeyObject` on `node:crypto` directly (no WebCrypto
 * round trip: that is what makes gatepass several times faster than WebCrypto-based verifiers).
 * The caller has already checked that `key` may verify `alg`. Returns false for any bad signature,
 * including one of the wrong length; never throws for hostile input.
 */
export function verifySignature(
  alg: Algorithm,
  key: KeyObject,
  signingInput: string,
  signature: Buffer,
): boolean {
  const spec = ALGORITHM_SPECS[alg];
  try {
    switch (spec.family) {
      case "hmac": {
        const expected = createHmac(spec.hash!, key).update(signingInput).digest();
        return expected.length === signature.length && timingSafeEqual(expected, signature);
      }
      case "rsa":
        if (signature.length !== rsaSignatureBytes(key)) return false;
        return verify(spec.hash, Buffer.from(signingInput), key, signature);
      case "rsa-pss":
        if (signature.length !== rsaSignatureBytes(key)) return false;
        return verify(
          spec.hash,
          Buffer.from(signingInput),
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
          signature,
        );
      case "ecdsa":
        // JOSE signatures are raw r||s (RFC 7518 §3.4), not DER: a DER signature has another length.
        if (signature.length !== spec.signatureBytes) return false;
        return verify(spec.hash, Buffer.from(signingInput), { key, dsaEncoding: "ieee-p1363" }, signature);
      case "eddsa":
        if (signature.length !== 64) return false;
        return verify(null, Buffer.from(signingInput), key, signature);
    }
  } catch {
    // OpenSSL rejects some malformed signatures by throwing rather than returning false.
    return false;
  }
}
