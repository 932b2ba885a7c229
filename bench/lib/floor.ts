/**
 * The floor: the least work an honest verifier must do, on `node:crypto` with a pre-imported
 * `KeyObject` — split, base64url-decode and JSON-parse header and payload, check `alg`, verify the
 * signature, check `iss`, `aud` and `exp`. No strictness beyond that, no key lookup, no promise.
 * Every verifier in the benchmark is compared with it.
 */
import { constants, createHmac, type KeyObject, timingSafeEqual, verify } from "node:crypto";
import type { BenchAlgorithm } from "./fixtures.js";

export interface FloorOptions {
  readonly alg: BenchAlgorithm;
  readonly key: KeyObject;
  readonly issuer: string;
  readonly audience: string;
}

/** A floor verifier for one algorithm and key; throws on any failure, returns the payload. */
export function createFloorVerifier(options: FloorOptions): (token: string) => Record<string, unknown> {
  const { alg, key, issuer, audience } = options;
  const checkSignature = (input: string, signature: Buffer): boolean => {
    switch (alg) {
      case "HS256": {
        const expected = createHmac("sha256", key).update(input).digest();
        return expected.length === signature.length && timingSafeEqual(expected, signature);
      }
      case "RS256":
        return verify("sha256", Buffer.from(input), key, signature);
      case "PS256":
        return verify(
          "sha256",
          Buffer.from(input),
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
          signature,
        );
      case "ES256":
        return verify("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" }, signature);
      case "EdDSA":
        return verify(null, Buffer.from(input), key, signature);
    }
  };
  return (token: string) => {
    const dot1 = token.indexOf(".");
    const dot2 = token.indexOf(".", dot1 + 1);
    if (dot1 < 0 || dot2 < 0) throw new Error("malformed");
    const header = JSON.parse(Buffer.from(token.slice(0, dot1), "base64url").toString("utf8"));
    if (header.alg !== alg) throw new Error("alg");
    const payload = JSON.parse(Buffer.from(token.slice(dot1 + 1, dot2), "base64url").toString("utf8"));
    if (!checkSignature(token.slice(0, dot2), Buffer.from(token.slice(dot2 + 1), "base64url"))) {
      throw new Error("signature");
    }
    if (payload.iss !== issuer) throw new Error("iss");
    const aud = payload.aud;
    if (aud !== audience && !(Array.isArray(aud) && aud.includes(audience))) throw new Error("aud");
    if (typeof payload.exp !== "number" || Date.now() / 1000 >= payload.exp) throw new Error("exp");
    return payload;
  };
}
