/**
 * e2e: `gatepass mint --preset` as a child process — tokens shaped like each identity provider's,
 * with the provider's exact issuer, signed with the given key. jose is the oracle: each token is
 * verified against the key's public JWKS with the expected issuer written out literally.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createLocalJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from "jose";
import { cleanupTempDirs, isOneLineError, runCli, tempDir } from "./cli-helpers.js";

const TENANT = "9122040d-6c67-4c5b-b112-36a304b66dad";

describe("gatepass mint --preset", () => {
  let keyFile: string;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  before(async () => {
    const dir = tempDir();
    const made = await runCli(["keys", "generate", "--alg", "ES256", "--kid", "dev-1", "--out", dir]);
    assert.equal(made.code, 0, made.stderr);
    keyFile = join(dir, "private.jwk.json");
    jwks = createLocalJWKSet(JSON.parse(readFileSync(join(dir, "public.jwks.json"), "utf8")));
  });
  after(() => cleanupTempDirs());

  async function mint(
    args: string[],
    expect: { issuer: string; audience?: string },
  ): Promise<{ header: Record<string, unknown>; payload: JWTPayload & Record<string, unknown> }> {
    const result = await runCli(["mint", "--key", keyFile, ...args]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "");
    const token = result.stdout.trim();
    assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    const { payload } = await jwtVerify(token, jwks, {
      issuer: expect.issuer,
      ...(expect.audience !== undefined ? { audience: expect.audience } : {}),
    });
    const header = decodeProtectedHeader(token) as Record<string, unknown>;
    assert.equal(header.kid, "dev-1");
    return { header, payload: payload as JWTPayload & Record<string, unknown> };
  }

  test("cognito access token: pool issuer, no typ header, no aud, client_id, scope, cognito:groups", async () => {
    const { header, payload } = await mint(
      [
        "--preset",
        "cognito",
        "--preset-param",
        "userPoolId=eu-west-1_AbCdEf123",
        "--preset-param",
        "clientId=4o5p6q",
        "--sub",
        "alice",
        "--scope",
        "orders:read orders:write",
        "--group",
        "admin",
        "--ttl",
        "10m",
      ],
      { issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123" },
    );
    assert.deepEqual(Object.keys(header).sort(), ["alg", "kid"]);
    assert.equal(payload.aud, undefined);
    assert.equal(payload.token_use, "access");
    assert.equal(payload.client_id, "4o5p6q");
    assert.equal(payload.scope, "orders:read orders:write");
    assert.deepEqual(payload["cognito:groups"], ["admin"]);
    assert.equal(payload.username, "alice");
    assert.equal(payload.exp! - payload.iat!, 600);
  });

  test("entra v2.0: a JSON-array parameter, --aud, --role; iss for the tenant, scp string, roles, nbf", async () => {
    const { header, payload } = await mint(
      [
        "--preset",
        "entra",
        "--preset-param",
        "tenantId=organizations",
        "--preset-param",
        `allowedTenants=["${TENANT}"]`,
        "--aud",
        "api-app-id",
        "--scope",
        "Orders.Read",
        "--role",
        "Orders.Admin",
      ],
      { issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`, audience: "api-app-id" },
    );
    assert.equal(header.typ, "JWT");
    assert.equal(payload.tid, TENANT);
    assert.equal(payload.ver, "2.0");
    assert.equal(payload.scp, "Orders.Read");
    assert.deepEqual(payload.roles, ["Orders.Admin"]);
    assert.equal(payload.nbf, payload.iat);
  });

  test("okta takes its issuer from --iss; auth0 derives https://{domain}/ with permissions", async () => {
    const okta = await mint(
      [
        "--preset",
        "okta",
        "--iss",
        "https://acme.okta.com/oauth2/default",
        "--aud",
        "api://default",
        "--scope",
        "a b",
      ],
      { issuer: "https://acme.okta.com/oauth2/default", audience: "api://default" },
    );
    assert.equal(okta.header.typ, undefined);
    assert.deepEqual(okta.payload.scp, ["a", "b"]);
    assert.equal(okta.payload.ver, 1);
    const auth0 = await mint(
      [
        "--preset",
        "auth0",
        "--preset-param",
        "domain=acme.eu.auth0.com",
        "--aud",
        "https://api",
        "--scope",
        "read:x",
      ],
      { issuer: "https://acme.eu.auth0.com/", audience: "https://api" },
    );
    assert.equal(auth0.header.typ, "JWT");
    assert.deepEqual(auth0.payload.permissions, ["read:x"]);
    assert.equal(typeof auth0.payload.azp, "string");
  });

  test("keycloak and google: realm issuer with realm_access.roles; Google ID token with aud = client id", async () => {
    const kc = await mint(
      [
        "--preset",
        "keycloak",
        "--preset-param",
        "url=https://kc.acme.example",
        "--preset-param",
        "realm=acme",
        "--aud",
        "orders-api",
        "--role",
        "orders-admin",
        "--claim",
        'resource_access={"orders-api":{"roles":["writer"]}}',
      ],
      { issuer: "https://kc.acme.example/realms/acme", audience: "orders-api" },
    );
    assert.equal(kc.payload.typ, "Bearer");
    assert.ok((kc.payload.realm_access as { roles: string[] }).roles.includes("orders-admin"));
    assert.deepEqual(kc.payload.resource_access, { "orders-api": { roles: ["writer"] } });
    const google = await mint(
      ["--preset", "google", "--preset-param", "clientId=1234.apps.googleusercontent.com", "--sub", "1101"],
      { issuer: "https://accounts.google.com", audience: "1234.apps.googleusercontent.com" },
    );
    assert.equal(google.payload.azp, "1234.apps.googleusercontent.com");
    assert.equal(google.payload.email_verified, true);
  });

  test("without --preset, --group and --role are the groups and roles claims; the other flags are unchanged", async () => {
    const { payload } = await mint(
      [
        "--iss",
        "https://id.example.com/",
        "--aud",
        "orders-api",
        "--scope",
        "x y",
        "--group",
        "g1",
        "--role",
        "r1",
      ],
      { issuer: "https://id.example.com/", audience: "orders-api" },
    );
    assert.equal(payload.scope, "x y");
    assert.deepEqual(payload.groups, ["g1"]);
    assert.deepEqual(payload.roles, ["r1"]);
  });

  test("bad preset input: a non-zero exit with one line on stderr and nothing on stdout", async () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ["--preset", "ping"],
        /unknown preset "ping" \(known: cognito, auth0, okta, entra, keycloak, google\)/,
      ],
      [["--preset", "cognito", "--preset-param", "clientId=c"], /the cognito preset needs userPoolId/],
      [
        ["--preset", "cognito", "--preset-param", "userPoolId=nope", "--preset-param", "clientId=c"],
        /userPoolId "nope" is not a user pool id/,
      ],
      [
        ["--preset", "cognito", "--preset-param", "userPoolId=eu-west-1_A", "--preset-param", "realm=x"],
        /realm is not a parameter of the cognito preset \(it takes userPoolId, tokenUse, clientId, issuer\)/,
      ],
      [
        ["--preset", "google", "--preset-param", "clientId=c", "--scope", "openid"],
        /google ID tokens carry no scope/,
      ],
      [["--preset-param", "userPoolId=eu-west-1_A"], /--preset-param needs --preset/],
      [
        ["--preset", "okta", "--iss", "https://a.okta.com", "--preset-param", "constructor=x"],
        /constructor is not a parameter of the okta preset/,
      ],
      [["--preset", "okta", "--preset-param", "__proto__=[1]"], /__proto__ is not a preset parameter/],
      [["--preset", "okta", "--preset-param", "noequals"], /expected name=value/],
      [
        [
          "--preset",
          "entra",
          "--preset-param",
          "tenantId=organizations",
          "--preset-param",
          "allowedTenants=[oops",
        ],
        /allowedTenants: a value starting with "\[" must be a JSON array/,
      ],
      [
        ["--preset", "okta", "--iss", "https://a.okta.com", "--preset-param", "issuer=https://b.okta.com"],
        /give the issuer once/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(["mint", "--key", keyFile, ...args]);
      assert.notEqual(result.code, 0, args.join(" "));
      assert.equal(result.stdout, "", args.join(" "));
      assert.ok(isOneLineError(result.stderr), result.stderr);
      assert.match(result.stderr, message, args.join(" "));
    }
  });

  test("--help lists the presets and each one's parameters", async () => {
    const help = await runCli(["mint", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--preset <name>/);
    assert.match(help.stdout, /--preset-param <name=value>/);
    assert.match(help.stdout, /cognito\s+userPoolId, tokenUse, clientId/);
    assert.match(help.stdout, /entra\s+tenantId, allowedTenants, version, clientId/);
  });
});
