/**
 * The authorizer's per-request path: what it skips when it can, and that skipping changes no answer.
 * Tokens are signed with jose, independently of gatepass.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { SignJWT } from "jose";
import { createAuthorizer } from "../../../src/lambda/authorizer.js";
import { parseConfig, rulesFor } from "../../../src/lambda/config.js";
import { createMemoryLogger } from "../../../src/log.js";
import { OPEN_POLICY_RULES as OPEN_RULES } from "../../../src/policy/open-plans.js";
import { createVerifier, type Verifier } from "../../../src/token/verifier.js";

const ISSUER = "https://id.hot-path.test/";
const AUDIENCE = "orders-api";
const SECRET = "a-shared-secret-of-at-least-32-bytes-for-hs256";
const METHOD_ARN = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/orders/42";

async function hsToken(claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ scope: "orders:read", ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject("user-1")
    .setIssuedAt()
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(SECRET));
}

const event = (token: string) => ({
  type: "TOKEN",
  authorizationToken: `Bearer ${token}`,
  methodArn: METHOD_ARN,
});
const config = { issuers: [{ issuer: ISSUER, audience: [AUDIENCE], secret: SECRET }] };
const effectOf = (response: unknown) =>
  (response as { policyDocument: { Statement: Array<{ Effect: string }> } }).policyDocument.Statement[0]!
    .Effect;

/** `verifier` with its `verify` counted. */
function counted(verifier: Verifier): Verifier & { calls: number } {
  const spy = Object.assign(verifier, { calls: 0 });
  const verify = verifier.verify;
  spy.verify = ((token: string) => {
    spy.calls++;
    return verify(token);
  }) as Verifier["verify"];
  return spy;
}

describe("authorizer: verification without a promise while the key is at hand", () => {
  it("uses gatepass's own verifier synchronously: its verify() is never awaited", async () => {
    const verifier = counted(createVerifier(config, { sharedKeyCache: false }));
    const handler = createAuthorizer(config, { verifier, logger: createMemoryLogger() });
    assert.equal(effectOf(await handler(event(await hsToken()))), "Allow");
    await assert.rejects(handler(event(`${await hsToken()}x`)), { message: "Unauthorized" });
    assert.equal(verifier.calls, 0);
  });

  it("awaits any other verifier, and answers from its result", async () => {
    const inner = createVerifier(config, { sharedKeyCache: false });
    let calls = 0;
    const verifier: Verifier = {
      verify: (token) => {
        calls++;
        return inner.verify(token);
      },
      hydrate: () => inner.hydrate(),
    };
    const logger = createMemoryLogger();
    const handler = createAuthorizer(config, { verifier, logger });
    assert.equal(effectOf(await handler(event(await hsToken()))), "Allow");
    await assert.rejects(handler(event(`${await hsToken()}x`)), { message: "Unauthorized" });
    assert.equal(calls, 2);
    assert.deepEqual(
      logger.lines.map((l) => [l.outcome, l.reason]),
      [
        ["allow", null],
        ["unauthorized", "ERR_JWT_SIGNATURE_INVALID"],
      ],
    );
  });

  it("still waits for a key that must be fetched first", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = { ...publicKey.export({ format: "jwk" }), kid: "k1", alg: "ES256", use: "sig" };
    let fetches = 0;
    const fetchStub = (async () => {
      fetches++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return new Response(JSON.stringify({ keys: [jwk] }), {
        headers: { "content-type": "application/json" },
      });
    }) as typeof fetch;
    const remote = {
      issuers: [{ issuer: ISSUER, audience: [AUDIENCE], jwksUri: "https://id.hot-path.test/jwks" }],
    };
    const handler = createAuthorizer(remote, {
      fetch: fetchStub,
      sharedKeyCache: false,
      logger: createMemoryLogger(),
    });
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setSubject("user-2")
      .setExpirationTime("5m")
      .sign(privateKey);
    assert.equal(effectOf(await handler(event(token))), "Allow");
    assert.equal(fetches, 1);
  });
});

describe("configuration: no route rules, unmatched routes allowed", () => {
  it("gets the open rule set, not a rule set compiled at every cold start", () => {
    assert.equal(rulesFor(parseConfig(config)), OPEN_RULES);
  });

  it("any rule, or unmatched routes denied, is compiled", () => {
    assert.notEqual(rulesFor(parseConfig({ ...config, unmatchedRoutes: "deny" })), OPEN_RULES);
    const withRule = { ...config, routes: [{ route: "GET /orders/{id}", scopes: ["orders:read"] }] };
    assert.notEqual(rulesFor(parseConfig(withRule)), OPEN_RULES);
  });
});
