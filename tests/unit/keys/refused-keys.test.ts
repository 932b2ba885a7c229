/**
 * Keys that cannot be trusted, end to end: an RSA key published with e = 1 (anyone can forge its
 * signatures), a ROCA-fingerprinted key (its private key can be computed), and an inline key set
 * that mixes a shared secret with public keys. Inline sources fail the cold start with a
 * ConfigError naming the field; a remote JWKS skips the key, logs why, keeps its other keys, and a
 * token naming the refused key gets 401 with reason ERR_KEY_REFUSED through the real handler.
 */
import assert from "node:assert/strict";
import {
  createSecretKey,
  createPublicKey as cryptoCreatePublicKey,
  verify as cryptoVerify,
  type JsonWebKey,
} from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, it, type TestContext } from "node:test";
import { AuthErrorCodes, ConfigError } from "../../../src/errors.js";
import { createAuthorizer } from "../../../src/lambda/authorizer.js";
import { loadConfig } from "../../../src/lambda/config.js";
import { createMemoryLogger } from "../../../src/log.js";
import { json, serve } from "../../helpers/http-server.js";
import { b64url, craftToken, joseSign, TEST_AUDIENCE, TEST_ISSUER, testKey } from "../../helpers/keys.js";
import { forgeRs256WithExponentOne, rocaKeyPair, withExponentOne } from "../../helpers/weak-keys.js";

const T = { timeout: 60_000 };
const EVENT = JSON.parse(
  readFileSync(new URL("../../fixtures/events/rest-token.json", import.meta.url), "utf8"),
) as { type: string; authorizationToken: string; methodArn: string };

const now = () => Math.floor(Date.now() / 1000);
const claims = () => ({ sub: "mallory", iss: TEST_ISSUER, aud: TEST_AUDIENCE, iat: now(), exp: now() + 600 });

// The victim's real 2048-bit key pair; the attacker only needs its public modulus.
const victim = testKey("RS256", 5);
const e1Jwk: JsonWebKey = { ...withExponentOne(victim.publicJwk as JsonWebKey), kid: "e1", alg: "RS256" };
const e1Pem = cryptoCreatePublicKey({ key: { kty: "RSA", n: e1Jwk.n!, e: "AQ" }, format: "jwk" })
  .export({ type: "spki", format: "pem" })
  .toString();

/** An RS256 token naming `kid`, "signed" by the e = 1 forgery: no private key involved. */
function forged(kid: string | undefined, payload: object = claims()): string {
  const header = kid === undefined ? { alg: "RS256" } : { alg: "RS256", kid };
  const signingInput = `${b64url(header)}.${b64url(payload)}`;
  const k = Buffer.from(e1Jwk.n!, "base64url").length;
  return `${signingInput}.${forgeRs256WithExponentOne(signingInput, k).toString("base64url")}`;
}

const good = testKey("ES256", 5);

function issuerWith(source: Record<string, unknown>) {
  return { issuers: [{ issuer: TEST_ISSUER, audience: [TEST_AUDIENCE], ...source }] };
}

function coldStartFails(config: unknown, field: RegExp, reason: RegExp): ConfigError {
  let caught: unknown;
  try {
    createAuthorizer(config, { sharedKeyCache: false });
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.match(caught.field, field);
  assert.match(caught.message, reason);
  return caught;
}

function noKeyMaterial(message: string, jwk: JsonWebKey): void {
  assert.ok(!message.includes(jwk.n!.slice(0, 24)), "the message quotes no modulus");
  assert.doesNotMatch(message, /[A-Za-z0-9_-]{60}/);
}

async function remoteAuthorizer(t: TestContext, keys: JsonWebKey[]) {
  const server = await serve(t, json({ keys }));
  const logger = createMemoryLogger();
  const authorizer = createAuthorizer(issuerWith({ jwksUri: `${server.url}/jwks` }), {
    logger,
    sharedKeyCache: false,
  });
  await authorizer.hydrate();
  const call = async (token: string) => {
    const event = { ...EVENT, authorizationToken: `Bearer ${token}` };
    try {
      const response = await authorizer(event);
      return { response, thrown: null as string | null };
    } catch (error) {
      return { response: null, thrown: (error as Error).message };
    }
  };
  const decision = () => [...logger.lines].reverse().find((l) => l.event === "decision");
  const skipped = () => logger.lines.filter((l) => l.event === "jwks_key_skipped");
  return { call, decision, skipped, logger, server };
}

const allowed = (response: unknown) =>
  JSON.stringify((response as { policyDocument?: unknown } | null)?.policyDocument ?? null).includes(
    '"Effect":"Allow"',
  );

describe("RSA public exponent 1: the forgery is real", () => {
  it("node:crypto's own verify accepts the forged RS256 signature under the e = 1 key", () => {
    const token = forged("e1");
    const [h, p, s] = token.split(".");
    const key = cryptoCreatePublicKey({ key: e1Jwk as JsonWebKey & { kty: string }, format: "jwk" });
    assert.equal(
      cryptoVerify("sha256", Buffer.from(`${h}.${p}`), key, Buffer.from(s!, "base64url")),
      true,
      "OpenSSL does not refuse e = 1: without judging, this forged token would be valid",
    );
    // The forgery is not a signature under the real key.
    assert.equal(
      cryptoVerify("sha256", Buffer.from(`${h}.${p}`), victim.verifyKey, Buffer.from(s!, "base64url")),
      false,
    );
  });
});

describe("RSA public exponent 1: refused at every source", () => {
  it("e1_inline_jwks_fails_cold_start: names the field and the kid, quotes no key material", () => {
    const error = coldStartFails(
      issuerWith({ jwks: { keys: [good.publicJwk, e1Jwk] } }),
      /^issuers\[0\]\.jwks\.keys\[1\]$/,
      /kid "e1": the RSA public exponent is 1/,
    );
    noKeyMaterial(error.message, e1Jwk);
  });

  it("e1_public_key_pem_fails_cold_start", () => {
    const error = coldStartFails(
      issuerWith({ publicKey: e1Pem }),
      /^issuers\[0\]\.publicKey$/,
      /the RSA public exponent is 1/,
    );
    noKeyMaterial(error.message, e1Jwk);
  });

  it("e1_env_public_key_fails_cold_start: the error names GATEPASS_PUBLIC_KEY", () => {
    let caught: unknown;
    try {
      createAuthorizer(
        loadConfig({
          GATEPASS_PUBLIC_KEY: e1Pem,
          GATEPASS_ISSUER: TEST_ISSUER,
          GATEPASS_AUDIENCE: TEST_AUDIENCE,
        }),
        { sharedKeyCache: false },
      );
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
    assert.equal(caught.field, "GATEPASS_PUBLIC_KEY");
    assert.match(caught.message, /the RSA public exponent is 1/);
    noKeyMaterial(caught.message, e1Jwk);
  });

  it(
    "e1_remote_jwks_key_refused: skipped and logged with its code, the set's other keys still verify, the forgery gets 401 ERR_KEY_REFUSED",
    T,
    async (t) => {
      const { call, decision, skipped, server } = await remoteAuthorizer(t, [e1Jwk, good.publicJwk]);
      const lines = skipped();
      assert.equal(lines.length, 1);
      assert.equal(lines[0]!.kid, "e1");
      assert.equal(lines[0]!.code, "RSA_EXPONENT_INVALID");
      assert.match(String(lines[0]!.reason), /exponent is 1/);
      noKeyMaterial(JSON.stringify(lines), e1Jwk);

      const legit = await call(await joseSign(good, claims()));
      assert.ok(allowed(legit.response), "a token of the set's other key is allowed");

      const attack = await call(forged("e1"));
      assert.equal(attack.thrown, "Unauthorized");
      assert.equal(decision()?.reason, AuthErrorCodes.KEY_REFUSED);
      // A refused kid is an answer, not a reason to fetch the set again.
      assert.equal(server.requests, 1);

      // Without kid (or naming another kid) the forgery meets no key at all.
      const noKid = await call(forged(undefined));
      assert.equal(noKid.thrown, "Unauthorized");
      const otherKid = await call(forged(good.kid));
      assert.equal(otherKid.thrown, "Unauthorized");
    },
  );
});

describe("ROCA-fingerprinted RSA keys (CVE-2017-15361)", () => {
  // A genuine key pair whose primes have the affected library's structure: its tokens are
  // correctly signed, and an attacker who factors the modulus could sign the same.
  const roca = rocaKeyPair("roca");
  const rocaToken = () =>
    craftToken({ alg: "RS256", kid: "roca" }, claims(), { key: roca.privateKey, alg: "RS256" });

  it("roca_inline_jwks_fails_cold_start", () => {
    const error = coldStartFails(
      issuerWith({ jwks: { keys: [roca.publicJwk] } }),
      /^issuers\[0\]\.jwks\.keys\[0\]$/,
      /kid "roca": the RSA modulus has the ROCA fingerprint \(CVE-2017-15361\)/,
    );
    noKeyMaterial(error.message, roca.publicJwk);
  });

  it("roca_public_key_pem_fails_cold_start", () => {
    coldStartFails(
      issuerWith({ publicKey: roca.publicKey.export({ type: "spki", format: "pem" }).toString() }),
      /^issuers\[0\]\.publicKey$/,
      /ROCA fingerprint/,
    );
  });

  it(
    "roca_remote_jwks_key_refused: a correctly signed token of the ROCA key gets 401 ERR_KEY_REFUSED",
    T,
    async (t) => {
      const { call, decision, skipped } = await remoteAuthorizer(t, [good.publicJwk, roca.publicJwk]);
      assert.deepEqual(
        skipped().map((l) => [l.kid, l.code]),
        [["roca", "RSA_MODULUS_ROCA"]],
      );
      const attack = await call(rocaToken());
      assert.equal(attack.thrown, "Unauthorized");
      assert.equal(decision()?.reason, AuthErrorCodes.KEY_REFUSED);
      assert.ok(allowed((await call(await joseSign(good, claims()))).response));
    },
  );
});

describe("inline key sets mixing shared secrets with public keys (Wycheproof jws_mixedSymmetryKeyset)", () => {
  const hs = testKey("HS256", 5);
  const rs = victim;

  for (const [name, pub] of [
    ["RSA", rs],
    ["EC", good],
  ] as const) {
    it(`mixed_keyset_inline_fails_cold_start (oct + ${name}): the error says secrets go in "secret"`, () => {
      const error = coldStartFails(
        issuerWith({ jwks: { keys: [pub.publicJwk, hs.publicJwk] } }),
        /^issuers\[0\]\.jwks$/,
        /mixes shared secrets \(kty "oct"\) with public keys.*"secret"/,
      );
      assert.ok(!error.message.includes(String(hs.publicJwk.k)), "the secret is not quoted");
    });
  }

  it(
    "mixed_keyset_hs256_never_verifies: split as the error says, an HS256 token signed with the public set's PEM is refused",
    T,
    async () => {
      // The configuration the error points to: the secret in "secret", the public key in "jwks".
      const publicOnly = createAuthorizer(
        {
          issuers: [
            { issuer: TEST_ISSUER, audience: [TEST_AUDIENCE], jwks: { keys: [rs.publicJwk] } },
            { issuer: "https://hmac.test/", audience: [TEST_AUDIENCE], secret: hs.secret },
          ],
        },
        { sharedKeyCache: false },
      );
      const pemAsSecret = craftToken({ alg: "HS256", kid: rs.kid }, claims(), {
        key: createSecretKey(Buffer.from(rs.publicPem!, "utf8")),
        alg: "HS256",
      });
      const octSigned = await joseSign(hs, claims()); // iss is the public issuer: HS256 is not its algorithm
      for (const token of [pemAsSecret, octSigned]) {
        await assert.rejects(
          publicOnly({ ...EVENT, authorizationToken: `Bearer ${token}` }),
          (error: Error) => error.message === "Unauthorized",
        );
      }
    },
  );
});
