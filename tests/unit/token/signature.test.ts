/**
 * `verifySignature` (src/token/signature.ts) on node:crypto: true only for the exact signature;
 * false, never a throw, for any hostile signature bytes.
 */
import assert from "node:assert/strict";
import { constants, createHmac, createSecretKey, generateKeyPairSync, sign } from "node:crypto";
import { describe, test } from "node:test";
import { verifySignature } from "../../../src/token/signature.js";
import { ALL_ALGORITHMS, rawSignature, testKey } from "../../helpers/keys.js";

const INPUT = "eyJhbGciOiJYIn0.eyJzdWIiOiJ4In0";

for (const alg of ALL_ALGORITHMS) {
  describe(`verifySignature ${alg}`, () => {
    const key = testKey(alg);
    const signature = rawSignature(alg, key.signingKey, INPUT);

    test("accepts the signature over the exact signing input", () => {
      assert.equal(verifySignature(alg, key.verifyKey, INPUT, signature), true);
    });

    test("refuses another signing input, another key, and hostile bytes without throwing", () => {
      assert.equal(verifySignature(alg, key.verifyKey, `${INPUT}x`, signature), false);
      assert.equal(verifySignature(alg, testKey(alg, 1).verifyKey, INPUT, signature), false);
      for (const bad of [
        Buffer.alloc(0),
        Buffer.alloc(1),
        Buffer.alloc(signature.length),
        Buffer.alloc(signature.length, 0xff),
        Buffer.alloc(signature.length + 1),
        Buffer.alloc(4096, 0x41),
        signature.subarray(0, signature.length - 1),
        Buffer.concat([signature, Buffer.from([0])]),
      ]) {
        assert.equal(verifySignature(alg, key.verifyKey, INPUT, bad), false);
      }
    });
  });
}

describe("verifySignature edge cases", () => {
  test("ECDSA: a DER signature is refused even though it is a valid ECDSA signature", () => {
    for (const alg of ["ES256", "ES384", "ES512"] as const) {
      const key = testKey(alg);
      const der = rawSignature(alg, key.signingKey, INPUT, { ecdsaEncoding: "der" });
      assert.equal(verifySignature(alg, key.verifyKey, INPUT, der), false);
    }
  });

  test("HMAC: a MAC under a prefix/suffix-extended key is refused", () => {
    const key = testKey("HS256");
    const other = createSecretKey(Buffer.concat([key.signingKey.export(), Buffer.from([0])]));
    assert.equal(verifySignature("HS256", key.verifyKey, INPUT, rawSignature("HS256", other, INPUT)), false);
  });

  test("HMAC: a MAC computed with a different hash size is refused", () => {
    const key = testKey("HS256");
    assert.equal(
      verifySignature("HS256", key.verifyKey, INPUT, rawSignature("HS512", key.signingKey, INPUT)),
      false,
    );
    assert.equal(
      verifySignature("HS512", key.verifyKey, INPUT, rawSignature("HS256", key.signingKey, INPUT)),
      false,
    );
  });

  test("RSA: PKCS#1 v1.5 and PSS signatures are not interchangeable, nor are hash sizes", () => {
    const key = testKey("RS256");
    assert.equal(
      verifySignature("PS256", key.verifyKey, INPUT, rawSignature("RS256", key.signingKey, INPUT)),
      false,
    );
    assert.equal(
      verifySignature("RS256", key.verifyKey, INPUT, rawSignature("PS256", key.signingKey, INPUT)),
      false,
    );
    assert.equal(
      verifySignature("RS384", key.verifyKey, INPUT, rawSignature("RS256", key.signingKey, INPUT)),
      false,
    );
  });

  test("a key of the wrong type returns false rather than throwing", () => {
    const ec = testKey("ES256");
    const ed = testKey("EdDSA");
    const rs = testKey("RS256");
    assert.equal(verifySignature("RS256", ec.verifyKey, INPUT, Buffer.alloc(256)), false);
    assert.equal(verifySignature("EdDSA", rs.verifyKey, INPUT, Buffer.alloc(64)), false);
    assert.equal(verifySignature("ES256", ed.verifyKey, INPUT, Buffer.alloc(64)), false);
  });
});

describe("RSA signature length is exactly the modulus length", () => {
  // OpenSSL accepts an RSA signature with its leading zero byte dropped (or one added); JWS
  // signatures must be exactly k bytes (RFC 7518 §3.3), or a token's signature is malleable.
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  for (const alg of ["RS256", "PS256"] as const) {
    test(`${alg}: a signature whose leading zero byte is dropped or doubled is refused`, () => {
      let checked = 0;
      for (let i = 0; i < 5000 && checked < 2; i++) {
        const input = `e30.${i}`;
        const sig =
          alg === "RS256"
            ? sign("sha256", Buffer.from(input), privateKey)
            : sign("sha256", Buffer.from(input), {
                key: privateKey,
                padding: constants.RSA_PKCS1_PSS_PADDING,
                saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
              });
        if (sig[0] !== 0) continue;
        checked++;
        assert.equal(verifySignature(alg, publicKey, input, sig), true);
        assert.equal(verifySignature(alg, publicKey, input, sig.subarray(1)), false);
        assert.equal(verifySignature(alg, publicKey, input, Buffer.concat([Buffer.from([0]), sig])), false);
      }
      assert.equal(checked, 2, "no signature with a leading zero byte was produced");
    });
  }
});

describe("HMAC is exactly createHmac's MAC", () => {
  // gatepass computes HMAC from two one-shot hashes over per-key buffers (src/token/signature.ts):
  // compare it with node:crypto's own HMAC across block boundaries, key lengths that need
  // hashing first, multi-byte messages, and reuse of the buffers in any order.
  const HASHES = [
    ["HS256", "sha256"],
    ["HS384", "sha384"],
    ["HS512", "sha512"],
  ] as const;
  const secretOf = (length: number, seed = 0) =>
    createSecretKey(Buffer.from(Array.from({ length }, (_, i) => (i * 131 + length * 7 + seed) & 0xff)));
  const messageOf = (length: number) =>
    Array.from({ length }, (_, i) => "ABCxyz019-_."[(i * 5 + length) % 12]).join("");
  const lengths = [0, 1, 55, 56, 63, 64, 65, 111, 112, 119, 127, 128, 129, 300, 2000, 9000, 17];

  test("every hash, secret length and message length; a flipped bit or another length is refused", () => {
    for (const [alg, hash] of HASHES) {
      for (const secretLength of [1, 32, 48, 63, 64, 65, 100, 127, 128, 129, 200]) {
        const key = secretOf(secretLength);
        for (const n of lengths) {
          const message = messageOf(n);
          const mac = createHmac(hash, key).update(message).digest();
          assert.equal(
            verifySignature(alg, key, message, mac),
            true,
            `${alg} key ${secretLength} message ${n}`,
          );
          const flipped = Buffer.from(mac);
          flipped[n % mac.length]! ^= 1 << (n % 8);
          assert.equal(verifySignature(alg, key, message, flipped), false);
          assert.equal(verifySignature(alg, key, message, mac.subarray(1)), false);
          assert.equal(verifySignature(alg, key, `${message}A`, mac), false);
        }
      }
    }
  });

  test("multi-byte messages are MACed as their UTF-8 bytes", () => {
    const key = secretOf(32);
    for (const message of [
      "é",
      "€uro",
      "😀".repeat(50),
      "\u0000\uFFFD",
      `${"é".repeat(100)}${messageOf(300)}`,
    ]) {
      for (const [alg, hash] of HASHES) {
        const mac = createHmac(hash, key).update(message).digest();
        assert.equal(verifySignature(alg, key, message, mac), true, JSON.stringify(message));
      }
    }
  });

  test("keys, hashes and message lengths interleaved (each key's buffers are its own)", () => {
    const keys = [secretOf(32, 1), secretOf(64, 2), secretOf(150, 3)];
    for (let round = 0; round < 3; round++) {
      for (const n of [9000, 10, 300, 0, 5000]) {
        for (const [k, key] of keys.entries()) {
          const [alg, hash] = HASHES[(k + round) % 3]!;
          const message = messageOf(n + k);
          const mac = createHmac(hash, key).update(message).digest();
          assert.equal(verifySignature(alg, key, message, mac), true);
          // another key's MAC over the same message never verifies
          const other = keys[(k + 1) % keys.length]!;
          assert.equal(verifySignature(alg, other, message, mac), false);
        }
      }
    }
  });

  test("a public or private key is never an HMAC key: false, never a throw", () => {
    const rs = testKey("RS256");
    const mac = createHmac("sha256", secretOf(32)).update(INPUT).digest();
    assert.equal(verifySignature("HS256", rs.verifyKey, INPUT, mac), false);
    assert.equal(verifySignature("HS512", rs.signingKey, INPUT, Buffer.alloc(64)), false);
  });
});
