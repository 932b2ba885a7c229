/**
 * The peer verifiers, each set up the fastest way its documentation allows, with the same checks
 * as gatepass and the floor (`alg`, signature, `iss`, `aud`, `exp` required): keys imported once,
 * synchronous APIs where the library has one.
 */
import { webcrypto } from "node:crypto";
import { JwtVerifier } from "aws-jwt-verify";
import { createVerifier as createFastJwtVerifier } from "fast-jwt";
import { importJWK, jwtVerify } from "jose";
import jsonwebtoken from "jsonwebtoken";
import { AUDIENCE, type BenchAlgorithm, type BenchKey, ISSUER } from "./fixtures.js";

export interface PeerVerifier {
  readonly name: string;
  /** Cached verifiers are not compared with gatepass's uncached verification. */
  readonly cached: boolean;
  /** `undefined` when the peer does not support the algorithm. */
  readonly verify: ((token: string) => unknown) | undefined;
  /** Why `verify` is missing. */
  readonly unsupported?: string;
}

const AWS_JWT_VERIFY_ALGORITHMS: readonly BenchAlgorithm[] = ["RS256", "ES256", "EdDSA"];
/** jsonwebtoken (jws/jwa) has no EdDSA. */
const JSONWEBTOKEN_ALGORITHMS: readonly BenchAlgorithm[] = ["HS256", "RS256", "PS256", "ES256"];

/** aws-jwt-verify's generic verifier, its key cache filled from an inline JWKS (no network). */
export function createAwsJwtVerifyPeer(key: BenchKey): PeerVerifier {
  if (!AWS_JWT_VERIFY_ALGORITHMS.includes(key.alg)) {
    return { name: "aws-jwt-verify", cached: false, verify: undefined, unsupported: `no ${key.alg}` };
  }
  const verifier = JwtVerifier.create({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: "https://id.example.com/.well-known/jwks.json",
  });
  verifier.cacheJwks({ keys: [key.publicJwk as never] });
  return { name: "aws-jwt-verify", cached: false, verify: (token) => verifier.verifySync(token) };
}

/** fast-jwt with its key imported at creation; `cache: true` turns on its verified-token LRU cache. */
export function createFastJwtPeer(key: BenchKey, cache: boolean, cacheSize = 1000): PeerVerifier {
  const verify = createFastJwtVerifier({
    key: key.secret ?? key.publicPem!,
    algorithms: [key.alg],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
    requiredClaims: ["exp"],
    cache: cache ? cacheSize : false,
  }) as (token: string) => unknown;
  return { name: cache ? "fast-jwt (token cache)" : "fast-jwt", cached: cache, verify };
}

/** jsonwebtoken's synchronous `verify` with a `KeyObject`. */
export function createJsonwebtokenPeer(key: BenchKey): PeerVerifier {
  if (!JSONWEBTOKEN_ALGORITHMS.includes(key.alg)) {
    return { name: "jsonwebtoken", cached: false, verify: undefined, unsupported: `no ${key.alg}` };
  }
  const options = { algorithms: [key.alg as jsonwebtoken.Algorithm], issuer: ISSUER, audience: AUDIENCE };
  return {
    name: "jsonwebtoken",
    cached: false,
    verify: (token) => jsonwebtoken.verify(token, key.verifyKey, options),
  };
}

/** jose's `jwtVerify` with a pre-imported `CryptoKey` (WebCrypto). */
export async function createJosePeer(key: BenchKey): Promise<PeerVerifier> {
  const cryptoKey =
    key.secret !== undefined
      ? await webcrypto.subtle.importKey(
          "raw",
          Buffer.from(key.secret, "utf8"),
          { name: "HMAC", hash: "SHA-256" },
          false,
          ["verify"],
        )
      : await importJWK(key.publicJwk, key.alg);
  const options = { issuer: ISSUER, audience: AUDIENCE, algorithms: [key.alg], requiredClaims: ["exp"] };
  return { name: "jose", cached: false, verify: (token) => jwtVerify(token, cryptoKey, options) };
}

/** Every peer for `key`, in table order. */
export async function createPeerVerifiers(key: BenchKey): Promise<PeerVerifier[]> {
  return [
    createAwsJwtVerifyPeer(key),
    createFastJwtPeer(key, false),
    createFastJwtPeer(key, true),
    createJsonwebtokenPeer(key),
    await createJosePeer(key),
  ];
}
