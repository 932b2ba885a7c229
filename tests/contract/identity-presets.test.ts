/**
 * Identity-provider presets end to end: tokens shaped exactly like each provider's documented
 * tokens (header and claims; the document each follows is named above it), signed at test time
 * with test keys by `jose`, through `createAuthorizer` with the real API Gateway event fixtures.
 * Keys come from explicit key sources (inline `jwks`, or a loopback JWKS server behind an injected
 * `fetch`): no network.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createAuthorizer } from "../../src/lambda/authorizer.js";
import { createMemoryLogger } from "../../src/log.js";
import { serve } from "../helpers/http-server.js";
import { referenceEvaluate } from "../helpers/iam-reference.js";
import { joseSign, jwksOf, type TestKey, testKey } from "../helpers/keys.js";
import { loadEvent } from "../unit/adapters/fixtures.js";

const T = 1_700_000_000;
const NOW = () => T * 1000;
const KEY: TestKey = testKey("RS256", 3);
const OTHER_KEY: TestKey = testKey("RS256", 4);
const JWKS = jwksOf(KEY);
const ROUTE = "GET /orders/{id}";

type Outcome = { status: 200 | 401 | 403; reason: string | null };

/** What API Gateway answers for `token` on the REST TOKEN fixture (GET /orders/42), and the logged reason. */
async function call(config: Record<string, unknown>, token: string, options: { fetch?: typeof fetch } = {}) {
  const logger = createMemoryLogger();
  const handler = createAuthorizer(config, { now: NOW, logger, sharedKeyCache: false, ...options });
  return outcome(handler, logger, token);
}

async function outcome(
  handler: ReturnType<typeof createAuthorizer>,
  logger: ReturnType<typeof createMemoryLogger>,
  token: string,
): Promise<Outcome> {
  const event = loadEvent("rest-token", token);
  let status: Outcome["status"];
  try {
    const response = (await handler(event)) as { policyDocument: unknown };
    status = referenceEvaluate(response.policyDocument, event.methodArn as string) === "allow" ? 200 : 403;
  } catch (error) {
    assert.equal((error as Error).message, "Unauthorized");
    status = 401;
  }
  const decision = logger.lines.filter((l) => l.event === "decision").at(-1);
  return { status, reason: (decision?.reason as string | null | undefined) ?? null };
}

/** The same through the HTTP API 2.0 fixture (simple response). */
async function callHttp(config: Record<string, unknown>, token: string): Promise<200 | 401 | 403> {
  const handler = createAuthorizer(config, { now: NOW, logger: createMemoryLogger(), sharedKeyCache: false });
  try {
    const response = (await handler(loadEvent("http-v2", token))) as { isAuthorized: boolean };
    return response.isAuthorized ? 200 : 403;
  } catch {
    return 401;
  }
}

const times = { iat: T - 60, exp: T + 3600 };

// ---------------------------------------------------------------------------------------------
describe("cognito preset", () => {
  const POOL = "eu-west-1_AbCdEf123";
  const ISS = `https://cognito-idp.eu-west-1.amazonaws.com/${POOL}`;
  const MULTI = `https://issuer-cognito-idp.eu-west-1.amazonaws.com/${POOL}`;
  const CLIENT = "4o5p6q7r8s9t0u1v2w3x4y5z6a";
  const issuer = (extra: Record<string, unknown> = {}) => ({
    preset: "cognito",
    userPoolId: POOL,
    tokenUse: "access",
    clientId: [CLIENT],
    jwks: JWKS,
    ...extra,
  });
  const config = (extra: Record<string, unknown> = {}) => ({
    issuers: [issuer(extra)],
    routes: [{ route: ROUTE, scopes: ["orders/read"], claims: { "cognito:groups": ["staff"] } }],
  });
  // Access token as in AWS, "Understanding the access token" (Amazon Cognito Developer Guide):
  // header { kid, alg: RS256 }; client_id, no aud; token_use "access"; cognito:groups; scope.
  const access = (claims: Record<string, unknown> = {}, key = KEY) =>
    joseSign(key, {
      sub: "aaaaaaaa-bbbb-cccc-dddd-example",
      "cognito:groups": ["staff"],
      iss: ISS,
      version: 2,
      client_id: CLIENT,
      origin_jti: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
      event_id: "bbbbbbbb-cccc-dddd-eeee-ffffffffffff",
      token_use: "access",
      scope: "openid orders/read",
      auth_time: T - 120,
      jti: "cccccccc-dddd-eeee-ffff-000000000000",
      username: "alice",
      ...times,
      ...claims,
    });
  // ID token as in AWS, "Understanding the identity (ID) token": aud is the app client id, token_use "id".
  const id = (claims: Record<string, unknown> = {}) =>
    joseSign(KEY, {
      sub: "aaaaaaaa-bbbb-cccc-dddd-example",
      "cognito:groups": ["staff"],
      email_verified: true,
      iss: ISS,
      "cognito:username": "alice",
      origin_jti: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
      aud: CLIENT,
      event_id: "bbbbbbbb-cccc-dddd-eeee-ffffffffffff",
      token_use: "id",
      auth_time: T - 120,
      jti: "dddddddd-eeee-ffff-0000-111111111111",
      email: "alice@example.com",
      scope: "orders/read",
      ...times,
      ...claims,
    });

  test("an access token of the pool and app client is allowed (REST TOKEN and HTTP API 2.0)", async () => {
    assert.deepEqual(await call(config(), await access()), { status: 200, reason: null });
    assert.equal(await callHttp(config(), await access()), 200);
  });

  test("the multi-Region issuer form of the same pool is accepted too", async () => {
    assert.equal((await call(config(), await access({ iss: MULTI }))).status, 200);
  });

  test("a wrong client_id, an ID token where access tokens are expected, and a missing client_id are 401", async () => {
    assert.deepEqual(await call(config(), await access({ client_id: "someoneelse" })), {
      status: 401,
      reason: "ERR_JWT_AUDIENCE_INVALID",
    });
    assert.deepEqual(await call(config(), await id()), { status: 401, reason: "ERR_JWT_CLAIM_INVALID" });
    assert.deepEqual(await call(config(), await access({ client_id: undefined })), {
      status: 401,
      reason: "ERR_JWT_AUDIENCE_INVALID",
    });
  });

  test('tokenUse "id" checks aud against clientId; an access token is 401', async () => {
    const c = config({ tokenUse: "id" });
    assert.equal((await call(c, await id())).status, 200);
    assert.deepEqual(await call(c, await id({ aud: "someoneelse" })), {
      status: 401,
      reason: "ERR_JWT_AUDIENCE_INVALID",
    });
    assert.deepEqual(await call(c, await access()), { status: 401, reason: "ERR_JWT_CLAIM_INVALID" });
  });

  test("tokenUse null accepts both, each with its own client check", async () => {
    const c = config({ tokenUse: null });
    assert.equal((await call(c, await id())).status, 200);
    assert.equal((await call(c, await access())).status, 200);
    assert.equal((await call(c, await id({ aud: "someoneelse" }))).status, 401);
    assert.equal((await call(c, await access({ client_id: "someoneelse" }))).status, 401);
    assert.equal((await call(c, await access({ token_use: "refresh" }))).status, 401);
  });

  test("a missing scope or group is 403", async () => {
    assert.deepEqual(await call(config(), await access({ scope: "openid" })), {
      status: 403,
      reason: "ERR_SCOPE_MISSING",
    });
    assert.deepEqual(await call(config(), await access({ "cognito:groups": ["guests"] })), {
      status: 403,
      reason: "ERR_CLAIM_MISMATCH",
    });
  });

  test("another pool, another region, or another key is 401", async () => {
    assert.equal(
      (
        await call(
          config(),
          await access({ iss: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other" }),
        )
      ).status,
      401,
    );
    assert.equal((await call(config(), await access({}, OTHER_KEY))).status, 401);
  });

  test("with only one issuer form served, hydrate() does not fail and that form verifies without a refetch", async (t) => {
    // A loopback stand-in for AWS: only the multi-Region form serves the pool's JWKS. The derived
    // JWKS URLs are kept (no explicit key source); an injected fetch routes them to the server.
    const server = await serve(t, (req, res) => {
      if (req.url === `/issuer-cognito-idp/${POOL}/.well-known/jwks.json`) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(JWKS));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    const seen: string[] = [];
    const routed: typeof fetch = (input, init) => {
      const url = new URL(String(input));
      seen.push(url.hostname);
      const host = url.hostname.startsWith("issuer-") ? "issuer-cognito-idp" : "cognito-idp";
      return fetch(`${server.url}/${host}${url.pathname}`, init);
    };
    const logger = createMemoryLogger();
    const handler = createAuthorizer(
      { issuers: [{ preset: "cognito", userPoolId: POOL, tokenUse: "access", clientId: CLIENT }] },
      { now: NOW, logger, sharedKeyCache: false, fetch: routed },
    );
    await handler.hydrate();
    assert.deepEqual(seen.sort(), [
      "cognito-idp.eu-west-1.amazonaws.com",
      "issuer-cognito-idp.eu-west-1.amazonaws.com",
    ]);
    assert.equal(
      logger.lines.filter((l) => l.level === "ERROR").length,
      0,
      "the form the pool does not have is not an error",
    );
    const before = server.requests;
    assert.deepEqual(await outcome(handler, logger, await access({ iss: MULTI })), {
      status: 200,
      reason: null,
    });
    assert.equal(server.requests, before, "the warmed form needed no fetch");
  });

  test("when no issuer form can be warmed, hydrate() still resolves and logs one error", async (t) => {
    const server = await serve(t, (_req, res) => {
      res.writeHead(503);
      res.end();
    });
    const routed: typeof fetch = (input, init) =>
      fetch(`${server.url}${new URL(String(input)).pathname}`, init);
    const logger = createMemoryLogger();
    const handler = createAuthorizer(
      { issuers: [{ preset: "cognito", userPoolId: POOL, tokenUse: "access", clientId: CLIENT }] },
      { now: NOW, logger, sharedKeyCache: false, fetch: routed },
    );
    await handler.hydrate();
    const errors = logger.lines.filter((l) => l.level === "ERROR");
    assert.deepEqual(
      errors.map((l) => l.event),
      ["jwks_hydrate_failed"],
    );
    assert.equal(errors[0]!.issuer, "issuers[0]");
  });
});

// ---------------------------------------------------------------------------------------------
describe("auth0 preset", () => {
  const DOMAIN = "acme.eu.auth0.com";
  const AUD = "https://api.acme.example";
  const config = (extra: Record<string, unknown> = {}) => ({
    issuers: [{ preset: "auth0", domain: DOMAIN, audience: [AUD], jwks: JWKS, ...extra }],
    routes: [{ route: ROUTE, scopes: ["read:orders"], claims: { "https://acme.example/roles": ["clerk"] } }],
  });
  // Access token as in Auth0, "Access Token Profiles" (default profile) and "Enable Role-Based Access
  // Control for APIs" (RBAC permissions in the `permissions` array); namespaced custom claim.
  const token = (claims: Record<string, unknown> = {}) =>
    joseSign(
      KEY,
      {
        iss: `https://${DOMAIN}/`,
        sub: "auth0|123456",
        aud: [AUD, `https://${DOMAIN}/userinfo`],
        azp: "my-client-id",
        scope: "openid profile email",
        permissions: ["read:orders"],
        "https://acme.example/roles": ["clerk"],
        ...times,
        ...claims,
      },
      { typ: "JWT" },
    );

  test("an RBAC permission counts as a scope; the namespaced claim is readable as it is", async () => {
    assert.deepEqual(await call(config(), await token()), { status: 200, reason: null });
  });

  test("a wrong audience is 401; with clientId, a wrong azp is 401", async () => {
    assert.deepEqual(await call(config(), await token({ aud: "https://other.example" })), {
      status: 401,
      reason: "ERR_JWT_AUDIENCE_INVALID",
    });
    const c = config({ clientId: "my-client-id" });
    assert.equal((await call(c, await token())).status, 200);
    assert.equal((await call(c, await token({ azp: "other" }))).status, 401);
  });

  test("a missing permission or role is 403", async () => {
    assert.deepEqual(await call(config(), await token({ permissions: [] })), {
      status: 403,
      reason: "ERR_SCOPE_MISSING",
    });
    assert.deepEqual(await call(config(), await token({ "https://acme.example/roles": ["guest"] })), {
      status: 403,
      reason: "ERR_CLAIM_MISMATCH",
    });
  });

  test("an explicit scopeClaims wins over the preset's", async () => {
    const c = config({ scopeClaims: ["scope"] });
    assert.equal((await call(c, await token())).status, 403);
    assert.equal((await call(c, await token({ scope: "read:orders" }))).status, 200);
  });
});

// ---------------------------------------------------------------------------------------------
describe("okta preset", () => {
  const ISS = "https://acme.okta.com/oauth2/default";
  const config = (extra: Record<string, unknown> = {}) => ({
    issuers: [
      {
        preset: "okta",
        issuer: ISS,
        audience: "api://default",
        clientId: "0oa1clientid",
        jwks: JWKS,
        ...extra,
      },
    ],
    routes: [{ route: ROUTE, scopes: ["orders:read"] }],
  });
  // Access token as in Okta, "Validate access tokens" / "OpenID Connect & OAuth 2.0 API" (access
  // token claims): ver, jti, iss, aud, cid, uid, scp (array), auth_time, sub; header { kid, alg }.
  const token = (claims: Record<string, unknown> = {}) =>
    joseSign(KEY, {
      ver: 1,
      jti: "AT.Sg8bDS7SF6Wg1d8pM1X1Z2pNU1Od4rPQ",
      iss: ISS,
      aud: "api://default",
      cid: "0oa1clientid",
      uid: "00u1userid",
      scp: ["openid", "orders:read"],
      auth_time: T - 120,
      sub: "alice@example.com",
      ...times,
      ...claims,
    });

  test("a token of the custom authorization server with the scope in scp is allowed", async () => {
    assert.deepEqual(await call(config(), await token()), { status: 200, reason: null });
  });

  test("a wrong cid or audience is 401", async () => {
    assert.deepEqual(await call(config(), await token({ cid: "0oaother" })), {
      status: 401,
      reason: "ERR_JWT_AUDIENCE_INVALID",
    });
    assert.equal((await call(config(), await token({ aud: "api://other" }))).status, 401);
  });

  test("a missing scope is 403", async () => {
    assert.deepEqual(await call(config(), await token({ scp: ["openid"] })), {
      status: 403,
      reason: "ERR_SCOPE_MISSING",
    });
  });
});

// ---------------------------------------------------------------------------------------------
describe("entra preset", () => {
  const TENANT_A = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  const TENANT_B = "11111111-2222-3333-4444-555555555555";
  const TENANT_C = "99999999-8888-7777-6666-555555555555";
  const API = "6e74172b-be56-4843-9ff4-e66a39bb12e3";
  const iss = (tid: string) => `https://login.microsoftonline.com/${tid}/v2.0`;
  const config = (extra: Record<string, unknown> = {}) => ({
    issuers: [
      {
        preset: "entra",
        tenantId: "organizations",
        allowedTenants: [TENANT_A, TENANT_B],
        audience: [API],
        jwks: JWKS,
        ...extra,
      },
    ],
    routes: [{ route: ROUTE, scopes: ["Orders.Read"], claims: { roles: ["Orders.Clerk"] } }],
  });
  // v2.0 access token as in Microsoft, "Access token claims reference" (Microsoft identity platform):
  // header { typ: JWT, alg: RS256, kid }; aud = the API's client id, iss per tenant, tid, scp
  // (space-separated string), roles (array), azp, oid, ver "2.0".
  const token = (tid: string, claims: Record<string, unknown> = {}) =>
    joseSign(
      KEY,
      {
        aud: API,
        iss: iss(tid),
        nbf: T - 60,
        aio: "AWQAm/8TAAAA",
        azp: "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
        azpacr: "0",
        name: "Alice",
        oid: "00000000-0000-0000-0000-0000000000a1",
        preferred_username: "alice@contoso.example",
        rh: "0.ARoAv4j5cvGGr0GRqy180BHbR1",
        roles: ["Orders.Clerk"],
        scp: "Orders.Read User.Read",
        sub: "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
        tid,
        uti: "fqiBqXLPj0eQa82S-IYFAA",
        ver: "2.0",
        ...times,
        ...claims,
      },
      { typ: "JWT" },
    );

  test("tokens of each allowed tenant are allowed", async () => {
    assert.deepEqual(await call(config(), await token(TENANT_A)), { status: 200, reason: null });
    assert.equal((await call(config(), await token(TENANT_B))).status, 200);
  });

  test("a tenant not in allowedTenants is 401", async () => {
    assert.deepEqual(await call(config(), await token(TENANT_C)), {
      status: 401,
      reason: "ERR_JWT_ISSUER_INVALID",
    });
  });

  test("a token whose iss does not match its tid is 401 (both tenants allowed)", async () => {
    assert.deepEqual(await call(config(), await token(TENANT_A, { tid: TENANT_B })), {
      status: 401,
      reason: "ERR_JWT_CLAIM_INVALID",
    });
    assert.equal((await call(config(), await token(TENANT_A, { tid: TENANT_C }))).status, 401);
    assert.equal((await call(config(), await token(TENANT_A, { tid: undefined }))).status, 401);
  });

  test("a wrong audience is 401", async () => {
    assert.deepEqual(
      await call(config(), await token(TENANT_A, { aud: "00000003-0000-0000-c000-000000000000" })),
      {
        status: 401,
        reason: "ERR_JWT_AUDIENCE_INVALID",
      },
    );
  });

  test("a missing scope or app role is 403", async () => {
    assert.deepEqual(await call(config(), await token(TENANT_A, { scp: "User.Read" })), {
      status: 403,
      reason: "ERR_SCOPE_MISSING",
    });
    assert.deepEqual(await call(config(), await token(TENANT_A, { roles: [] })), {
      status: 403,
      reason: "ERR_CLAIM_MISMATCH",
    });
  });

  test("a single tenant, and v1.0 tokens on request", async () => {
    const single = config({ tenantId: TENANT_A, allowedTenants: undefined });
    assert.equal((await call(single, await token(TENANT_A))).status, 200);
    assert.equal((await call(single, await token(TENANT_B))).status, 401);
    // v1.0 as in the same reference: iss https://sts.windows.net/{tid}/, appid for the client, ver "1.0".
    const v1 = config({ tenantId: TENANT_A, allowedTenants: undefined, version: "1.0", clientId: "c44b" });
    const v1token = await token(TENANT_A, {
      iss: `https://sts.windows.net/${TENANT_A}/`,
      ver: "1.0",
      azp: undefined,
      appid: "c44b",
    });
    assert.equal((await call(v1, v1token)).status, 200);
    assert.equal(
      (await call(v1, await token(TENANT_A, { iss: `https://sts.windows.net/${TENANT_A}/`, appid: "x" })))
        .status,
      401,
    );
    assert.equal((await call(v1, await token(TENANT_A))).status, 401, "a v2.0 issuer is not a v1.0 one");
  });
});

// ---------------------------------------------------------------------------------------------
describe("keycloak preset", () => {
  const URL_ = "https://kc.acme.example";
  const ISS = `${URL_}/realms/acme`;
  const config = (extra: Record<string, unknown> = {}) => ({
    issuers: [
      {
        preset: "keycloak",
        url: URL_,
        realm: "acme",
        audience: ["orders-api"],
        clientId: "web",
        jwks: JWKS,
        ...extra,
      },
    ],
    routes: [{ route: ROUTE, scopes: ["orders:read"] }],
  });
  // Access token as Keycloak issues it (Keycloak's AccessToken representation; server admin guide,
  // "OpenID Connect" token format): header { alg, typ: JWT, kid }; typ "Bearer", azp, realm_access,
  // resource_access, space-separated scope.
  const token = (claims: Record<string, unknown> = {}) =>
    joseSign(
      KEY,
      {
        jti: "onrtac:5a0d2c3e-0000-4000-8000-000000000001",
        iss: ISS,
        aud: ["orders-api", "account"],
        sub: "f1b2c3d4-0000-4000-8000-000000000002",
        typ: "Bearer",
        azp: "web",
        sid: "0a1b2c3d-0000-4000-8000-000000000003",
        acr: "1",
        "allowed-origins": ["https://app.acme.example"],
        realm_access: { roles: ["offline_access", "uma_authorization", "clerk"] },
        resource_access: { account: { roles: ["manage-account", "view-profile"] } },
        scope: "openid email profile orders:read",
        email_verified: true,
        preferred_username: "alice",
        ...times,
        ...claims,
      },
      { typ: "JWT" },
    );

  test("an access token of the realm for the named client is allowed", async () => {
    assert.deepEqual(await call(config(), await token()), { status: 200, reason: null });
  });

  test("another azp, an ID token, or a wrong audience is 401", async () => {
    assert.deepEqual(await call(config(), await token({ azp: "other" })), {
      status: 401,
      reason: "ERR_JWT_AUDIENCE_INVALID",
    });
    assert.deepEqual(await call(config(), await token({ typ: "ID" })), {
      status: 401,
      reason: "ERR_JWT_CLAIM_INVALID",
    });
    assert.equal((await call(config(), await token({ aud: "account" }))).status, 401);
  });

  test("an explicit requiredClaimValues wins: {} lifts the access-token-only check", async () => {
    assert.equal((await call(config({ requiredClaimValues: {} }), await token({ typ: "ID" }))).status, 200);
  });

  test("a missing scope is 403", async () => {
    assert.deepEqual(await call(config(), await token({ scope: "openid email" })), {
      status: 403,
      reason: "ERR_SCOPE_MISSING",
    });
  });
});

// ---------------------------------------------------------------------------------------------
describe("google preset", () => {
  const CLIENT = "1234567890-abc123def456.apps.googleusercontent.com";
  const config = () => ({
    issuers: [{ preset: "google", audience: [CLIENT], jwks: JWKS }],
    routes: [{ route: ROUTE, claims: { hd: "acme.example", email_verified: true } }],
  });
  // ID token as in Google, "Authenticate with a backend server" (Google Sign-In): iss
  // accounts.google.com or https://accounts.google.com, aud = your OAuth client id, azp, hd.
  const token = (claims: Record<string, unknown> = {}) =>
    joseSign(
      KEY,
      {
        iss: "https://accounts.google.com",
        azp: CLIENT,
        aud: CLIENT,
        sub: "110169484474386276334",
        hd: "acme.example",
        email: "alice@acme.example",
        email_verified: true,
        at_hash: "HK6E_P6Dh8Y93mRNtsDB1Q",
        name: "Alice",
        ...times,
        ...claims,
      },
      { typ: "JWT" },
    );

  test("both issuer spellings are accepted", async () => {
    assert.deepEqual(await call(config(), await token()), { status: 200, reason: null });
    assert.equal((await call(config(), await token({ iss: "accounts.google.com" }))).status, 200);
  });

  test("another OAuth client's token is 401", async () => {
    assert.deepEqual(await call(config(), await token({ aud: "other.apps.googleusercontent.com" })), {
      status: 401,
      reason: "ERR_JWT_AUDIENCE_INVALID",
    });
  });

  test("a user outside the hosted domain is 403", async () => {
    assert.deepEqual(await call(config(), await token({ hd: undefined })), {
      status: 403,
      reason: "ERR_CLAIM_MISMATCH",
    });
  });
});
