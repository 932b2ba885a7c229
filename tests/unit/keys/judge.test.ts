import assert from "node:assert/strict";
import {
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  generatePrimeSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { describe, it } from "node:test";
import { judgeKey, judgeRsa, MAX_RSA_BITS } from "../../../src/keys/judge.js";
import { createAuthorizer } from "../../../src/lambda/authorizer.js";
import { modPow, ROCA_M } from "../../helpers/weak-keys.js";

// Keys are built for each rule with the test's own arithmetic (no code shared with judge.ts) and
// imported as JWK {kty:"RSA", n, e} through node:crypto, as every key source does: OpenSSL accepts
// e = 1, e = 2, e = 3 and a 257-bit exponent at import (the first test holds that), so every rule is
// exercised through `judgeKey` on a real KeyObject, and through `judgeRsa` on the same numbers.

const T = { timeout: 120_000 };

const b64 = (x: bigint): string => {
  let hex = x.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Buffer.from(hex, "hex").toString("base64url");
};
const big = (s: string): bigint => BigInt(`0x${Buffer.from(s, "base64url").toString("hex")}`);
const bits = (x: bigint): number => x.toString(2).length;

function rsaKey(n: bigint, e: bigint): KeyObject {
  return createPublicKey({ key: { kty: "RSA", n: b64(n), e: b64(e) }, format: "jwk" });
}

function realModulus(modulusLength: number): bigint {
  const { publicKey } = generateKeyPairSync("rsa", { modulusLength });
  return big((publicKey.export({ format: "jwk" }) as { n: string }).n);
}

const N2048 = realModulus(2048);

/** Odd primes below 752 by trial division (the test's own list). */
const PRIMES_BELOW_752: bigint[] = [];
for (let c = 3; c < 752; c += 2) {
  let prime = true;
  for (let d = 3; d * d <= c; d += 2) if (c % d === 0) prime = false;
  if (prime) PRIMES_BELOW_752.push(BigInt(c));
}

/** A random odd value of exactly `n` bits. */
function randomOdd(nBits: number): bigint {
  const x = BigInt(`0x${randomBytes(Math.ceil(nBits / 8) + 1).toString("hex")}`);
  return (x % (1n << BigInt(nBits - 1))) | (1n << BigInt(nBits - 1)) | 1n;
}

function expectRefused(n: bigint, e: bigint, code: string): void {
  const verdict = judgeKey(rsaKey(n, e));
  assert.equal(verdict?.code, code, `judgeKey: expected ${code}, got ${JSON.stringify(verdict)}`);
  assert.equal(judgeRsa(n, e)?.code, code);
  assert.doesNotMatch(verdict!.reason, /[A-Za-z0-9_-]{40}/, "the reason quotes no key material");
}

function expectAccepted(n: bigint, e: bigint): void {
  assert.equal(judgeKey(rsaKey(n, e)), null);
  assert.equal(judgeRsa(n, e), null);
}

describe("judgeKey: RSA public exponent (FIPS 186-5: odd, 65537 ≤ e < 2^256)", () => {
  it("OpenSSL imports every exponent below: judging, not import, is what refuses them", () => {
    for (const e of [1n, 2n, 3n, 65536n, (1n << 256n) + 1n]) {
      assert.equal(rsaKey(N2048, e).asymmetricKeyDetails?.publicExponent, e);
    }
  });

  it("refuses e = 1 (anyone can forge), naming why", () => {
    expectRefused(N2048, 1n, "RSA_EXPONENT_INVALID");
    assert.match(judgeRsa(N2048, 1n)!.reason, /exponent is 1.*forge/);
  });

  it("refuses an even exponent (e = 2, e = 65536, e = 2^255)", () => {
    for (const e of [2n, 65536n, 1n << 255n]) expectRefused(N2048, e, "RSA_EXPONENT_INVALID");
  });

  it("refuses small odd exponents (e = 3, e = 17, e = 65535)", () => {
    for (const e of [3n, 17n, 65535n]) expectRefused(N2048, e, "RSA_EXPONENT_INVALID");
  });

  it("refuses e = 2^256 + 1 and accepts e = 2^256 − 1, e = 65537, e = 65539", () => {
    expectRefused(N2048, (1n << 256n) + 1n, "RSA_EXPONENT_INVALID");
    expectAccepted(N2048, (1n << 256n) - 1n);
    expectAccepted(N2048, 65537n);
    expectAccepted(N2048, 65539n);
  });
});

describe("judgeKey: RSA modulus size (2048 to MAX_RSA_BITS bits)", () => {
  it("refuses a 1024-bit modulus", T, () => {
    const n = realModulus(1024);
    expectRefused(n, 65537n, "RSA_MODULUS_SIZE");
    assert.match(judgeRsa(n, 65537n)!.reason, /at least 2048 bits \(got 1024\)/);
  });

  it("refuses a 2047-bit modulus and a modulus of MAX_RSA_BITS + 8 bits", () => {
    expectRefused(randomOdd(2047), 65537n, "RSA_MODULUS_SIZE");
    assert.equal(MAX_RSA_BITS, 8192);
    const huge = randomOdd(MAX_RSA_BITS + 8);
    assert.equal(bits(huge), 8200);
    expectRefused(huge, 65537n, "RSA_MODULUS_SIZE");
    assert.match(judgeRsa(huge, 65537n)!.reason, /at most 8192 bits \(got 8200\)/);
  });
});

describe("judgeKey: RSA modulus partial validation (NIST SP 800-89 §5.3.3)", () => {
  it("refuses a modulus with a factor below 752 (751 · k, 3 · k) and an even modulus", () => {
    const k = randomOdd(2047);
    for (const n of [751n * k, 3n * k, 2n * randomOdd(2047)]) {
      assert.ok(bits(n) >= 2048 && bits(n) <= 8192);
      expectRefused(n, 65537n, "RSA_MODULUS_INVALID");
    }
  });

  it("accepts a modulus whose smallest factor is 757 (the first prime above the bound)", T, () => {
    // 757 · p · q with p, q of about 1020 bits: composite, not a prime power, no factor below 752.
    const p = generatePrimeSync(1020, { bigint: true });
    const q = generatePrimeSync(1020, { bigint: true });
    expectAccepted(757n * p * q, 65537n);
  });

  it("refuses a prime modulus", T, () => {
    const p = generatePrimeSync(2048, { bigint: true });
    expectRefused(p, 65537n, "RSA_MODULUS_INVALID");
    assert.match(judgeRsa(p, 65537n)!.reason, /prime or a prime power/);
  });

  it("refuses a prime square and a prime cube", T, () => {
    const p = generatePrimeSync(1100, { bigint: true });
    const q = generatePrimeSync(700, { bigint: true });
    for (const n of [p * p, q * q * q]) {
      assert.ok(bits(n) >= 2048, `${bits(n)} bits`);
      expectRefused(n, 65537n, "RSA_MODULUS_INVALID");
    }
  });

  it("refuses a prime fifth and seventh power", T, () => {
    for (const [size, k] of [
      [420, 5n],
      [300, 7n],
    ] as const) {
      const p = generatePrimeSync(size, { bigint: true });
      expectRefused(p ** k, 65537n, "RSA_MODULUS_INVALID");
    }
  });
});

describe("judgeKey: ROCA fingerprint (CVE-2017-15361)", () => {
  // The 38 primes of the published detector (roca/detect.py). A modulus made by the affected
  // library is congruent to a power of 65537 modulo their product M.
  const M = ROCA_M;

  /** n = k·M + (65537^a mod M): odd, 2048 bits, no factor below 752, as a real ROCA modulus is. */
  function rocaModulus(): bigint {
    for (;;) {
      const a = BigInt(`0x${randomBytes(8).toString("hex")}`);
      const k = randomOdd(2048 - bits(M));
      const n = k * M + modPow(65537n, a, M);
      if (bits(n) !== 2048 || (n & 1n) === 0n) continue;
      if (PRIMES_BELOW_752.some((p) => n % p === 0n)) continue;
      return n;
    }
  }

  it("refuses a fingerprinted modulus", () => {
    for (let i = 0; i < 5; i++) {
      const n = rocaModulus();
      expectRefused(n, 65537n, "RSA_MODULUS_ROCA");
      assert.match(judgeRsa(n, 65537n)!.reason, /ROCA.*CVE-2017-15361/);
    }
  });

  it("one residue outside the subgroup is enough to clear it (65537 generates a proper subgroup mod 11)", () => {
    // 65537 ≡ 10 (mod 11) generates {1, 10}; move n to residue 2 mod 11 by the CRT step M/11 · t.
    const n = rocaModulus();
    const step = M / 11n;
    let moved = n;
    while (moved % 11n !== 2n) moved += 2n * step; // keeps n odd and every other residue
    if (PRIMES_BELOW_752.some((p) => moved % p === 0n)) return; // rare; the refusal test covers the rest
    assert.notEqual(judgeRsa(moved, 65537n)?.code, "RSA_MODULUS_ROCA");
  });
});

describe("judgeKey: real keys and other key types", () => {
  for (const size of [2048, 3072, 4096]) {
    it(`accepts a real ${size}-bit RSA key (RS*/PS*) and an rsa-pss key`, T, () => {
      const { publicKey } = generateKeyPairSync("rsa", { modulusLength: size });
      assert.equal(judgeKey(publicKey), null);
      const n = big((publicKey.export({ format: "jwk" }) as { n: string }).n);
      assert.equal(judgeRsa(n, 65537n), null);
    });
  }

  it("judges an RSA-PSS (id-RSASSA-PSS) key like any RSA key", T, () => {
    const { publicKey } = generateKeyPairSync("rsa-pss", { modulusLength: 2048 });
    assert.equal(judgeKey(publicKey), null);
    const weak = generateKeyPairSync("rsa-pss", { modulusLength: 1024 }).publicKey;
    assert.equal(judgeKey(weak)?.code, "RSA_MODULUS_SIZE");
    const e3 = generateKeyPairSync("rsa-pss", { modulusLength: 2048, publicExponent: 3 }).publicKey;
    assert.equal(judgeKey(e3)?.code, "RSA_EXPONENT_INVALID");
    // Node cannot export an RSA-PSS key as a JWK: judging must not throw at cold start for one.
    const pem = publicKey.export({ type: "spki", format: "pem" }).toString();
    assert.doesNotThrow(() =>
      createAuthorizer({ issuers: [{ issuer: "https://issuer.test/", audience: ["a"], publicKey: pem }] }),
    );
  });

  it("has no opinion on EC, Ed25519 and secret keys", () => {
    assert.equal(judgeKey(generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey), null);
    assert.equal(judgeKey(generateKeyPairSync("ed25519").publicKey), null);
    assert.equal(judgeKey(createSecretKey(randomBytes(32))), null);
  });

  it("memoizes by material: the same modulus judged again is a map lookup, with the same verdict", () => {
    const n = realModulus(2048);
    const first = judgeKey(rsaKey(n, 65537n));
    const start = process.hrtime.bigint();
    for (let i = 0; i < 100; i++) assert.equal(judgeKey(rsaKey(n, 65537n)), first);
    const perCall = Number(process.hrtime.bigint() - start) / 100 / 1e6;
    assert.ok(perCall < 2, `${perCall.toFixed(3)} ms per memoized judgement`);
    const refused = judgeKey(rsaKey(n, 1n));
    assert.equal(judgeKey(rsaKey(n, 1n)), refused, "a refusal is memoized too, by exponent and modulus");
    assert.equal(refused?.code, "RSA_EXPONENT_INVALID");
  });
});
