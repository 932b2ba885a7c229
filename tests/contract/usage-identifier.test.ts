/**
 * Usage plans from the token: with `usageIdentifierClaim`, REST (TOKEN, REQUEST) and WebSocket
 * `$connect` policy answers carry `usageIdentifierKey`, the caller's API key for an API whose key
 * source is `AUTHORIZER` (AWS: api-gateway-lambda-authorizer-output.html, api-gateway-api-key-source.html;
 * WebSocket APIs read it through the API key selection expression
 * `$context.authorizer.usageIdentifierKey`). HTTP APIs have no API keys: nothing is sent to them.
 * A token whose claim is absent or not a non-empty string is refused (401). Tokens are signed with `jose`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "../../src/errors.js";
import { createAuthorizer } from "../../src/lambda/authorizer.js";
import { createMemoryLogger } from "../../src/log.js";
import { issuerConfig, joseSign, TEST_AUDIENCE, TEST_ISSUER, testKey } from "../helpers/keys.js";
import { type FixtureName, loadEvent } from "../unit/adapters/fixtures.js";

const key = testKey("HS256");
const now = Math.floor(Date.now() / 1000);

function setup(extra: Record<string, unknown> = {}) {
  const logger = createMemoryLogger();
  const handler = createAuthorizer(
    {
      issuers: [issuerConfig(key, "secret")],
      tokenSources: ["header:authorization", "query:access_token"],
      usageIdentifierClaim: "client_id",
      tokenCache: { maxEntries: 0 },
      ...extra,
    },
    { logger, sharedKeyCache: false },
  );
  return { handler, logger };
}

const token = (claims: Record<string, unknown> = {}) =>
  joseSign(key, { iss: TEST_ISSUER, aud: TEST_AUDIENCE, sub: "alice", exp: now + 600, iat: now, ...claims });

async function answer(
  fixture: FixtureName,
  claims: Record<string, unknown>,
  extra?: Record<string, unknown>,
) {
  const { handler, logger } = setup(extra);
  const event = loadEvent(fixture, await token(claims));
  try {
    return { response: (await handler(event)) as Record<string, unknown>, logger };
  } catch (error) {
    return { error: error as Error, logger };
  }
}

describe("usageIdentifierClaim", () => {
  for (const fixture of ["rest-token", "rest-request", "websocket-connect"] as const) {
    test(`${fixture}: the Allow policy carries usageIdentifierKey from the claim`, async () => {
      const { response } = await answer(fixture, { client_id: "key-of-acme-0123456789" });
      assert.ok(response, "an answer, not a 401");
      assert.equal(response.usageIdentifierKey, "key-of-acme-0123456789");
      assert.equal(response.principalId, "alice");
      // The response stays what API Gateway accepts: a string key at the top level, beside the policy.
      assert.deepEqual(Object.keys(response).sort(), [
        "context",
        "policyDocument",
        "principalId",
        "usageIdentifierKey",
      ]);
    });
  }

  test("rest-request: a Deny answer carries the key too (API Gateway answers 403 before metering)", async () => {
    const { response } = await answer(
      "rest-request",
      { client_id: "key-of-acme-0123456789" },
      { routes: [{ route: "GET /orders/{id}", scopes: ["orders:read"] }] },
    );
    assert.ok(response);
    assert.equal(response.usageIdentifierKey, "key-of-acme-0123456789");
    const statements = (response.policyDocument as { Statement: { Effect: string }[] }).Statement;
    assert.ok(statements.some((s) => s.Effect === "Deny"));
  });

  test("a JSON Pointer names a nested claim", async () => {
    const { response } = await answer(
      "rest-token",
      { ext: { plan_key: "nested-key-0123456789" } },
      { usageIdentifierClaim: "/ext/plan_key" },
    );
    assert.equal(response?.usageIdentifierKey, "nested-key-0123456789");
  });

  for (const [what, claims] of [
    ["absent", {}],
    ["a number", { client_id: 42 }],
    ["an array", { client_id: ["a"] }],
    ["an object", { client_id: { v: "a" } }],
    ["empty", { client_id: "" }],
    ["null", { client_id: null }],
    ["too long", { client_id: "k".repeat(1025) }],
  ] as const) {
    test(`rest-token: a claim that is ${what} fails closed with 401 (Unauthorized), logged as ERR_JWT_CLAIM_MISSING`, async () => {
      const { error, response, logger } = await answer("rest-token", claims);
      assert.equal(response, undefined);
      assert.equal(error?.message, "Unauthorized");
      const line = logger.lines.find((l) => l.message === "decision" || l.event === "decision") as
        | Record<string, unknown>
        | undefined;
      assert.equal(line?.outcome, "unauthorized");
      assert.equal(line?.reason, "ERR_JWT_CLAIM_MISSING");
      assert.match(String(line?.detail), /usageIdentifierClaim/);
    });
  }

  for (const fixture of ["http-v1", "http-v2"] as const) {
    test(`${fixture}: HTTP APIs get no usageIdentifierKey and need no claim`, async () => {
      const withKey = await answer(fixture, { client_id: "key-of-acme-0123456789" });
      assert.ok(withKey.response);
      assert.equal("usageIdentifierKey" in withKey.response, false);
      const without = await answer(fixture, {});
      assert.ok(without.response, "no 401 for a claim HTTP APIs never use");
    });
  }

  test("off by default: no usageIdentifierKey, no claim needed", async () => {
    const { response } = await answer("rest-token", {}, { usageIdentifierClaim: null });
    assert.ok(response);
    assert.equal("usageIdentifierKey" in response, false);
  });

  test("a bad claim pointer fails at cold start, naming the field", () => {
    assert.throws(
      () => setup({ usageIdentifierClaim: "/a~2b" }),
      (e: unknown) => e instanceof ConfigError && /usageIdentifierClaim/.test(e.message),
    );
  });
});
