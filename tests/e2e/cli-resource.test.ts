/**
 * `gatepass resource` as a process (dist/cli/main.js): the RFC 9728 metadata document, its URL, the
 * REST Gateway Response values and the SAM parameters of a configuration's `resource`, in JSON and
 * for humans; a configuration without `resource` is a one-line error. No secret in the output.
 * And `gatepass bundle --config` with `resource`: the bundle carries the audience check and the
 * challenge, and refuses a token not issued for the resource; without it, neither.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { SignJWT } from "jose";
import { cleanupTempDirs, isOneLineError, runCli, runNode, tempDir } from "./cli-helpers.js";

after(() => cleanupTempDirs());

const ISSUER = "https://id.example.com/";
const SECRET = "a-shared-secret-of-at-least-32-bytes-for-resource!";
const RESOURCE = "https://mcp.example.com/mcp";
const CONFIG = {
  issuers: [{ issuer: ISSUER, secret: SECRET }],
  routes: [{ route: "POST /mcp", scopes: ["mcp:tools"] }],
  resource: { uri: RESOURCE, authorizationServers: [ISSUER], scopesSupported: ["mcp:tools", "mcp:read"] },
};
const OPTS = { timeout: 60_000 };

function configFile(doc: unknown): string {
  const file = join(tempDir(), "gatepass.config.json");
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

describe("gatepass resource", { concurrency: true }, () => {
  test(
    "--json: the metadata, its URL and path, the Gateway Response values, the SAM parameters",
    OPTS,
    async () => {
      const result = await runCli(["resource", "--config", configFile(CONFIG), "--json"]);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(JSON.parse(result.stdout), {
        metadataUrl: "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
        metadataPath: "/.well-known/oauth-protected-resource/mcp",
        metadata: {
          resource: RESOURCE,
          authorization_servers: [ISSUER],
          bearer_methods_supported: ["header"],
          scopes_supported: ["mcp:tools", "mcp:read"],
        },
        gatewayResponses: {
          UNAUTHORIZED: {
            "gatewayresponse.header.WWW-Authenticate":
              "'Bearer resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource/mcp\"'",
          },
          ACCESS_DENIED: { "gatewayresponse.header.WWW-Authenticate": "context.authorizer.wwwAuthenticate" },
        },
        samParameters: {
          ResourceUri: RESOURCE,
          ResourceAuthorizationServers: ISSUER,
          ResourceScopesSupported: "mcp:tools,mcp:read",
          ResourceMetadataUrl: "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
        },
      });
      assert.ok(!result.stdout.includes(SECRET));
    },
  );

  test("human output: the document, the two header values and a sam deploy line", OPTS, async () => {
    const result = await runCli(["resource", "--config", configFile(CONFIG)]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /GET https:\/\/mcp\.example\.com\/\.well-known\/oauth-protected-resource\/mcp without authorization/,
    );
    assert.match(result.stdout, /"authorization_servers": \[\n\s+"https:\/\/id\.example\.com\/"/);
    assert.match(
      result.stdout,
      /UNAUTHORIZED {2}gatewayresponse\.header\.WWW-Authenticate: 'Bearer resource_metadata="https:\/\/mcp\.example\.com\/\.well-known\/oauth-protected-resource\/mcp"'/,
    );
    assert.match(
      result.stdout,
      /ACCESS_DENIED gatewayresponse\.header\.WWW-Authenticate: context\.authorizer\.wwwAuthenticate/,
    );
    assert.match(
      result.stdout,
      /sam deploy --parameter-overrides ResourceUri=https:\/\/mcp\.example\.com\/mcp /,
    );
    assert.ok(!result.stdout.includes(SECRET));
  });

  test("a configuration without resource, or none at all: exit 1, one line", OPTS, async () => {
    const without = await runCli(["resource", "--config", configFile({ issuers: [{ secret: SECRET }] })]);
    assert.equal(without.code, 1);
    assert.ok(isOneLineError(without.stderr), without.stderr);
    assert.match(without.stderr, /no "resource"/);
    const none = await runCli(["resource"]);
    assert.equal(none.code, 1);
    assert.ok(isOneLineError(none.stderr), none.stderr);
    const bad = await runCli([
      "resource",
      "--config",
      configFile({
        ...CONFIG,
        resource: { ...CONFIG.resource, authorizationServers: ["https://x.example/"] },
      }),
    ]);
    assert.equal(bad.code, 1);
    assert.ok(isOneLineError(bad.stderr), bad.stderr);
    assert.match(bad.stderr, /resource\.authorizationServers\[0\]/);
  });
});

describe("gatepass bundle --config with resource", () => {
  const event = (token: string) => ({
    type: "TOKEN",
    authorizationToken: `Bearer ${token}`,
    methodArn: "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/POST/mcp",
  });
  const sign = (aud: string, scope: string) =>
    new SignJWT({ sub: "agent-1", scope })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(ISSUER)
      .setAudience(aud)
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode(SECRET));

  test("with resource: the audience check and the challenge are in, and decide; without: neither", {
    timeout: 120_000,
  }, async () => {
    const root = tempDir();
    const [withIt, without] = await Promise.all(
      [
        CONFIG,
        { ...CONFIG, resource: undefined, issuers: [{ issuer: ISSUER, audience: RESOURCE, secret: SECRET }] },
      ].map(async (doc, i) => {
        const out = join(root, `b${i}`);
        const result = await runCli(["bundle", "--out", out, "--config", configFile(doc), "--json"]);
        assert.equal(result.code, 0, result.stderr);
        return { out, modules: (JSON.parse(result.stdout) as { modules: string[] }).modules };
      }),
    );
    const RESOURCE_MODULES = /(token[\\/]resource-audience|lambda[\\/]challenge|config[\\/]resource)\.[jt]s$/;
    assert.equal(
      withIt!.modules.filter((m) => RESOURCE_MODULES.test(m)).length,
      3,
      withIt!.modules.join(" "),
    );
    assert.deepEqual(
      without!.modules.filter((m) => RESOURCE_MODULES.test(m)),
      [],
    );

    const tokens = [
      await sign(RESOURCE, "mcp:tools"),
      await sign("orders-api", "mcp:tools"),
      await sign(RESOURCE, "mcp:read"),
    ];
    const script = `
      const { handler } = await import(${JSON.stringify(join(withIt!.out, "index.mjs"))});
      const out = [];
      for (const e of ${JSON.stringify(tokens.map(event))}) {
        try { const r = await handler(e); out.push({ effect: r.policyDocument.Statement.map((s) => s.Effect), context: r.context }); }
        catch (error) { out.push({ error: error.message }); }
      }
      process.stdout.write(JSON.stringify(out));
    `;
    const run = await runNode(["--input-type=module", "-e", script], {
      env: { GATEPASS_LOG_LEVEL: "error" },
    });
    assert.equal(run.code, 0, run.stderr);
    const [allowed, wrongAudience, denied] = JSON.parse(run.stdout) as Array<{
      effect?: string[];
      context?: Record<string, string>;
      error?: string;
    }>;
    assert.deepEqual(allowed!.effect, ["Allow"]);
    assert.equal(allowed!.context?.wwwAuthenticate, undefined);
    assert.deepEqual(wrongAudience, { error: "Unauthorized" });
    assert.ok(denied!.effect?.includes("Deny"));
    assert.equal(
      denied!.context?.wwwAuthenticate,
      'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", error="insufficient_scope", scope="mcp:read mcp:tools"',
    );
  });
});
