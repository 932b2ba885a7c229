/**
 * e2e: `gatepass dev` with an issuer using DPoP (RFC 9449) warns at start when the authorizer's
 * result cache is on: each request carries a new proof, and a cached Allow would skip it (and its
 * replay check) for later requests presenting the same token. Nothing else of DPoP is emulated by
 * the local gateway: its authorizer runs the same handler, which checks the proofs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { startTestServer } from "../fixtures/dev/harness.js";

const OPTS = { timeout: 20_000 };
const issuer = {
  issuer: "https://as.example.test/",
  audience: ["orders-api"],
  secret: "dpop-dev-test-secret-of-32-bytes-or-more!",
  dpop: "required",
};

async function warningsFor(dev: Record<string, unknown>): Promise<Array<Record<string, unknown>>> {
  const t = await startTestServer({ config: { issuers: [issuer], dev } });
  try {
    return t.lines.filter((l) => l.event === "dpop_config") as Array<Record<string, unknown>>;
  } finally {
    await t.close();
  }
}

describe("gatepass dev: DPoP configuration warnings", () => {
  it(
    "warns at start when dev.resultTtlSeconds > 0 (API Gateway's result cache must be off for DPoP)",
    OPTS,
    async () => {
      const warnings = await warningsFor({ api: "http-v2-simple", resultTtlSeconds: 300 });
      assert.equal(warnings.length, 1);
      assert.match(String(warnings[0]?.detail), /result TTL to 0/);
    },
  );

  it("says nothing with the result cache off", OPTS, async () => {
    assert.deepEqual(await warningsFor({ api: "http-v2-simple", resultTtlSeconds: 0 }), []);
  });

  it("warns that a REST TOKEN authorizer receives no proof", OPTS, async () => {
    const warnings = await warningsFor({ api: "rest-token", resultTtlSeconds: 0 });
    assert.equal(warnings.length, 1);
    assert.match(String(warnings[0]?.detail), /rest-token authorizers receive no DPoP proof/);
  });
});
