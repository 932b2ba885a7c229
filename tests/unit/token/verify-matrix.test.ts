/**
 * The verification matrix: every algorithm × every local key source (secret, PEM public key,
 * inline JWKS), with tokens signed by `jose` (an independent implementation) and by gatepass's own
 * `signToken`, cross-checked with `jose`'s `jwtVerify` the other way round.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { jwtVerify } from "jose";
import { AuthErrorCodes } from "../../../src/errors.js";
import { signToken } from "../../../src/token/sign.js";
import { createVerifier } from "../../../src/token/verifier.js";
import {
  ALL_ALGORITHMS,
  assertAuthError,
  flipSignatureBit,
  issuerConfig,
  joseSign,
  type KeySourceKind,
  sourcesFor,
  TEST_AUDIENCE,
  TEST_ISSUER,
  type TestKey,
  testKey,
} from "../../helpers/keys.js";

const NOW_MS = 1_700_000_000_000;
const NOW = NOW_MS / 1000;
const claims = () => ({ sub: "user-1", iss: TEST_ISSUER, aud: TEST_AUDIENCE, iat: NOW, exp: NOW + 300 });

function verifierFor(key: TestKey, source: KeySourceKind, extra: Record<string, unknown> = {}) {
  return createVerifier(
    { issuers: [issuerConfig(key, source, extra)] },
    { now: () => NOW_MS, sharedKeyCache: false },
  );
}

for (const alg of ALL_ALGORITHMS) {
  describe(`${alg} verification matrix`, () => {
    for (const source of sourcesFor(alg)) {
      test(`a jose-signed ${alg} token verifies through ${source}`, async () => {
        const key = testKey(alg);
        const token = await joseSign(key, claims());
        const result = await verifierFor(key, source).verify(token);
        assert.equal(result.payload.sub, "user-1");
        assert.equal(result.header.alg, alg);
        assert.equal(result.issuer, TEST_ISSUER);
      });

      test(`a jose-signed ${alg} token without kid verifies through ${source}`, async () => {
        const key = testKey(alg);
        const token = await joseSign(key, claims(), { kid: null });
        const result = await verifierFor(key, source).verify(token);
        assert.equal(result.payload.sub, "user-1");
      });

      test(`${alg} signed by another key of the same type fails through ${source} (ERR_JWT_SIGNATURE_INVALID)`, async () => {
        const key = testKey(alg);
        const other = testKey(alg, 1);
        // The attacker reuses the legitimate kid, so key lookup succeeds and only the signature can fail.
        const token = await joseSign(other, claims(), { kid: key.kid });
        await assertAuthError(verifierFor(key, source).verify(token), AuthErrorCodes.SIGNATURE_INVALID);
      });

      test(`${alg} with a flipped signature bit fails through ${source} (ERR_JWT_SIGNATURE_INVALID)`, async () => {
        const key = testKey(alg);
        const token = await joseSign(key, claims());
        const verifier = verifierFor(key, source);
        for (const [index, bit] of [
          [0, 7],
          [0, 0],
          [5, 3],
          [-1, 0],
          [-1, 7],
        ] as const) {
          await assertAuthError(
            verifier.verify(flipSignatureBit(token, index, bit)),
            AuthErrorCodes.SIGNATURE_INVALID,
          );
        }
        // and the untouched token still verifies with the same verifier
        assert.equal((await verifier.verify(token)).payload.sub, "user-1");
      });
    }

    test(`${alg}: a token from gatepass signToken (KeyObject) verifies in jose`, async () => {
      const key = testKey(alg);
      const token = signToken({ scope: "a b" }, key.secret ?? key.signingKey, {
        alg,
        kid: key.kid,
        issuer: TEST_ISSUER,
        audience: TEST_AUDIENCE,
        subject: "user-2",
        expiresIn: "15m",
        now: NOW,
      });
      const verifyKey = key.secret !== undefined ? new TextEncoder().encode(key.secret) : key.verifyKey;
      const { payload, protectedHeader } = await jwtVerify(token, verifyKey, {
        algorithms: [alg],
        issuer: TEST_ISSUER,
        audience: TEST_AUDIENCE,
        currentDate: new Date(NOW_MS),
      });
      assert.equal(protectedHeader.alg, alg);
      assert.equal(protectedHeader.kid, key.kid);
      assert.equal(protectedHeader.typ, "JWT");
      assert.equal(payload.sub, "user-2");
      assert.equal(payload.scope, "a b");
      assert.equal(payload.iat, NOW);
      assert.equal(payload.exp, NOW + 900);
    });

    test(`${alg}: a token from gatepass signToken (private JWK) verifies in jose and in gatepass`, async () => {
      const key = testKey(alg);
      // The JWK carries alg and kid; signToken takes both from it.
      const token = signToken({ iss: TEST_ISSUER, aud: TEST_AUDIENCE, sub: "user-3" }, key.privateJwk, {
        expiresIn: 60,
        now: NOW,
      });
      const verifyKey = key.secret !== undefined ? new TextEncoder().encode(key.secret) : key.verifyKey;
      const { protectedHeader } = await jwtVerify(token, verifyKey, { currentDate: new Date(NOW_MS) });
      assert.equal(protectedHeader.alg, alg);
      assert.equal(protectedHeader.kid, key.kid);
      for (const source of sourcesFor(alg)) {
        assert.equal((await verifierFor(key, source).verify(token)).payload.sub, "user-3");
      }
    });

    if (!alg.startsWith("HS")) {
      test(`${alg}: a token from gatepass signToken (PEM private key) verifies in jose`, async () => {
        const key = testKey(alg);
        const pem = key.signingKey.export({ type: "pkcs8", format: "pem" }).toString();
        const token = signToken({ iss: TEST_ISSUER, aud: TEST_AUDIENCE }, pem, {
          alg,
          expiresIn: "1h",
          now: NOW,
        });
        await jwtVerify(token, key.verifyKey, { algorithms: [alg], currentDate: new Date(NOW_MS) });
      });
    }
  });
}

describe("algorithm allowlist per issuer", () => {
  test("a PEM issuer restricted to PS256 refuses an RS256 token from the same RSA key (ERR_JWT_ALGORITHM_NOT_ALLOWED)", async () => {
    const key = testKey("RS256");
    const token = await joseSign(key, claims());
    await assertAuthError(
      verifierFor(key, "publicKey", { algorithms: ["PS256"] }).verify(token),
      AuthErrorCodes.ALGORITHM_NOT_ALLOWED,
    );
  });

  test("a JWK pinned to RS256 (alg member) refuses a PS256 token signed by the same key", async () => {
    const key = testKey("RS256");
    const ps = testKey("PS256");
    const token = await joseSign(ps, claims(), { kid: key.kid });
    // issuer allowlist = RS256 only (from the pinned JWK) → the alg is refused before any key lookup
    await assertAuthError(verifierFor(key, "jwks").verify(token), AuthErrorCodes.ALGORITHM_NOT_ALLOWED);
  });

  test("a JWK pinned to RS256 refuses PS256 even when the issuer allows PS256 through another key", async () => {
    const rs = testKey("RS256");
    const es = testKey("ES256");
    const ps = testKey("PS256");
    const verifier = createVerifier(
      {
        issuers: [
          {
            issuer: TEST_ISSUER,
            audience: TEST_AUDIENCE,
            jwks: { keys: [rs.publicJwk, es.publicJwk, { ...ps.publicJwk, kid: "pss-only" }] },
          },
        ],
      },
      { now: () => NOW_MS, sharedKeyCache: false },
    );
    // PS256 is allowed for the issuer (the "pss-only" key), but the token names the RS256-pinned key.
    const token = await joseSign(ps, claims(), { kid: rs.kid });
    await assertAuthError(verifier.verify(token), AuthErrorCodes.ALGORITHM_NOT_ALLOWED);
    // ...and through the right kid it verifies
    assert.equal(
      (await verifier.verify(await joseSign(ps, claims(), { kid: "pss-only" }))).payload.sub,
      "user-1",
    );
  });

  test("an ES256 token against a P-384 key is refused (curve bound to algorithm)", async () => {
    const es384 = testKey("ES384");
    const es256 = testKey("ES256");
    const token = await joseSign(es256, claims());
    await assertAuthError(
      verifierFor(es384, "publicKey").verify(token),
      AuthErrorCodes.ALGORITHM_NOT_ALLOWED,
    );
  });
});
