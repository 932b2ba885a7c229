/**
 * `createVerifier` as a whole (src/token/verifier.ts): the jwksFile key source, hydrate, what a
 * result is, and the rejection contract (an `AuthError` with a stable code and a one-line
 * message that never contains the token).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { AuthErrorCodes, ConfigError } from "../../../src/errors.js";
import { createVerifier } from "../../../src/token/verifier.js";
import {
  ASYMMETRIC_ALGORITHMS,
  assertAuthError,
  craftToken,
  joseSign,
  jwksOf,
  TEST_AUDIENCE,
  TEST_ISSUER,
  testKey,
} from "../../helpers/keys.js";

const T = 1_700_000_000;
const opts = { now: () => T * 1000, sharedKeyCache: false };
const claims = { iss: TEST_ISSUER, aud: TEST_AUDIENCE, sub: "user", exp: T + 60 };
const dir = mkdtempSync(join(tmpdir(), "gatepass-verifier-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe("jwksFile key source", () => {
  const keys = ASYMMETRIC_ALGORITHMS.map((alg) => testKey(alg));
  const path = file("jwks.json", JSON.stringify(jwksOf(...keys)));
  const verifier = () =>
    createVerifier({ issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, jwksFile: path }] }, opts);

  for (const key of keys) {
    test(`a jose-signed ${key.alg} token verifies through a JWKS file`, async () => {
      assert.equal((await verifier().verify(await joseSign(key, claims))).payload.sub, "user");
    });
  }

  test("a token signed by a key that is not in the file is refused", async () => {
    const other = testKey("ES256", 1);
    await assertAuthError(verifier().verify(await joseSign(other, claims)), AuthErrorCodes.KEY_NOT_FOUND);
    await assertAuthError(
      verifier().verify(await joseSign(other, claims, { kid: testKey("ES256").kid })),
      AuthErrorCodes.SIGNATURE_INVALID,
    );
  });

  test("an oct key in a JWKS file verifies HMAC tokens", async () => {
    const hs = testKey("HS384");
    const hsPath = file("oct.json", JSON.stringify(jwksOf(hs)));
    const v = createVerifier(
      { issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, jwksFile: hsPath }] },
      opts,
    );
    assert.equal((await v.verify(await joseSign(hs, claims))).payload.sub, "user");
  });

  for (const [what, content, pattern] of [
    ["a missing file", undefined, /cannot read/],
    ["invalid JSON", '{"keys": [', /not valid JSON/],
    ["a JSON array", "[]", /not a JWKS/],
    ["keys that is not an array", '{"keys": {}}', /not a JWKS/],
    ["an unusable key", JSON.stringify({ keys: [{ kty: "RSA", n: "AQAB", e: "AQAB" }] }), /./],
  ] as Array<[string, string | undefined, RegExp]>) {
    test(`${what} is a ConfigError at construction naming the field`, () => {
      const p =
        content === undefined ? join(dir, "does-not-exist.json") : file(`bad-${what.length}.json`, content);
      assert.throws(
        () => createVerifier({ issuers: [{ issuer: TEST_ISSUER, audience: null, jwksFile: p }] }, opts),
        (e: unknown) =>
          e instanceof ConfigError &&
          e.field.startsWith("issuers[0].jwksFile") &&
          pattern.test(e.message) &&
          !/[\r\n]/.test(e.message),
      );
    });
  }

  test("a broken JWKS file does not echo part of a symmetric key in the error", () => {
    const k = testKey("HS256").publicJwk.k as string;
    const p = file("broken-oct.json", `{"keys":[{"kty":"oct","k": ${k}}]}`);
    assert.throws(
      () => createVerifier({ issuers: [{ issuer: TEST_ISSUER, audience: null, jwksFile: p }] }, opts),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.ok(!e.message.includes(k.slice(0, 8)), `the message contains key material: ${e.message}`);
        return true;
      },
    );
  });
});

describe("results", () => {
  const hs = testKey("HS256");
  const make = (top: Record<string, unknown> = {}) =>
    createVerifier(
      { issuers: [{ issuer: TEST_ISSUER, audience: TEST_AUDIENCE, secret: hs.secret }], ...top },
      opts,
    );

  test("a result has the header, the payload and the accepting issuer", async () => {
    const t = craftToken(
      { alg: "HS256", typ: "JWT", kid: "x" },
      { ...claims, custom: { a: [1] } },
      { key: hs },
    );
    const result = await make().verify(t);
    assert.deepEqual(result.header, { alg: "HS256", typ: "JWT", kid: "x" });
    assert.deepEqual(result.payload, { ...claims, custom: { a: [1] } });
    assert.equal(result.issuer, TEST_ISSUER);
  });

  test("hydrate resolves for local key sources", async () => {
    await make().hydrate();
  });

  test("a caller mutating a result does not change what the cache returns later", async () => {
    const verifier = make();
    const t = craftToken({ alg: "HS256" }, claims, { key: hs });
    const first = await verifier.verify(t);
    try {
      (first.payload as Record<string, unknown>).sub = "admin";
      (first.payload as Record<string, unknown>).groups = ["admin"];
    } catch {
      // a frozen result is fine too
    }
    const second = await verifier.verify(t);
    assert.equal(second.payload.sub, "user");
    assert.equal(second.payload.groups, undefined);
  });
});

describe("the rejection contract", () => {
  const hs = testKey("HS256");
  const verifier = createVerifier(
    {
      issuers: [
        {
          issuer: TEST_ISSUER,
          audience: TEST_AUDIENCE,
          secret: hs.secret,
          typ: "JWT",
          requiredClaims: ["email"],
        },
      ],
    },
    opts,
  );
  const sign = (
    payload: Record<string, unknown>,
    header: Record<string, unknown> = { alg: "HS256", typ: "JWT" },
  ) => craftToken(header, payload, { key: hs });
  const full = { ...claims, email: "a@b" };

  const cases: Array<[string, string, string]> = [
    ["malformed", "not-a-token", AuthErrorCodes.MALFORMED],
    ["too large", "a".repeat(9000), AuthErrorCodes.TOO_LARGE],
    ["alg none", sign(full, { alg: "none" }), AuthErrorCodes.ALGORITHM_NOT_ALLOWED],
    ["bad signature", `${sign(full).slice(0, -2)}AA`, AuthErrorCodes.SIGNATURE_INVALID],
    ["expired", sign({ ...full, exp: T - 100 }), AuthErrorCodes.EXPIRED],
    ["not yet valid", sign({ ...full, nbf: T + 100 }), AuthErrorCodes.NOT_YET_VALID],
    ["issued in the future", sign({ ...full, iat: T + 100 }), AuthErrorCodes.IAT_INVALID],
    ["wrong issuer", sign({ ...full, iss: "https://other/" }), AuthErrorCodes.ISSUER_INVALID],
    ["wrong audience", sign({ ...full, aud: "x".repeat(300) }), AuthErrorCodes.AUDIENCE_INVALID],
    ["missing claim", sign(claims), AuthErrorCodes.CLAIM_MISSING],
    ["invalid claim", sign({ ...full, exp: "soon" }), AuthErrorCodes.CLAIM_INVALID],
    ["wrong typ", sign(full, { alg: "HS256", typ: "at+jwt" }), AuthErrorCodes.TYPE_INVALID],
    ["crit", sign(full, { alg: "HS256", typ: "JWT", crit: ["x"], x: 1 }), AuthErrorCodes.CRIT_UNSUPPORTED],
  ];
  for (const [what, token, code] of cases) {
    test(`${what}: ${code}, one line, without the token`, async () => {
      const error = await assertAuthError(verifier.verify(token), code);
      assert.ok(!/[\r\n]/.test(error.message), error.message);
      assert.ok(error.message.length < 300, error.message);
      const signature = token.split(".")[2];
      if (signature) assert.ok(!error.message.includes(signature), error.message);
      assert.ok(!error.message.includes(token.slice(0, 30)), error.message);
    });
  }
});
