/**
 * e2e: `gatepass inspect` as a process, against a JWKS served on 127.0.0.1 that publishes a key
 * gatepass refuses (an RSA key with e = 1): the report names ERR_KEY_REFUSED and why, for a token
 * naming that key, and never prints key material.
 */
import assert from "node:assert/strict";
import type { JsonWebKey } from "node:crypto";
import { describe, test } from "node:test";
import { json, serve } from "../helpers/http-server.js";
import { b64url, TEST_AUDIENCE, TEST_ISSUER, testKey } from "../helpers/keys.js";
import { forgeRs256WithExponentOne, rocaKeyPair, withExponentOne } from "../helpers/weak-keys.js";
import { runCli } from "./cli-helpers.js";

const victim = testKey("RS256", 6);
const e1Jwk: JsonWebKey = { ...withExponentOne(victim.publicJwk as JsonWebKey), kid: "e1", alg: "RS256" };
const roca = rocaKeyPair("roca");

function forgedToken(kid: string): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = { sub: "mallory", iss: TEST_ISSUER, aud: TEST_AUDIENCE, iat: now, exp: now + 600 };
  const signingInput = `${b64url({ alg: "RS256", kid })}.${b64url(payload)}`;
  const sig = forgeRs256WithExponentOne(signingInput, Buffer.from(e1Jwk.n!, "base64url").length);
  return `${signingInput}.${sig.toString("base64url")}`;
}

describe("gatepass inspect: a token naming a refused key", { timeout: 60_000 }, () => {
  test("inspect_refused_key_e1: prints ERR_KEY_REFUSED and the reason, exit 1", async (t) => {
    const server = await serve(t, json({ keys: [e1Jwk, roca.publicJwk] }));
    const env = {
      GATEPASS_JWKS_URI: `${server.url}/jwks`,
      GATEPASS_ISSUER: TEST_ISSUER,
      GATEPASS_AUDIENCE: TEST_AUDIENCE,
    };
    const human = await runCli(["inspect", forgedToken("e1")], { env });
    assert.equal(human.code, 1, human.stdout + human.stderr);
    assert.match(human.stdout, /INVALID\s+ERR_KEY_REFUSED/);
    assert.match(human.stdout, /kid "e1": the RSA public exponent is 1, which lets anyone forge signatures/);
    assert.ok(!human.stdout.includes(e1Jwk.n!.slice(0, 24)), "no key material");

    const report = JSON.parse((await runCli(["inspect", forgedToken("roca"), "--json"], { env })).stdout);
    assert.equal(report.verification.code, "ERR_KEY_REFUSED");
    assert.match(report.verification.explanation, /ROCA fingerprint \(CVE-2017-15361\)/);

    const routed = await runCli(["inspect", forgedToken("e1"), "--route", "GET /orders/42", "--json"], {
      env,
    });
    const route = JSON.parse(routed.stdout).route;
    assert.equal(route.status, 401);
    assert.equal(route.reason, "ERR_KEY_REFUSED");
  });
});
