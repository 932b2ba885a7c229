/**
 * `signToken` and `parseDuration` (src/token/sign.ts): what a signed token contains, which keys
 * and algorithms it accepts, and that it never produces a token no verifier could accept.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, test } from "node:test";
import { decodeToken } from "../../../src/token/decode.js";
import { parseDuration, signToken } from "../../../src/token/sign.js";
import { createVerifier } from "../../../src/token/verifier.js";
import { keyPair, testKey } from "../../helpers/keys.js";

const NOW = 1_700_000_000;

describe("parseDuration", () => {
  for (const [input, seconds] of [
    ["30s", 30],
    ["15m", 900],
    ["1h", 3600],
    ["7d", 604800],
    ["10", 10],
    [" 5m ", 300],
    ["0", 0],
    [45, 45],
    [1.9, 1],
    [0, 0],
  ] as Array<[string | number, number]>) {
    test(`${JSON.stringify(input)} is ${seconds} s`, () => {
      assert.equal(parseDuration(input), seconds);
    });
  }
  for (const input of [
    "5y",
    "-1",
    "",
    "1.5h",
    "m",
    "1 h 2 m",
    "1e3",
    Number.NaN,
    -1,
    Number.POSITIVE_INFINITY,
  ]) {
    test(`${JSON.stringify(input) ?? String(input)} is refused`, () => {
      assert.throws(() => parseDuration(input));
    });
  }
});

describe("signToken", () => {
  const hs = testKey("HS256");

  test("sets iat from now, exp from expiresIn, nbf from notBefore, and the registered options", () => {
    const token = signToken({ scope: "read" }, hs.secret!, {
      now: NOW,
      expiresIn: "10m",
      notBefore: 30,
      issuer: "https://i/",
      audience: ["a", "b"],
      subject: "s",
    });
    const { header, payload } = decodeToken(token);
    assert.deepEqual(header, { alg: "HS256", typ: "JWT" });
    assert.deepEqual(payload, {
      iat: NOW,
      iss: "https://i/",
      sub: "s",
      aud: ["a", "b"],
      exp: NOW + 600,
      nbf: NOW + 30,
      scope: "read",
    });
  });

  test("claims override the options (an explicit exp wins over expiresIn)", () => {
    const token = signToken({ exp: NOW + 5, iss: "x" }, hs.secret!, {
      now: NOW,
      expiresIn: "1h",
      issuer: "y",
    });
    const { payload } = decodeToken(token);
    assert.equal(payload.exp, NOW + 5);
    assert.equal(payload.iss, "x");
  });

  test("without now, iat is the current time", () => {
    const before = Math.floor(Date.now() / 1000);
    const { payload } = decodeToken(signToken({}, hs.secret!));
    assert.ok((payload.iat as number) >= before && (payload.iat as number) <= before + 2);
    assert.equal(payload.exp, undefined, "no exp unless asked for");
  });

  test("typ and kid headers", () => {
    const { header } = decodeToken(signToken({}, hs.secret!, { typ: "at+jwt", kid: "k1" }));
    assert.deepEqual(header, { alg: "HS256", typ: "at+jwt", kid: "k1" });
  });

  test("typ: null leaves the typ header out (Cognito and Okta send none)", () => {
    const { header } = decodeToken(signToken({}, hs.secret!, { typ: null, kid: "k1" }));
    assert.deepEqual(header, { alg: "HS256", kid: "k1" });
  });

  test("a __proto__ claim (own property from JSON) is dropped, so the token stays decodable", () => {
    const claims = JSON.parse('{"__proto__":{"admin":true},"sub":"x"}') as Record<string, unknown>;
    const token = signToken(claims, hs.secret!, { now: NOW });
    const { payload } = decodeToken(token);
    assert.equal(Object.hasOwn(payload, "__proto__"), false);
    assert.equal(payload.sub, "x");
  });

  test("default algorithms follow the key type", () => {
    const cases: Array<[unknown, string]> = [
      [hs.secret!, "HS256"],
      [Buffer.from(hs.secret!), "HS256"],
      [testKey("RS256").signingKey, "RS256"],
      [testKey("ES256").signingKey, "ES256"],
      [testKey("ES384").signingKey, "ES384"],
      [testKey("ES512").signingKey, "ES512"],
      [testKey("EdDSA").signingKey, "EdDSA"],
      [generateKeyPairSync("rsa-pss", { modulusLength: 2048 }).privateKey, "PS256"],
    ];
    for (const [key, alg] of cases) {
      assert.equal(decodeToken(signToken({}, key as never)).header.alg, alg);
    }
  });

  test("a JWK's alg and kid are used; an oct JWK signs HMAC", () => {
    const es = testKey("ES384");
    assert.deepEqual(decodeToken(signToken({}, es.privateJwk)).header, {
      alg: "ES384",
      typ: "JWT",
      kid: es.kid,
    });
    assert.deepEqual(decodeToken(signToken({}, JSON.stringify(hs.privateJwk))).header, {
      alg: "HS256",
      typ: "JWT",
      kid: hs.kid,
    });
  });

  test("refuses what cannot make a valid token", () => {
    const rs = testKey("RS256");
    assert.throws(() => signToken({}, "x".repeat(31)), /32 bytes/);
    assert.throws(() => signToken({}, "x".repeat(40), { alg: "HS384" }), /48 bytes/);
    assert.throws(() => signToken({}, "x".repeat(63), { alg: "HS512" }), /64 bytes/);
    assert.throws(() => signToken({}, rs.signingKey, { alg: "HS256" }), /shared secret/);
    assert.throws(() => signToken({}, hs.secret!, { alg: "RS256" }), /private key/);
    assert.throws(() => signToken({}, rs.verifyKey, { alg: "RS256" }), /private key/);
    assert.throws(() => signToken({}, rs.publicJwk), /not a private key/);
    assert.throws(() => signToken({}, testKey("ES256").privateJwk, { alg: "ES384" }), /pinned/);
    assert.throws(() => signToken({}, hs.secret!, { alg: "none" as never }), /unsupported/);
    assert.throws(() => signToken({}, { kty: "oct" }), /no k/);
  });

  test("round trip: every token it signs verifies in gatepass", async () => {
    for (const alg of ["HS256", "RS256", "PS384", "ES512", "EdDSA"] as const) {
      const key = testKey(alg);
      const token = signToken({ sub: "rt" }, key.secret ?? key.signingKey, {
        alg,
        issuer: "https://rt/",
        audience: "rt",
        expiresIn: 60,
        now: NOW,
      });
      const issuer = key.secret
        ? { secret: key.secret, issuer: "https://rt/", audience: "rt" }
        : { publicKey: key.publicPem, issuer: "https://rt/", audience: "rt" };
      const verifier = createVerifier(
        { issuers: [issuer] },
        { now: () => NOW * 1000, sharedKeyCache: false },
      );
      assert.equal((await verifier.verify(token)).payload.sub, "rt");
    }
  });
});

describe("signToken binds the key to the algorithm (no token a verifier must refuse)", () => {
  test("an EC P-256 key with alg ES384 is refused", () => {
    assert.throws(() => signToken({}, testKey("ES256").signingKey, { alg: "ES384" }));
  });

  test("an EC key with alg RS256 is refused", () => {
    assert.throws(() => signToken({}, testKey("ES256").signingKey, { alg: "RS256" }));
  });

  test("an RSA key with alg ES256 is refused", () => {
    assert.throws(() => signToken({}, testKey("RS256").signingKey, { alg: "ES256" }));
  });

  test("an Ed25519 key with alg ES256 is refused", () => {
    assert.throws(() => signToken({}, testKey("EdDSA").signingKey, { alg: "ES256" }));
  });

  test("a secp256k1 key is refused rather than signed as ES256", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "secp256k1" });
    assert.throws(() => signToken({}, privateKey));
  });

  test("a 1024-bit RSA key is refused (every verifier refuses RSA under 2048 bits)", () => {
    assert.throws(() => signToken({}, keyPair("rsa", 9, 1024).privateKey, { alg: "RS256" }));
  });
});
