/**
 * e2e: `gatepass inspect` shows what an identity-provider preset expanded to (issuers, keys,
 * checks), in the human report and in `--json`, and verifies a token shaped like that provider's.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { joseSign, jwksOf, testKey } from "../helpers/keys.js";
import { cleanupTempDirs, runCli, tempDir } from "./cli-helpers.js";

after(cleanupTempDirs);

const KEY = testKey("RS256", 3);

describe("gatepass inspect with a preset", () => {
  const dir = tempDir();
  const configFile = join(dir, "gatepass.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      issuers: [
        {
          preset: "auth0",
          domain: "acme.eu.auth0.com",
          audience: "https://api.acme.example",
          jwks: jwksOf(KEY),
        },
      ],
    }),
  );
  const token = () => {
    const now = Math.floor(Date.now() / 1000);
    return joseSign(KEY, {
      iss: "https://acme.eu.auth0.com/",
      sub: "auth0|1",
      aud: ["https://api.acme.example"],
      azp: "client",
      permissions: ["read:orders"],
      iat: now,
      exp: now + 600,
    });
  };

  test("--json lists each expanded issuer with its checks", { timeout: 60_000 }, async () => {
    const result = await runCli(["inspect", await token(), "--config", configFile, "--json"]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(report.presets, [
      {
        entry: "issuers[0]",
        preset: "auth0",
        issuer: "https://acme.eu.auth0.com/",
        keys: "jwks (inline)",
        audience: ["https://api.acme.example"],
        algorithms: ["RS256"],
        typ: null,
        scopeClaims: ["scope", "scp", "permissions"],
      },
    ]);
    assert.equal(report.verification.valid, true);
  });

  test("the human report names the preset, its issuer and where scopes are read", {
    timeout: 60_000,
  }, async () => {
    const result = await runCli(["inspect", await token(), "--config", configFile]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /Identity-provider presets/);
    assert.match(result.stdout, /issuers\[0\] auth0: iss 'https:\/\/acme\.eu\.auth0\.com\/'/);
    assert.match(result.stdout, /scopes read from scope, scp, permissions/);
    assert.doesNotMatch(result.stdout, /"n":/, "no key material");
  });
});
