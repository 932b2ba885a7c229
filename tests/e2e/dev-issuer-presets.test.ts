/**
 * e2e: the development issuer's `POST /token` with `preset` — tokens shaped like each identity
 * provider's (header and claims as the provider documents them), carrying the provider's exact
 * issuer, signed with the dev key. The oracle is jose: every token is verified against the dev
 * JWKS served over HTTP, with the expected issuer given literally (never derived by gatepass code).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createLocalJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from "jose";
import { createVerifier } from "../../src/token/verifier.js";
import { call, startTestServer, type TestServer } from "../fixtures/dev/harness.js";

const TENANT = "9122040d-6c67-4c5b-b112-36a304b66dad";
const OTHER_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";

describe("gatepass dev: POST /token with a provider preset", () => {
  let t: TestServer;
  let jwks: ReturnType<typeof createLocalJWKSet>;
  before(async () => {
    t = await startTestServer();
    jwks = createLocalJWKSet((await call(`${t.url}/.well-known/jwks.json`)).json() as never);
  });
  after(() => t.close());

  const post = (body: Record<string, unknown>) =>
    call(`${t.url}/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  /** Mints, then verifies with jose against the dev JWKS and the literal expected issuer. */
  async function mint(
    body: Record<string, unknown>,
    expect: { issuer: string; audience?: string },
  ): Promise<{
    header: Record<string, unknown>;
    payload: JWTPayload & Record<string, unknown>;
    scope?: string;
  }> {
    const res = await post(body);
    assert.equal(res.status, 200, res.text);
    const { access_token, scope } = res.json() as { access_token: string; scope?: string };
    const { payload } = await jwtVerify(access_token, jwks, {
      issuer: expect.issuer,
      ...(expect.audience !== undefined ? { audience: expect.audience } : {}),
      algorithms: ["ES256"],
    });
    const header = decodeProtectedHeader(access_token) as Record<string, unknown>;
    assert.equal(header.alg, "ES256");
    assert.equal(header.kid, t.server.issuer!.kid);
    return { header, payload: payload as JWTPayload & Record<string, unknown>, ...(scope ? { scope } : {}) };
  }

  it("cognito access token: no typ header, no aud, client_id, token_use, scope, cognito:groups, username", async () => {
    const { header, payload, scope } = await mint(
      {
        preset: "cognito",
        userPoolId: "eu-west-1_AbCdEf123",
        clientId: "4o5p6q7r8s",
        sub: "alice",
        scopes: ["orders:read", "orders:write"],
        groups: ["admin", "ops"],
        ttl: "15m",
      },
      { issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123" },
    );
    assert.deepEqual(Object.keys(header).sort(), ["alg", "kid"]);
    assert.equal(payload.aud, undefined);
    assert.equal(payload.sub, "alice");
    assert.equal(payload.token_use, "access");
    assert.equal(payload.client_id, "4o5p6q7r8s");
    assert.equal(payload.scope, "orders:read orders:write");
    assert.equal(scope, "orders:read orders:write");
    assert.deepEqual(payload["cognito:groups"], ["admin", "ops"]);
    assert.equal(payload.username, "alice");
    assert.equal(payload.version, 2);
    assert.equal(payload.exp! - payload.iat!, 900);
    for (const name of ["jti", "origin_jti", "event_id"]) assert.equal(typeof payload[name], "string", name);
    assert.equal(typeof payload.auth_time, "number");
  });

  it("cognito id token: aud is the app client, token_use id, cognito:username, email; no scope", async () => {
    const { header, payload } = await mint(
      { preset: "cognito", userPoolId: "us-east-1_Xyz789", tokenUse: "id", clientId: ["abc123"], sub: "bob" },
      { issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Xyz789", audience: "abc123" },
    );
    assert.equal(header.typ, undefined);
    assert.equal(payload.aud, "abc123");
    assert.equal(payload.token_use, "id");
    assert.equal(payload["cognito:username"], "bob");
    assert.equal(payload.email_verified, true);
    assert.equal(typeof payload.email, "string");
    assert.equal(payload.scope, undefined);
    assert.equal(payload.client_id, undefined);
  });

  it("cognito: a European Sovereign Cloud pool is on amazonaws.eu; the multi-Region issuer is given as issuer", async () => {
    await mint(
      { preset: "cognito", userPoolId: "eusc-de-east-1_AbC123", clientId: "c1" },
      { issuer: "https://cognito-idp.eusc-de-east-1.amazonaws.eu/eusc-de-east-1_AbC123" },
    );
    await mint(
      {
        preset: "cognito",
        userPoolId: "eu-west-1_AbCdEf123",
        clientId: "c1",
        issuer: "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123",
      },
      { issuer: "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123" },
    );
  });

  it("auth0 (default access_token_authz dialect): typ JWT, aud array with userinfo, azp, scope and RBAC permissions", async () => {
    const { header, payload } = await mint(
      {
        preset: "auth0",
        domain: "acme.eu.auth0.com",
        aud: "https://api.acme.example",
        clientId: "my_client_id",
        sub: "auth0|123456",
        scope: "openid read:orders",
        claims: { "https://acme.example/roles": ["admin"] },
      },
      { issuer: "https://acme.eu.auth0.com/", audience: "https://api.acme.example" },
    );
    assert.equal(header.typ, "JWT");
    assert.deepEqual(payload.aud, ["https://api.acme.example", "https://acme.eu.auth0.com/userinfo"]);
    assert.equal(payload.azp, "my_client_id");
    assert.equal(payload.scope, "openid read:orders");
    assert.deepEqual(payload.permissions, ["openid", "read:orders"]);
    assert.deepEqual(payload["https://acme.example/roles"], ["admin"]);
    assert.equal(payload.client_id, undefined);
  });

  it("auth0 rfc9068_profile dialect: typ at+jwt, client_id and jti instead of azp, no permissions", async () => {
    const { header, payload } = await mint(
      {
        preset: "auth0",
        domain: "acme.eu.auth0.com",
        tokenDialect: "rfc9068_profile",
        aud: "https://api.acme.example",
        scope: "read:orders",
      },
      { issuer: "https://acme.eu.auth0.com/", audience: "https://api.acme.example" },
    );
    assert.equal(header.typ, "at+jwt");
    assert.equal(payload.aud, "https://api.acme.example");
    assert.equal(typeof payload.client_id, "string");
    assert.equal(typeof payload.jti, "string");
    assert.equal(payload.azp, undefined);
    assert.equal(payload.permissions, undefined);
  });

  it("okta: no typ header, ver 1, jti AT., cid, uid, scp array, groups", async () => {
    const { header, payload } = await mint(
      {
        preset: "okta",
        issuer: "https://acme.okta.com/oauth2/default",
        aud: "api://default",
        clientId: "0oa1b2c3",
        sub: "alice@acme.example",
        scopes: ["openid", "orders:read"],
        groups: ["Everyone", "admins"],
      },
      { issuer: "https://acme.okta.com/oauth2/default", audience: "api://default" },
    );
    assert.equal(header.typ, undefined);
    assert.equal(payload.ver, 1);
    assert.match(String(payload.jti), /^AT\./);
    assert.equal(payload.cid, "0oa1b2c3");
    assert.match(String(payload.uid), /^00u/);
    assert.deepEqual(payload.scp, ["openid", "orders:read"]);
    assert.deepEqual(payload.groups, ["Everyone", "admins"]);
    assert.equal(payload.scope, undefined);
  });

  it("entra v2.0 for a multi-tenant app: tid from allowedTenants, iss for that tid, azp, oid, scp string, roles, nbf, no jti", async () => {
    const { header, payload } = await mint(
      {
        preset: "entra",
        tenantId: "organizations",
        allowedTenants: [TENANT, OTHER_TENANT],
        aud: "6e74172b-be56-4843-9ff4-e66a39bb12e3",
        clientId: "11111111-2222-3333-4444-555555555555",
        scope: "Orders.Read",
        roles: ["Orders.Admin"],
        groups: ["a7d5e0c4-0000-4000-8000-000000000001"],
      },
      {
        issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
        audience: "6e74172b-be56-4843-9ff4-e66a39bb12e3",
      },
    );
    assert.equal(header.typ, "JWT");
    assert.equal(payload.ver, "2.0");
    assert.equal(payload.tid, TENANT);
    assert.equal(payload.azp, "11111111-2222-3333-4444-555555555555");
    assert.match(String(payload.oid), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(payload.scp, "Orders.Read");
    assert.deepEqual(payload.roles, ["Orders.Admin"]);
    assert.deepEqual(payload.groups, ["a7d5e0c4-0000-4000-8000-000000000001"]);
    assert.equal(payload.nbf, payload.iat);
    assert.equal(payload.jti, undefined);
    assert.equal(typeof payload.uti, "string");
  });

  it("entra v1.0 on request: iss https://sts.windows.net/{tid}/, appid, ver 1.0", async () => {
    const { payload } = await mint(
      {
        preset: "entra",
        tenantId: TENANT.toUpperCase(),
        version: "1.0",
        aud: "api://orders",
        clientId: "c-1",
      },
      { issuer: `https://sts.windows.net/${TENANT}/`, audience: "api://orders" },
    );
    assert.equal(payload.ver, "1.0");
    assert.equal(payload.appid, "c-1");
    assert.equal(payload.azp, undefined);
  });

  it("keycloak (form-encoded, as curl -d sends it): iss {url}/realms/{realm}, typ Bearer, azp, realm_access.roles", async () => {
    const res = await call(`${t.url}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams([
        ["preset", "keycloak"],
        ["url", "https://kc.acme.example/"],
        ["realm", "acme"],
        ["aud", "orders-api"],
        ["clientId", "orders-web"],
        ["sub", "alice"],
        ["roles", "orders-admin,auditor"],
        ["scope", "openid orders"],
        ["claims", JSON.stringify({ resource_access: { "orders-api": { roles: ["writer"] } } })],
      ]).toString(),
    });
    assert.equal(res.status, 200, res.text);
    const token = (res.json() as { access_token: string }).access_token;
    const { payload } = await jwtVerify(token, jwks, {
      issuer: "https://kc.acme.example/realms/acme",
      audience: "orders-api",
    });
    assert.equal(decodeProtectedHeader(token).typ, "JWT");
    assert.equal(payload.typ, "Bearer");
    assert.equal(payload.azp, "orders-web");
    assert.equal(payload.preferred_username, "alice");
    assert.equal(payload.scope, "openid orders");
    const realmRoles = (payload.realm_access as { roles: string[] }).roles;
    assert.ok(realmRoles.includes("orders-admin") && realmRoles.includes("auditor"), String(realmRoles));
    assert.ok(realmRoles.includes("default-roles-acme"));
    assert.deepEqual(payload.resource_access, { "orders-api": { roles: ["writer"] } });
  });

  it("google id token: iss https://accounts.google.com, aud and azp = the client id, email, email_verified", async () => {
    const client = "1234-abc.apps.googleusercontent.com";
    const { header, payload } = await mint(
      { preset: "google", audience: client, sub: "110169484474386276334" },
      { issuer: "https://accounts.google.com", audience: client },
    );
    assert.equal(header.typ, "JWT");
    assert.equal(payload.aud, client);
    assert.equal(payload.azp, client);
    assert.equal(payload.email_verified, true);
    assert.equal(typeof payload.email, "string");
    assert.equal(payload.scope, undefined);
  });

  it("a bad preset request is a JSON 400 with one clear sentence, never a token", async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ preset: "ping" }, /unknown preset "ping" \(known: cognito, auth0, okta, entra, keycloak, google\)/],
      [{ preset: 7 }, /preset must be a non-empty string/],
      [{ preset: "cognito", clientId: "c" }, /the cognito preset needs userPoolId/],
      [
        { preset: "cognito", userPoolId: "AbCdEf", clientId: "c" },
        /userPoolId "AbCdEf" is not a user pool id/,
      ],
      [{ preset: "cognito", userPoolId: "eu-west-1_A" }, /the cognito preset needs clientId/],
      [
        { preset: "cognito", userPoolId: "eu-west-1_A", clientId: "c", tokenUse: "refresh" },
        /tokenUse must be "access" or "id"/,
      ],
      [
        { preset: "cognito", userPoolId: "eu-west-1_A", clientId: "c", aud: "x" },
        /Cognito access tokens carry no aud/,
      ],
      [
        { preset: "cognito", userPoolId: "eu-west-1_A", clientId: "c", domain: "a.b" },
        /domain is not a parameter of the cognito preset/,
      ],
      [
        { preset: "auth0", domain: "https://acme.auth0.com/" },
        /domain "https:\/\/acme.auth0.com\/" must be a host name/,
      ],
      [{ preset: "auth0", domain: "acme.auth0.com", tokenDialect: "v2" }, /tokenDialect must be one of/],
      [{ preset: "okta" }, /the okta preset needs issuer/],
      [{ preset: "entra", tenantId: "organizations" }, /needs allowedTenants/],
      [{ preset: "entra", tenantId: "contoso" }, /must be a tenant GUID/],
      [{ preset: "entra", tenantId: TENANT, version: "3" }, /version must be "2.0" or "1.0"/],
      [
        { preset: "keycloak", url: "kc.acme.example", realm: "acme" },
        /url "kc.acme.example" is not an http\(s\) URL/,
      ],
      [{ preset: "keycloak", url: "https://kc.acme.example" }, /the keycloak preset needs realm/],
      [{ preset: "google" }, /the google preset needs clientId/],
      [{ preset: "google", clientId: "c", scope: "openid" }, /google ID tokens carry no scope/],
      [{ userPoolId: "eu-west-1_A" }, /userPoolId is a preset parameter: add "preset" \(cognito\)/],
      [
        { preset: "cognito", userPoolId: "eu-west-1_A", clientId: "c", groups: [1] },
        /groups must be a list of names/,
      ],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      assert.equal(res.status, 400, `${JSON.stringify(body)} → ${res.text}`);
      assert.equal(res.headers["content-type"], "application/json");
      const answer = res.json() as { error: string; error_description: string; access_token?: string };
      assert.equal(answer.error, "invalid_request");
      assert.match(answer.error_description, message, JSON.stringify(body));
      assert.equal(answer.access_token, undefined);
      assert.doesNotMatch(answer.error_description, /\n|\bat .*\.ts:\d+/);
    }
  });

  it("the reserved claims stay the issuer's with a preset; the caller's other claims win over the template", async () => {
    const reserved = await post({ preset: "google", clientId: "c", claims: { iss: "https://evil.example" } });
    assert.equal(reserved.status, 400);
    const { payload } = await mint(
      { preset: "cognito", userPoolId: "eu-west-1_A1", clientId: "c", claims: { token_use: "id" } },
      { issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_A1" },
    );
    assert.equal(payload.token_use, "id");
  });

  it("gatepass's own verifier accepts a preset token with the provider's issuer and the dev JWKS as explicit key source", async () => {
    const res = await post({
      preset: "keycloak",
      url: "https://kc.acme.example",
      realm: "acme",
      aud: "orders-api",
      sub: "alice",
    });
    assert.equal(res.status, 200, res.text);
    const verifier = createVerifier(
      {
        issuers: [
          {
            issuer: "https://kc.acme.example/realms/acme",
            audience: ["orders-api"],
            jwksUri: `${t.url}/.well-known/jwks.json`,
          },
        ],
      },
      { sharedKeyCache: false },
    );
    const verified = (await verifier.verify((res.json() as { access_token: string }).access_token)) as {
      payload: Record<string, unknown>;
    };
    assert.equal(verified.payload.sub, "alice");
    assert.equal(verified.payload.iss, "https://kc.acme.example/realms/acme");
  });

  it("without a preset, groups and roles become the groups and roles claims", async () => {
    const res = await post({ sub: "alice", groups: ["admin"], roles: "reader,writer" });
    assert.equal(res.status, 200, res.text);
    const { payload } = await jwtVerify((res.json() as { access_token: string }).access_token, jwks, {
      issuer: t.url,
      audience: "gatepass-dev",
    });
    assert.deepEqual(payload.groups, ["admin"]);
    assert.deepEqual(payload.roles, ["reader", "writer"]);
  });
});
