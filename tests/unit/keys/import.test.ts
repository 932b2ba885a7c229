/**
 * Key import (src/keys/import.ts): JWKs, PEM and secrets in; a key bound to the algorithms it may
 * verify out — or a one-line reason. RFC 8725: a JWK's `alg` pins the key to that algorithm.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, test } from "node:test";
import { ALGORITHMS, type Algorithm } from "../../../src/keys/algorithms.js";
import { bindKey, importJwk, importPem, importSecret, newKeyId } from "../../../src/keys/import.js";
import { ALL_ALGORITHMS, keyPair, testKey } from "../../helpers/keys.js";

const local = { allowSymmetric: true };
const remote = { allowSymmetric: false };

function imported(jwk: Record<string, unknown>, allowed: readonly Algorithm[] = ALGORITHMS, options = local) {
  const result = importJwk(jwk, allowed, options);
  assert.ok(result.ok, result.ok ? "" : result.reason);
  return result.key;
}

function refused(
  jwk: unknown,
  allowed: readonly Algorithm[] = ALGORITHMS,
  options = local,
  reason?: RegExp,
): string {
  const result = importJwk(jwk as Record<string, unknown>, allowed, options);
  assert.equal(result.ok, false, `imported ${JSON.stringify(jwk).slice(0, 80)}`);
  const text = (result as { reason: string }).reason;
  assert.ok(!/[\r\n]/.test(text), text);
  if (reason) assert.match(text, reason);
  return text;
}

describe("importJwk: what a key verifies", () => {
  for (const alg of ALL_ALGORITHMS) {
    test(`a ${alg} JWK with alg is pinned to ${alg}`, () => {
      const key = imported(testKey(alg).publicJwk);
      assert.deepEqual([...key.algorithms], [alg]);
      assert.equal(key.kid, testKey(alg).kid);
    });
  }

  test("without alg, the key type decides", () => {
    const strip = (alg: (typeof ALL_ALGORITHMS)[number]) => {
      const { alg: _, ...jwk } = testKey(alg).publicJwk;
      return jwk;
    };
    assert.deepEqual(
      new Set(imported(strip("RS256")).algorithms),
      new Set(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]),
    );
    assert.deepEqual([...imported(strip("ES256")).algorithms], ["ES256"]);
    assert.deepEqual([...imported(strip("ES384")).algorithms], ["ES384"]);
    assert.deepEqual([...imported(strip("ES512")).algorithms], ["ES512"]);
    assert.deepEqual([...imported(strip("EdDSA")).algorithms], ["EdDSA"]);
    assert.deepEqual([...imported(strip("HS256")).algorithms], ["HS256", "HS384", "HS512"]); // 64-byte secret
  });

  test("the issuer's allowlist narrows the key; an empty intersection is refused", () => {
    const { alg: _, ...rsa } = testKey("RS256").publicJwk;
    assert.deepEqual([...imported(rsa, ["PS256", "ES256"]).algorithms], ["PS256"]);
    refused(rsa, ["ES256"], local, /none of which is allowed/);
    refused(testKey("RS256").publicJwk, ["PS256"], local, /none of which is allowed/);
  });

  test("a private JWK is imported as its public half", () => {
    for (const alg of ["RS256", "ES256", "EdDSA"] as const) {
      const key = imported(testKey(alg).privateJwk);
      assert.equal(key.key.type, "public");
    }
  });

  test("each import gets a new instance id", () => {
    const a = imported(testKey("ES256").publicJwk);
    const b = imported(testKey("ES256").publicJwk);
    assert.notEqual(a.id, b.id);
    assert.notEqual(newKeyId("x"), newKeyId("x"));
  });
});

describe("importJwk: what is refused, with a one-line reason", () => {
  const rsa = testKey("RS256").publicJwk;
  const ec = testKey("ES256").publicJwk;

  test("oct keys only from a local (configured) key set, never from a remote one", () => {
    imported(testKey("HS256").publicJwk, ALGORITHMS, local);
    refused(testKey("HS256").publicJwk, ALGORITHMS, remote, /symmetric/);
  });

  test("oct keys shorter than the algorithm needs", () => {
    const k = Buffer.alloc(16, 7).toString("base64url");
    refused({ kty: "oct", k }, ALGORITHMS, local, /32 bytes/);
    refused(
      { kty: "oct", k: Buffer.alloc(32, 7).toString("base64url"), alg: "HS512" },
      ALGORITHMS,
      local,
      /64 bytes/,
    );
  });

  test("RS→HS confusion through the JWK itself: an RSA JWK claiming HS256", () => {
    refused({ ...rsa, alg: "HS256" }, ALGORITHMS, local, /HMAC/);
  });

  test("an alg that does not fit the key", () => {
    refused({ ...ec, alg: "ES384" }, ALGORITHMS, local, /cannot verify ES384/);
    refused({ ...ec, alg: "RS256" }, ALGORITHMS, local);
    refused({ ...rsa, alg: "ES256" }, ALGORITHMS, local);
    refused({ ...testKey("EdDSA").publicJwk, alg: "ES256" }, ALGORITHMS, local);
  });

  for (const alg of ["none", "RSA-OAEP", "ES256K", "Ed25519", "rs256", 256, null]) {
    test(`alg ${JSON.stringify(alg)} is not supported`, () => {
      refused({ ...rsa, alg }, ALGORITHMS, local);
    });
  }

  test("use other than sig, key_ops without verify", () => {
    refused({ ...rsa, use: "enc" }, ALGORITHMS, local, /use/);
    refused({ ...rsa, key_ops: ["sign"] }, ALGORITHMS, local, /key_ops/);
    refused({ ...rsa, key_ops: "verify" }, ALGORITHMS, local, /key_ops/);
    imported({ ...rsa, use: "sig", key_ops: ["verify", "sign"] });
  });

  test("kid must be a non-empty string of at most 256 characters", () => {
    for (const kid of ["", "k".repeat(257), 1, null, ["a"], {}])
      refused({ ...rsa, kid }, ALGORITHMS, local, /kid/);
    imported({ ...rsa, kid: "k".repeat(256) });
  });

  test("unsupported key types and curves", () => {
    refused({ ...rsa, kty: "RSA-PSS" }, ALGORITHMS, local, /kty/);
    refused({ kty: "foo" }, ALGORITHMS, local, /kty/);
    refused({ n: rsa.n, e: rsa.e }, ALGORITHMS, local, /kty/);
    refused({ ...ec, crv: "secp256k1", alg: undefined }, ALGORITHMS, local, /curve/);
    refused({ ...ec, crv: "P-192", alg: undefined }, ALGORITHMS, local, /curve/);
    const x25519 = generateKeyPairSync("x25519").publicKey.export({ format: "jwk" });
    refused(x25519, ALGORITHMS, local, /curve/);
    const ed448 = generateKeyPairSync("ed448").publicKey.export({ format: "jwk" });
    refused(ed448, ALGORITHMS, local, /curve/);
  });

  test("members that are missing, not base64url, or absurdly long", () => {
    refused({ kty: "RSA", e: "AQAB" }, ALGORITHMS, local, /member n/);
    refused({ ...rsa, n: `${rsa.n}==` }, ALGORITHMS, local, /member n/);
    refused(
      { ...rsa, n: (rsa.n as string).replace(/-/g, "+").replace(/_/g, "/").concat("+/") },
      ALGORITHMS,
      local,
      /member n/,
    );
    refused({ ...rsa, n: "A".repeat(5000) }, ALGORITHMS, local, /member n/);
    refused({ ...rsa, e: 65537 }, ALGORITHMS, local, /member e/);
    refused({ ...ec, y: undefined }, ALGORITHMS, local, /member y/);
  });

  test("an EC point that is not on the curve", () => {
    const x = Buffer.from(ec.x as string, "base64url");
    x[5] = x[5]! ^ 1;
    refused({ ...ec, x: x.toString("base64url") }, ALGORITHMS, local);
  });

  test("an RSA key under 2048 bits is refused for its size, not as an HMAC secret", () => {
    const weak = keyPair("rsa", 9, 1024).publicKey.export({ format: "jwk" });
    refused(weak, ALGORITHMS, local, /2048/);
    refused({ ...weak, alg: "RS256" }, ALGORITHMS, local, /2048/);
  });

  test("values that are not objects", () => {
    for (const value of [null, [], "jwk", 1]) refused(value);
  });

  test("the reason never contains key material", () => {
    const reason = refused({ ...rsa, alg: "HS256" });
    assert.ok(!reason.includes((rsa.n as string).slice(0, 20)));
  });
});

describe("importPem", () => {
  test("imports SPKI and PKCS#1 public keys", () => {
    const rs = testKey("RS256");
    assert.equal(importPem(rs.publicPem!).asymmetricKeyType, "rsa");
    const pkcs1 = rs.verifyKey.export({ type: "pkcs1", format: "pem" }).toString();
    assert.equal(importPem(pkcs1).type, "public");
    assert.equal(importPem(testKey("EdDSA").publicPem!).asymmetricKeyType, "ed25519");
  });

  test("a private key PEM yields its public half (never a private KeyObject)", () => {
    const pem = testKey("ES256").signingKey.export({ type: "pkcs8", format: "pem" }).toString();
    assert.equal(importPem(pem).type, "public");
  });

  test("refuses text that is not a PEM, and PEM armour around garbage", () => {
    assert.throws(() => importPem("MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"));
    assert.throws(() => importPem(JSON.stringify(testKey("RS256").publicJwk)));
    assert.throws(() => importPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"));
    assert.throws(() => importPem(42 as unknown as string));
  });
});

describe("importSecret", () => {
  test("uses the UTF-8 bytes of the string", () => {
    const key = importSecret("é".repeat(16));
    assert.equal(key.type, "secret");
    assert.equal(key.symmetricKeySize, 32);
  });

  for (const [what, text] of [
    ["a PEM", testKey("RS256").publicPem!],
    ["a PEM with leading whitespace", `\n\t ${testKey("RS256").publicPem!}`],
    ["a JWK", JSON.stringify(testKey("RS256").publicJwk)],
    ["a JWKS", JSON.stringify({ keys: [] })],
    ["a JWK with spaces", '{ "kty" : "EC" }'],
  ] as Array<[string, string]>) {
    test(`refuses ${what}: a public key is never an HMAC secret`, () => {
      assert.throws(() => importSecret(text), /public key/);
    });
  }
});

describe("bindKey", () => {
  test("a pinned algorithm the key cannot verify is refused", () => {
    const es = testKey("ES256");
    const result = bindKey(es.verifyKey, "k", "ES512", ALGORITHMS, "test");
    assert.equal(result.ok, false);
  });

  test("binds to the intersection of pin/type and allowlist", () => {
    const rs = testKey("RS256");
    const result = bindKey(rs.verifyKey, undefined, undefined, ["RS512", "ES256"], "test");
    assert.ok(result.ok);
    assert.deepEqual([...result.key.algorithms], ["RS512"]);
    assert.equal(result.key.kid, undefined);
  });
});
