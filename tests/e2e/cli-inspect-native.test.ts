/**
 * e2e: `gatepass inspect --native` as a process — the token judged by gatepass and, beside it, by
 * AWS's own JWT authorizer as emulated (discovery and keys fetched from a local IdP over HTTP;
 * tokens made with `jose`).
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type NativeIdp, startNativeIdp } from "../fixtures/dev/native-idp.js";
import { cleanupTempDirs, runCli, tempDir } from "./cli-helpers.js";

describe("gatepass inspect --native", { timeout: 120_000 }, () => {
  let idp: NativeIdp;
  let config: string;
  let claims: Record<string, unknown>;
  before(async () => {
    idp = await startNativeIdp();
    config = join(tempDir("gatepass-inspect-native-"), "gatepass.json");
    writeFileSync(
      config,
      JSON.stringify({
        issuers: [
          { issuer: idp.url, audience: ["orders-api"], discovery: true, algorithms: ["RS256", "ES256"] },
        ],
      }),
    );
    const now = Math.floor(Date.now() / 1000);
    claims = {
      iss: idp.url,
      aud: "orders-api",
      sub: "alice",
      exp: now + 600,
      iat: now - 5,
      scope: "orders:read",
    };
  });
  after(async () => {
    await idp.close();
    cleanupTempDirs();
  });

  it("a valid RS256 token: both allow, printed side by side", async () => {
    const token = await idp.sign(claims);
    const r = await runCli(["inspect", token, "--config", config, "--native"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Verification: VALID/);
    assert.match(
      r.stdout,
      /Native HTTP API JWT authorizer \(issuer 'http:\/\/127\.0\.0\.1:\d+', audience \['orders-api'\]\)/,
    );
    assert.match(r.stdout, /the native HTTP API JWT authorizer would allow it/);
    assert.match(r.stdout, /gatepass: VALID/);
  });

  it("an ES256 token gatepass accepts: the HTTP API authorizer would answer 401 (RSA only), a REST JWT authorizer allows", async () => {
    const token = await idp.sign(claims, { alg: "ES256" });
    const http = await runCli(["inspect", token, "--config", config, "--native", "http-api"]);
    assert.equal(http.code, 0, "the exit status is gatepass's");
    assert.match(
      http.stdout,
      /would answer 401 because the token's algorithm "ES256" is not one this authorizer accepts/,
    );
    assert.match(http.stdout, /www-authenticate: Bearer scope="" error="invalid_token"/);
    const rest = await runCli(["inspect", token, "--config", config, "--native", "rest"]);
    assert.match(rest.stdout, /the native REST API JWT authorizer would allow it/);
  });

  it("--scope: a valid token without the route's scope → the native authorizer answers 403", async () => {
    const token = await idp.sign(claims);
    const r = await runCli(["inspect", token, "--config", config, "--native", "--scope", "orders:write"]);
    assert.match(
      r.stdout,
      /would answer 403 because the token has none of the route's scopes \(orders:write\)/,
    );
  });

  it("--native-audience and --json: one object with the native answer, never the token", async () => {
    const token = await idp.sign(claims);
    const r = await runCli([
      "inspect",
      token,
      "--config",
      config,
      "--native",
      "--native-audience",
      "another-api",
      "--json",
    ]);
    const report = JSON.parse(r.stdout) as { native: { status: number; reason: string; audience: string[] } };
    assert.equal(report.native.status, 401);
    assert.deepEqual(report.native.audience, ["another-api"]);
    assert.match(report.native.reason, /aud/);
    assert.ok(!JSON.stringify(report.native).includes(token.split(".")[2]!));
  });

  it("without a configuration, --native-issuer is enough; without either it is a usage error", async () => {
    const token = await idp.sign(claims);
    const r = await runCli([
      "inspect",
      token,
      "--native",
      "--native-issuer",
      idp.url,
      "--native-audience",
      "orders-api",
    ]);
    assert.match(r.stdout, /would allow it/);
    assert.match(r.stdout, /gatepass: not verified/);
    const none = await runCli(["inspect", token, "--native"]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^gatepass: --native needs an issuer/);
    const bad = await runCli(["inspect", token, "--native", "grpc"]);
    assert.equal(bad.code, 2);
    const alone = await runCli(["inspect", token, "--config", config, "--scope", "orders:read"]);
    assert.equal(alone.code, 2);
    assert.match(alone.stderr, /--scope, --native-issuer and --native-audience go with --native/);
  });
});
