import {
  checkPrimeSync,
  createHash,
  createPrivateKey,
  createPublicKey,
  type JsonWebKey,
  type KeyObject,
  randomBytes,
} from "node:crypto";

/**
 * Keys gatepass must refuse, built with the test's own arithmetic (nothing shared with
 * src/keys/judge.ts): an RSA key published with e = 1 and the forgery it allows, and RSA keys of the
 * form the ROCA-affected library produced (CVE-2017-15361).
 */

export const b64n = (x: bigint): string => {
  let hex = x.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, "hex").toString("base64url");
};
export const bigOf = (b64: string): bigint => BigInt(`0x${Buffer.from(b64, "base64url").toString("hex")}`);
export const bitLength = (x: bigint): number => x.toString(2).length;

export function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1, s0, s1] = [a % m, m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error("not invertible");
  return ((s0 % m) + m) % m;
}

/** The DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2, note 1). */
const SHA256_DIGEST_INFO = Buffer.from("3031300d060960864801650304020105000420", "hex");

/**
 * The RS256 "signature" of `signingInput` under any modulus of `k` bytes with e = 1: s^1 mod n = s,
 * so the signature is the EMSA-PKCS1-v1_5 encoding itself. No private key is involved.
 */
export function forgeRs256WithExponentOne(signingInput: string, k: number): Buffer {
  const t = Buffer.concat([SHA256_DIGEST_INFO, createHash("sha256").update(signingInput).digest()]);
  return Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(k - t.length - 3, 0xff), Buffer.from([0]), t]);
}

/** `jwk` (an RSA public JWK) republished with e = 1. */
export function withExponentOne(jwk: JsonWebKey): JsonWebKey {
  return { ...jwk, e: "AQ" };
}

/** The 38 primes of the ROCA detector (roca/detect.py) and their product. */
export const ROCA_PRIMES = [
  3n,
  5n,
  7n,
  11n,
  13n,
  17n,
  19n,
  23n,
  29n,
  31n,
  37n,
  41n,
  43n,
  47n,
  53n,
  59n,
  61n,
  67n,
  71n,
  73n,
  79n,
  83n,
  89n,
  97n,
  101n,
  103n,
  107n,
  109n,
  113n,
  127n,
  131n,
  137n,
  139n,
  149n,
  151n,
  157n,
  163n,
  167n,
];
export const ROCA_M = ROCA_PRIMES.reduce((a, b) => a * b, 1n);

function randomBits(n: number): bigint {
  const x = BigInt(`0x${randomBytes(Math.ceil(n / 8) + 1).toString("hex")}`);
  return (x % (1n << BigInt(n - 1))) | (1n << BigInt(n - 1));
}

/** A prime p = k·M + (65537^a mod M) of `bits` bits, as the affected library generated them. */
function rocaPrime(bits: number): bigint {
  for (;;) {
    const a = BigInt(`0x${randomBytes(8).toString("hex")}`);
    // k·M in the top quarter of the range, so that a product of two such primes has 2·bits bits.
    const k = ((1n << BigInt(bits)) - randomBits(bits - 2)) / ROCA_M - 1n;
    const p = k * ROCA_M + modPow(65537n, a, ROCA_M);
    if (bitLength(p) !== bits || (p & 1n) === 0n || (p - 1n) % 65537n === 0n) continue;
    if (checkPrimeSync(p, { checks: 20 })) return p;
  }
}

/**
 * A complete 2048-bit RSA key pair whose primes have the ROCA structure, so its modulus carries the
 * fingerprint, and tokens it signs are genuinely valid signatures.
 */
export function rocaKeyPair(kid = "roca"): {
  publicJwk: JsonWebKey;
  privateKey: KeyObject;
  publicKey: KeyObject;
} {
  const e = 65537n;
  for (;;) {
    const p = rocaPrime(1024);
    const q = rocaPrime(1024);
    const n = p * q;
    if (p === q || bitLength(n) !== 2048) continue;
    const d = modInverse(e, (p - 1n) * (q - 1n));
    const jwk = {
      kty: "RSA",
      n: b64n(n),
      e: b64n(e),
      d: b64n(d),
      p: b64n(p),
      q: b64n(q),
      dp: b64n(d % (p - 1n)),
      dq: b64n(d % (q - 1n)),
      qi: b64n(modInverse(q, p)),
    };
    const privateKey = createPrivateKey({ key: jwk, format: "jwk" });
    const publicKey = createPublicKey(privateKey);
    return { publicJwk: { kty: "RSA", n: jwk.n, e: jwk.e, kid, alg: "RS256" }, privateKey, publicKey };
  }
}
