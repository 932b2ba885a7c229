/**
 * e2e: `gatepass inspect` as a child process, for a team coming from a hand-written authorizer: the
 * legacy short-secret opt-in is shown (never the secret), a token whose principal is in `id` is told
 * which setting to change, and a rotation configured from the environment verifies tokens signed with
 * either secret. Tokens are signed with `jose`, not gatepass.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { SignJWT } from "jose";
import { cleanupTempDirs, runCli, tempDir } from "./cli-helpers.js";

const SHORT = "my-secret-key";
const STRONG = "s3cr3t-strong-0123456789abcdef-ABCDEFGHIJ";
const now = () => Math.floor(Date.now() / 1000);

async function hs256(secret: string, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(secret));
}

after(cleanupTempDirs);

describe("gatepass inspect: coming from a hand-written authorizer", { timeout: 60_000 }, () => {
  test("shows the allowInsecureShortSecret opt-in in text and JSON, never the secret", async () => {
    const dir = tempDir();
    const config = join(dir, "gatepass.json");
    writeFileSync(
      config,
      JSON.stringify({
        issuers: [{ secret: [STRONG, SHORT], allowInsecureShortSecret: true }],
        principalClaim: "id",
      }),
    );
    const token = await hs256(SHORT, { id: 42, exp: now() + 600 });
    const text = await runCli(["inspect", token, "--config", config]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Verification: VALID/);
    assert.match(text.stdout, /issuers\[0\]\.secret\[1\].*allowInsecureShortSecret/);
    assert.ok(!text.stdout.includes(SHORT) && !text.stdout.includes(STRONG), "a secret was printed");

    const json = await runCli(["inspect", token, "--config", config, "--json"]);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout) as { warnings?: Array<{ field: string; detail: string }> };
    assert.deepEqual(
      report.warnings?.map((w) => w.field),
      ["issuers[0].secret[1]"],
    );
    assert.ok(!json.stdout.includes(SHORT) && !json.stdout.includes(STRONG), "a secret was printed");
  });

  test("a token with its principal in id names principalClaim and GATEPASS_PRINCIPAL_CLAIM", async () => {
    const token = await hs256(STRONG, { id: 42, role: "admin", exp: now() + 600 });
    const result = await runCli(["inspect", token, "--json"], { env: { SECRET_KEY: STRONG } });
    assert.equal(result.code, 1);
    const report = JSON.parse(result.stdout) as { verification: { code: string; explanation: string } };
    assert.equal(report.verification.code, "ERR_JWT_CLAIM_MISSING");
    assert.match(report.verification.explanation, /principalClaim \(GATEPASS_PRINCIPAL_CLAIM\)/);
    assert.match(report.verification.explanation, /id, role, exp/);
    const fixed = await runCli(["inspect", token], {
      env: { SECRET_KEY: STRONG, GATEPASS_PRINCIPAL_CLAIM: "id" },
    });
    assert.equal(fixed.code, 0, fixed.stdout);
    assert.match(fixed.stdout, /principal '42'/);
  });

  test("an issuer that differs only by a trailing slash says so, with both spellings", async () => {
    const token = await hs256(STRONG, { iss: "https://id.example.com/", sub: "u", exp: now() + 600 });
    const result = await runCli(["inspect", token], {
      env: { GATEPASS_SECRET: STRONG, GATEPASS_ISSUER: "https://id.example.com" },
    });
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /The issuer 'https:\/\/id\.example\.com\/' differs from the configured issuer 'https:\/\/id\.example\.com' only by a trailing slash/,
    );
  });

  test("a rotation from the environment: tokens of either secret verify, the short one is shown", async () => {
    const env = {
      GATEPASS_SECRET: STRONG,
      GATEPASS_SECRET_PREVIOUS: SHORT,
      GATEPASS_ALLOW_INSECURE_SHORT_SECRET: "true",
      GATEPASS_PRINCIPAL_CLAIM: "id",
    };
    for (const secret of [STRONG, SHORT]) {
      const result = await runCli(["inspect", await hs256(secret, { id: 7, exp: now() + 600 })], { env });
      assert.equal(result.code, 0, result.stdout);
      assert.match(result.stdout, /GATEPASS_SECRET_PREVIOUS|issuers\[0\]\.secret\[1\]/);
      assert.ok(!result.stdout.includes(SHORT) && !result.stdout.includes(STRONG));
    }
  });
});
