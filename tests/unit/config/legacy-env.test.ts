/**
 * The environment shortcuts a team coming from a hand-written authorizer needs (README "Coming from
 * a hand-written authorizer"): a previous secret trusted during a rotation, the loudly named opt-in
 * for a legacy short secret, and the claims passed to the backend. Errors name the variable and
 * never contain a secret.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ConfigError } from "../../../src/errors.js";
import { loadConfig } from "../../../src/lambda/config.js";

const STRONG = "env-secret-0123456789-abcdefghijklmnopqrstuvwxyz";
const PREVIOUS = "old,secret\nwith-a-comma-and-a-newline-0123456789";
const SHORT = "my-secret-key";

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail("expected a ConfigError");
}

describe("environment: legacy migration shortcuts", () => {
  test("GATEPASS_SECRET_PREVIOUS is trusted with GATEPASS_SECRET, verbatim (commas and newlines are part of a secret)", () => {
    const config = loadConfig({ GATEPASS_SECRET: STRONG, GATEPASS_SECRET_PREVIOUS: PREVIOUS });
    assert.deepEqual(config.issuers[0]!.secret, [STRONG, PREVIOUS]);
    const alias = loadConfig({ SECRET_KEY: STRONG, GATEPASS_SECRET_PREVIOUS: PREVIOUS });
    assert.deepEqual(alias.issuers[0]!.secret, [STRONG, PREVIOUS]);
    // Alone, or empty, it changes nothing.
    assert.equal(
      loadConfig({ GATEPASS_SECRET: STRONG, GATEPASS_SECRET_PREVIOUS: "" }).issuers[0]!.secret,
      STRONG,
    );
  });

  test("GATEPASS_SECRET_PREVIOUS without GATEPASS_SECRET is an error naming both", () => {
    const error = configError({ GATEPASS_SECRET_PREVIOUS: STRONG });
    assert.match(error.message, /GATEPASS_SECRET_PREVIOUS/);
    assert.match(error.message, /GATEPASS_SECRET/);
    assert.ok(!error.message.includes(STRONG));
  });

  test("a short previous secret is refused naming GATEPASS_SECRET_PREVIOUS and the opt-in variable", () => {
    const error = configError({ GATEPASS_SECRET: STRONG, GATEPASS_SECRET_PREVIOUS: SHORT });
    assert.equal(error.field, "GATEPASS_SECRET_PREVIOUS");
    assert.match(error.message, /GATEPASS_ALLOW_INSECURE_SHORT_SECRET=true/);
    assert.ok(!error.message.includes(SHORT));
    const short = configError({ SECRET_KEY: SHORT });
    assert.equal(short.field, "SECRET_KEY");
    assert.match(short.message, /got 13/);
  });

  test("GATEPASS_ALLOW_INSECURE_SHORT_SECRET=true accepts the gist's 13-byte SECRET_KEY; other values are errors", () => {
    const config = loadConfig({ SECRET_KEY: SHORT, GATEPASS_ALLOW_INSECURE_SHORT_SECRET: "true" });
    assert.equal(config.issuers[0]!.allowInsecureShortSecret, true);
    assert.equal(
      loadConfig({ GATEPASS_SECRET: STRONG, GATEPASS_ALLOW_INSECURE_SHORT_SECRET: "false" }).issuers[0]!
        .allowInsecureShortSecret,
      undefined,
    );
    const error = configError({ SECRET_KEY: SHORT, GATEPASS_ALLOW_INSECURE_SHORT_SECRET: "yes" });
    assert.equal(error.field, "GATEPASS_ALLOW_INSECURE_SHORT_SECRET");
    assert.match(error.message, /"true" or "false"/);
    const noSecret = configError({
      GATEPASS_JWKS_URI: "https://id.example.com/jwks.json",
      GATEPASS_ISSUER: "https://id.example.com/",
      GATEPASS_AUDIENCE: "a",
      GATEPASS_ALLOW_INSECURE_SHORT_SECRET: "true",
    });
    assert.equal(noSecret.field, "GATEPASS_ALLOW_INSECURE_SHORT_SECRET");
  });

  test("GATEPASS_CONTEXT_CLAIMS sets context.claims (comma-separated)", () => {
    const config = loadConfig({ GATEPASS_SECRET: STRONG, GATEPASS_CONTEXT_CLAIMS: "email, groups,id" });
    assert.deepEqual(config.context.claims, ["email", "groups", "id"]);
    // Absent: the default list.
    assert.ok(loadConfig({ GATEPASS_SECRET: STRONG }).context.claims.includes("sub"));
    // Empty, as deployment tools leave an unset variable: the default list too.
    assert.ok(
      loadConfig({ GATEPASS_SECRET: STRONG, GATEPASS_CONTEXT_CLAIMS: " " }).context.claims.includes("sub"),
    );
  });

  test("with GATEPASS_CONFIG the shortcuts are not mixed in", () => {
    const config = loadConfig({
      GATEPASS_CONFIG: JSON.stringify({ issuers: [{ secret: STRONG }] }),
      GATEPASS_CONTEXT_CLAIMS: "email",
      GATEPASS_SECRET_PREVIOUS: PREVIOUS,
    });
    assert.equal(config.issuers[0]!.secret, STRONG);
    assert.ok(config.context.claims.includes("sub"));
  });
});
