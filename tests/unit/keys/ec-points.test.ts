/**
 * What node:crypto guarantees for EC public keys, and what gatepass adds: a point that is not on its
 * curve (a JWK or an SPKI), coordinates given for the wrong curve, and the point at infinity. The
 * first two are refused by OpenSSL at import; the point at infinity is imported from an SPKI and then
 * aborts the process on first use, so gatepass refuses it before anything reads it.
 */
import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, type JsonWebKey, sign } from "node:crypto";
import { describe, it } from "node:test";
import { ConfigError } from "../../../src/errors.js";
import { importJwk, importPem } from "../../../src/keys/import.js";
import { createAuthorizer } from "../../../src/lambda/authorizer.js";
import { verifySignature } from "../../../src/token/signature.js";

const CURVES = [
  ["P-256", "ES256", "06082a8648ce3d030107"],
  ["P-384", "ES384", "06052b81040022"],
  ["P-521", "ES512", "06052b81040023"],
] as const;

const jwkOf = (crv: string): JsonWebKey =>
  generateKeyPairSync("ec", { namedCurve: crv }).publicKey.export({ format: "jwk" });

/** `y` with its last bit flipped: off the curve (y and p − y are the only partners of x). */
function offCurve(jwk: JsonWebKey): JsonWebKey {
  const y = Buffer.from(jwk.y!, "base64url");
  y[y.length - 1]! ^= 1;
  return { ...jwk, y: y.toString("base64url") };
}

const pem = (der: Buffer) =>
  `-----BEGIN PUBLIC KEY-----\n${der.toString("base64")}\n-----END PUBLIC KEY-----\n`;

/** An SPKI for `curveOid` whose subjectPublicKey is `point` (hand-built DER, short lengths only). */
function spki(curveOid: string, point: Buffer): Buffer {
  const alg = Buffer.from(`06072a8648ce3d0201${curveOid}`, "hex");
  const algSeq = Buffer.concat([Buffer.from([0x30, alg.length]), alg]);
  const bits = Buffer.concat([Buffer.from([0x03, point.length + 1, 0]), point]);
  const body = Buffer.concat([algSeq, bits]);
  const length = body.length < 128 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
  return Buffer.concat([Buffer.from([0x30]), length, body]);
}

const ALL = ["ES256", "ES384", "ES512"] as const;

describe("EC public keys: points not on the curve", () => {
  for (const [crv, alg, oid] of CURVES) {
    it(`${crv}: OpenSSL refuses an off-curve point as a JWK and as an SPKI; gatepass reports it as a config error`, () => {
      const bad = offCurve(jwkOf(crv));
      assert.throws(() => createPublicKey({ key: bad, format: "jwk" }), { code: "ERR_CRYPTO_INVALID_JWK" });
      const result = importJwk({ ...bad, kid: "off" }, ALL, { allowSymmetric: false });
      assert.equal(result.ok, false);
      const point = Buffer.concat([
        Buffer.from([4]),
        Buffer.from(bad.x!, "base64url"),
        Buffer.from(bad.y!, "base64url"),
      ]);
      assert.throws(() => importPem(pem(spki(oid, point))));
      assert.throws(
        () =>
          createAuthorizer({
            issuers: [{ issuer: "https://i.test/", audience: ["a"], jwks: { keys: [bad] } }],
          }),
        (e: unknown) => e instanceof ConfigError && /jwks\.keys\[0\]/.test(e.field),
      );
      assert.equal(alg.startsWith("ES"), true);
    });
  }

  it("x = y = 0 is not a point of P-256", () => {
    const zero = Buffer.alloc(32).toString("base64url");
    assert.throws(() =>
      createPublicKey({ key: { kty: "EC", crv: "P-256", x: zero, y: zero }, format: "jwk" }),
    );
  });
});

describe("EC public keys: the wrong curve", () => {
  it("coordinates of one curve labelled with another are refused at import (length and curve equation)", () => {
    for (const [from] of CURVES) {
      const jwk = jwkOf(from);
      for (const [to] of CURVES) {
        if (to === from) continue;
        assert.throws(() => createPublicKey({ key: { ...jwk, crv: to }, format: "jwk" }), `${from} as ${to}`);
        assert.equal(importJwk({ ...jwk, crv: to }, ALL, { allowSymmetric: false }).ok, false);
      }
    }
  });

  it("a key is bound to its own curve's algorithm only: a P-256 key never verifies ES384 or ES512", () => {
    const result = importJwk({ ...jwkOf("P-256"), kid: "p256" }, ALL, { allowSymmetric: false });
    assert.ok(result.ok);
    assert.deepEqual([...result.key.algorithms], ["ES256"]);
  });
});

describe("EC public keys: the point at infinity", () => {
  for (const [crv, , oid] of CURVES) {
    it(`${crv}: an SPKI holding the point at infinity is refused by importPem, without touching the key`, () => {
      const infinity = pem(spki(oid, Buffer.from([0])));
      // OpenSSL imports it: the guarantee gatepass adds is that nothing reads such a key.
      assert.equal(createPublicKey(infinity).asymmetricKeyType, "ec");
      assert.throws(() => importPem(infinity), /point at infinity/);
      assert.throws(
        () =>
          createAuthorizer({
            issuers: [{ issuer: "https://i.test/", audience: ["a"], publicKey: infinity }],
          }),
        (e: unknown) => e instanceof ConfigError && e.field === "issuers[0].publicKey",
      );
    });
  }

  it("a JWK cannot express the point at infinity: x and y are required", () => {
    const result = importJwk({ kty: "EC", crv: "P-256", kid: "inf" }, ALL, { allowSymmetric: false });
    assert.equal(result.ok, false);
  });

  it("a compressed point (02/03) is a valid encoding: imported and verifying", () => {
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = publicKey.export({ format: "jwk" });
    const y = Buffer.from(jwk.y!, "base64url");
    const compressed = Buffer.concat([
      Buffer.from([2 + (y[y.length - 1]! & 1)]),
      Buffer.from(jwk.x!, "base64url"),
    ]);
    const key = importPem(pem(spki(CURVES[0][2], compressed)));
    const signature = sign("sha256", Buffer.from("a.b"), { key: privateKey, dsaEncoding: "ieee-p1363" });
    assert.equal(verifySignature("ES256", key, "a.b", signature), true);
  });
});
