/**
 * Published example signatures, byte for byte (tests/fixtures/rfc): RFC 7515 Appendix A.1–A.3
 * verify as JWTs end to end; RFC 7515 A.4, RFC 8037 A.4 and RFC 7520 §4.1–4.4 have payloads that
 * are not JSON objects, so they are checked at the signature level, and must still be refused as
 * JWTs by `decodeToken`.
 */
import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { AuthErrorCodes } from "../../../src/errors.js";
import { ALGORITHMS, type Algorithm } from "../../../src/keys/algorithms.js";
import { importJwk } from "../../../src/keys/import.js";
import { decodeToken } from "../../../src/token/decode.js";
import { verifySignature } from "../../../src/token/signature.js";
import { createVerifier } from "../../../src/token/verifier.js";
import { assertAuthError } from "../../helpers/keys.js";

interface Vector {
  source: string;
  alg: Algorithm;
  token: string;
  jwk: Record<string, unknown>;
  payload?: Record<string, unknown>;
  payloadText?: string;
}

const load = (name: string): Vector =>
  JSON.parse(readFileSync(new URL(`../../fixtures/rfc/${name}.json`, import.meta.url), "utf8")) as Vector;

/** RFC 7515's example payload expires at 1300819380 (2011-03-22T18:43:00Z). */
const RFC7515_EXP = 1300819380;
const before = (seconds: number) => () => seconds * 1000;

function importKey(vector: Vector) {
  const imported = importJwk(vector.jwk, ALGORITHMS, { allowSymmetric: true });
  assert.ok(imported.ok, imported.ok ? "" : imported.reason);
  return imported.key;
}

function split(token: string) {
  const dot = token.lastIndexOf(".");
  return { signingInput: token.slice(0, dot), signature: Buffer.from(token.slice(dot + 1), "base64url") };
}

describe("RFC 7515 Appendix A: JWTs that verify end to end", () => {
  for (const name of ["rfc7515-a1-hs256", "rfc7515-a2-rs256", "rfc7515-a3-es256"]) {
    const vector = load(name);

    test(`${vector.source}: verifies through an inline JWKS before exp`, async () => {
      const verifier = createVerifier(
        { issuers: [{ issuer: "joe", audience: null, jwks: { keys: [vector.jwk] } }] },
        { now: before(RFC7515_EXP - 60), sharedKeyCache: false },
      );
      const result = await verifier.verify(vector.token);
      assert.deepEqual(result.payload, vector.payload);
      assert.equal(result.header.alg, vector.alg);
      assert.equal(result.issuer, "joe");
    });

    test(`${vector.source}: is expired at exp (clock injected) and today`, async () => {
      for (const now of [before(RFC7515_EXP + 5), Date.now]) {
        const verifier = createVerifier(
          { issuers: [{ issuer: "joe", audience: null, jwks: { keys: [vector.jwk] } }] },
          { now, sharedKeyCache: false },
        );
        await assertAuthError(verifier.verify(vector.token), AuthErrorCodes.EXPIRED);
      }
    });

    test(`${vector.source}: refused for another issuer or an audience requirement`, async () => {
      const other = createVerifier(
        { issuers: [{ issuer: "joe/", audience: null, jwks: { keys: [vector.jwk] } }] },
        { now: before(RFC7515_EXP - 60), sharedKeyCache: false },
      );
      await assertAuthError(other.verify(vector.token), AuthErrorCodes.ISSUER_INVALID);
      const withAud = createVerifier(
        { issuers: [{ issuer: "joe", audience: "api", jwks: { keys: [vector.jwk] } }] },
        { now: before(RFC7515_EXP - 60), sharedKeyCache: false },
      );
      await assertAuthError(withAud.verify(vector.token), AuthErrorCodes.AUDIENCE_INVALID);
    });

    if (vector.jwk.kty !== "oct") {
      test(`${vector.source}: verifies through the same key as a PEM`, async () => {
        const pem = createPublicKey({ key: vector.jwk as never, format: "jwk" })
          .export({ type: "spki", format: "pem" })
          .toString();
        const verifier = createVerifier(
          { issuers: [{ issuer: "joe", audience: null, publicKey: pem }] },
          { now: before(RFC7515_EXP - 60), sharedKeyCache: false },
        );
        assert.deepEqual((await verifier.verify(vector.token)).payload, vector.payload);
      });
    }

    test(`${vector.source}: one flipped payload bit breaks it`, async () => {
      const [h, p, s] = vector.token.split(".") as [string, string, string];
      const bytes = Buffer.from(p, "base64url");
      const at = bytes.indexOf("joe") + 2;
      bytes[at] = bytes[at]! ^ 0x01; // "joe" → "jod"
      const tampered = `${h}.${bytes.toString("base64url")}.${s}`;
      const verifier = createVerifier(
        { issuers: [{ issuer: null, audience: null, jwks: { keys: [vector.jwk] } }] },
        { now: before(RFC7515_EXP - 60), sharedKeyCache: false },
      );
      await assertAuthError(verifier.verify(tampered), AuthErrorCodes.SIGNATURE_INVALID);
    });
  }

  test("RFC 7515 A.1: its header and payload contain CRLF whitespace and still decode (no duplicate members)", () => {
    const { header, payload } = decodeToken(load("rfc7515-a1-hs256").token);
    assert.deepEqual(header, { typ: "JWT", alg: "HS256" });
    assert.equal(payload.exp, RFC7515_EXP);
  });
});

describe("signature-level vectors whose payload is not a JSON object", () => {
  for (const name of [
    "rfc7515-a4-es512",
    "rfc8037-a4-ed25519",
    "rfc7520-4.1-rs256",
    "rfc7520-4.2-ps384",
    "rfc7520-4.3-es512",
    "rfc7520-4.4-hs256",
  ]) {
    const vector = load(name);

    test(`${vector.source}: the signature verifies with verifySignature and the RFC's JWK`, () => {
      const key = importKey(vector);
      assert.ok(key.algorithms.has(vector.alg), `imported key does not allow ${vector.alg}`);
      const { signingInput, signature } = split(vector.token);
      assert.equal(
        Buffer.from(signingInput.split(".")[1]!, "base64url").toString("utf8"),
        vector.payloadText,
      );
      assert.equal(verifySignature(vector.alg, key.key, signingInput, signature), true);
    });

    test(`${vector.source}: a flipped bit in the signature or the payload fails`, () => {
      const key = importKey(vector);
      const { signingInput, signature } = split(vector.token);
      const badSig = Buffer.from(signature);
      badSig[badSig.length >> 1] = badSig[badSig.length >> 1]! ^ 0x10;
      assert.equal(verifySignature(vector.alg, key.key, signingInput, badSig), false);
      const [h, p] = signingInput.split(".") as [string, string];
      const payload = Buffer.from(p, "base64url");
      payload[0] = payload[0]! ^ 0x01;
      assert.equal(
        verifySignature(vector.alg, key.key, `${h}.${payload.toString("base64url")}`, signature),
        false,
      );
    });

    test(`${vector.source}: decodeToken refuses it as a JWT (payload is not a JSON object)`, async () => {
      await assertAuthError(() => decodeToken(vector.token), AuthErrorCodes.MALFORMED);
      const verifier = createVerifier(
        { issuers: [{ issuer: null, audience: null, jwks: { keys: [vector.jwk] } }] },
        { now: before(RFC7515_EXP - 60), sharedKeyCache: false },
      );
      await assertAuthError(verifier.verify(vector.token), AuthErrorCodes.MALFORMED);
    });
  }
});
