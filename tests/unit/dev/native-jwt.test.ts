/**
 * AWS's native JWT authorizers, emulated (`src/dev/native-jwt.ts`), against a real local IdP over
 * HTTP (discovery + JWKS) with tokens made by `jose`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { JwtAuthorizerDefinition, NativeJwtVerdict } from "../../../src/dev/definition/model.js";
import { cognitoDate, createNativeJwtAuthorizer } from "../../../src/dev/native-jwt.js";
import { type NativeIdp, startNativeIdp, unsignedToken } from "../../fixtures/dev/native-idp.js";

const T = 1_800_000_000; // seconds
const now = () => T * 1000;

const def = (
  url: string,
  flavour: JwtAuthorizerDefinition["flavour"] = "http-api-jwt",
): JwtAuthorizerDefinition => ({
  kind: "jwt",
  name: "jwt",
  flavour,
  identitySources: ["$request.header.Authorization"],
  issuer: url,
  audience: ["orders-api"],
});

const denied = (v: NativeJwtVerdict) => {
  assert.equal(v.ok, false);
  return v as Extract<NativeJwtVerdict, { ok: false }>;
};

describe("native JWT authorizers (emulated)", { timeout: 30_000 }, () => {
  let idp: NativeIdp;
  let base: Record<string, unknown>;
  before(async () => {
    idp = await startNativeIdp();
    base = {
      iss: idp.url,
      aud: "orders-api",
      sub: "alice",
      exp: T + 600,
      iat: T - 10,
      scope: "orders:read profile",
    };
  });
  after(() => idp.close());

  const http = () => createNativeJwtAuthorizer(def(idp.url), { now });

  it("http-api-jwt: a valid RS256 token is allowed, with AWS's 2.0 and 1.0 context shapes", async () => {
    const a = http();
    const token = await idp.sign({ ...base, groups: ["a", "b"], n: 42, ok: true });
    const v = await a.authorize(`Bearer ${token}`, ["orders:read"]);
    assert.equal(v.ok, true);
    if (!v.ok) return;
    const claims = {
      iss: idp.url,
      aud: "orders-api",
      sub: "alice",
      exp: String(T + 600),
      iat: String(T - 10),
      scope: "orders:read profile",
      groups: "[a b]",
      n: "42",
      ok: "true",
    };
    assert.deepEqual(a.integrationContext(v, "2.0"), { jwt: { claims, scopes: ["orders:read", "profile"] } });
    assert.deepEqual(a.integrationContext(v, "1.0"), { claims, scopes: ["orders:read", "profile"] });
    // The bare token works too; a route without scopes gets scopes: null.
    const bare = await a.authorize(token, []);
    assert.equal(bare.ok, true);
    if (bare.ok) assert.deepEqual(a.integrationContext(bare, "2.0"), { jwt: { claims, scopes: null } });
  });

  it("http-api-jwt: a missing identity is 401 without any key fetch", async () => {
    const before = idp.requests;
    const a = http();
    for (const identity of [undefined, "", "Bearer", "Bearer "]) {
      const v = denied(await a.authorize(identity, []));
      assert.equal(v.status, 401);
      assert.equal(v.wwwAuthenticate, 'Bearer scope=""');
    }
    assert.equal(idp.requests, before);
  });

  it("http-api-jwt: HS256, ES256 and alg none are refused (401, RSA only)", async () => {
    const a = http();
    for (const token of [
      await idp.sign(base, { alg: "HS256" }),
      await idp.sign(base, { alg: "ES256" }),
      unsignedToken(base),
    ]) {
      const v = denied(await a.authorize(`Bearer ${token}`, []));
      assert.equal(v.status, 401);
      assert.match(v.reason, /algorithm|well-formed/);
      assert.match(v.wwwAuthenticate ?? "", /error="invalid_token"/);
    }
  });

  it("http-api-jwt: wrong iss, wrong aud → 401 with AWS's invalid_token challenge", async () => {
    const a = http();
    const iss = denied(await a.authorize(await idp.sign({ ...base, iss: `${idp.url}/other` }), []));
    assert.equal(iss.status, 401);
    assert.match(iss.reason, /iss/);
    const aud = denied(await a.authorize(await idp.sign({ ...base, aud: "someone-else" }), []));
    assert.equal(aud.status, 401);
    assert.equal(
      aud.wwwAuthenticate,
      'Bearer scope="" error="invalid_token" error_description="the token does not have a valid audience"',
    );
  });

  it("http-api-jwt: client_id counts only when aud is absent", async () => {
    const a = http();
    const { aud: _, ...noAud } = base;
    assert.equal((await a.authorize(await idp.sign({ ...noAud, client_id: "orders-api" }), [])).ok, true);
    const both = denied(
      await a.authorize(await idp.sign({ ...base, aud: "x", client_id: "orders-api" }), []),
    );
    assert.equal(both.status, 401);
    assert.equal(denied(await a.authorize(await idp.sign(noAud), [])).status, 401);
  });

  it("http-api-jwt: expired, not yet valid, issued in the future, no exp → 401", async () => {
    const a = http();
    for (const claims of [
      { ...base, exp: T - 1 },
      { ...base, exp: T },
      { ...base, nbf: T + 60 },
      { ...base, iat: T + 60 },
      { ...base, exp: undefined },
    ]) {
      const v = denied(await a.authorize(await idp.sign(JSON.parse(JSON.stringify(claims))), []));
      assert.equal(v.status, 401, JSON.stringify(claims));
    }
  });

  it("http-api-jwt: no kid, unknown kid, bad signature → 401", async () => {
    const a = http();
    const noKid = denied(await a.authorize(await idp.sign(base, { kid: null }), []));
    assert.match(noKid.reason, /kid/);
    const unknown = denied(await a.authorize(await idp.sign(base, { kid: "nope" }), []));
    assert.match(unknown.reason, /kid/);
    const token = await idp.sign(base);
    const [h, p] = token.split(".");
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...base, sub: "mallory" })).toString("base64url")}.${token.split(".")[2]}`;
    assert.notEqual(p, forged.split(".")[1]);
    assert.match(denied(await a.authorize(forged, [])).reason, /signature/);
  });

  it("http-api-jwt: none of the route's scopes → 403 insufficient_scope; scp arrays count", async () => {
    const a = http();
    const v = denied(await a.authorize(await idp.sign(base), ["orders:write", "admin"]));
    assert.equal(v.status, 403);
    assert.match(v.wwwAuthenticate ?? "", /^Bearer scope="orders:write admin" error="insufficient_scope"/);
    const { scope: _, ...noScope } = base;
    const scp = await a.authorize(await idp.sign({ ...noScope, scp: ["orders:write"] }), [
      "orders:write",
      "admin",
    ]);
    assert.equal(scp.ok, true);
  });

  it("http-api-jwt: unreachable keys → 401 (fail closed), never a rejection", async () => {
    const a = createNativeJwtAuthorizer(def("http://127.0.0.1:9"), { now, fetchTimeoutMs: 500 });
    const v = denied(await a.authorize(await idp.sign({ ...base, iss: "http://127.0.0.1:9" }), []));
    assert.equal(v.status, 401);
    assert.match(v.reason, /could not be fetched/);
  });

  it("an http issuer off loopback is refused without any fetch (AWS requires https)", async () => {
    const a = createNativeJwtAuthorizer(def("http://id.example.com"), { now });
    const v = denied(await a.authorize(await idp.sign({ ...base, iss: "http://id.example.com" }), []));
    assert.equal(v.status, 401);
    assert.match(v.reason, /https/);
  });

  it("never puts the token in a reason", async () => {
    const a = http();
    const token = await idp.sign({ ...base, aud: "x" });
    const v = denied(await a.authorize(token, []));
    assert.ok(!JSON.stringify(v).includes(token.split(".")[2]!));
  });

  it("rest-jwt: ES256 allowed, claims keep their JSON types; missing scope → 403", async () => {
    const a = createNativeJwtAuthorizer(def(idp.url, "rest-jwt"), { now });
    const v = await a.authorize(
      `Bearer ${await idp.sign({ ...base, n: 42, roles: ["x"] }, { alg: "ES256" })}`,
      ["orders:read"],
    );
    assert.equal(v.ok, true);
    if (v.ok) {
      const ctx = a.integrationContext(v, "1.0") as { claims: Record<string, unknown> };
      assert.equal(ctx.claims.n, 42);
      assert.deepEqual(ctx.claims.roles, ["x"]);
      assert.equal(ctx.claims.exp, T + 600);
    }
    assert.equal(denied(await a.authorize(await idp.sign(base), ["admin"])).status, 403);
    assert.equal(denied(await a.authorize(await idp.sign(base, { alg: "HS256" }), [])).status, 401);
    assert.equal(
      denied(await a.authorize(await idp.sign({ ...base, aud: "x" }), [])).wwwAuthenticate,
      undefined,
    );
  });

  it("cognito-user-pools: ID token without scopes, access token with scopes, strings as AWS writes them", async () => {
    const a = createNativeJwtAuthorizer(
      { ...def(idp.url, "cognito-user-pools"), audience: ["app-client"] },
      { now },
    );
    const id = {
      iss: idp.url,
      aud: "app-client",
      sub: "u1",
      token_use: "id",
      exp: T + 600,
      iat: T - 10,
      "cognito:groups": ["a", "b"],
      email_verified: true,
      auth_time: T - 10,
    };
    const v = await a.authorize(await idp.sign(id), []);
    assert.equal(v.ok, true);
    if (v.ok) {
      const { claims } = a.integrationContext(v, "1.0") as { claims: Record<string, string> };
      assert.equal(claims["cognito:groups"], "a,b");
      assert.equal(claims.email_verified, "true");
      assert.equal(claims.auth_time, String(T - 10));
      assert.equal(claims.exp, cognitoDate(T + 600));
      assert.match(claims.exp!, /^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}$/);
    }
    const access = {
      iss: idp.url,
      client_id: "app-client",
      sub: "u1",
      token_use: "access",
      exp: T + 600,
      scope: "orders/read",
    };
    // An access token where an ID token is required, and the reverse: 401.
    assert.equal(denied(await a.authorize(await idp.sign(access), [])).status, 401);
    assert.equal(denied(await a.authorize(await idp.sign(id), ["orders/read"])).status, 401);
    assert.equal((await a.authorize(await idp.sign(access), ["orders/read"])).ok, true);
    // A missing scope is 401 for Cognito authorizers.
    assert.equal(denied(await a.authorize(await idp.sign(access), ["orders/write"])).status, 401);
  });
});

describe("cognitoDate", () => {
  it("writes Java's Date#toString in UTC", () => {
    assert.equal(cognitoDate(1552964625), "Tue Mar 19 03:03:45 UTC 2019");
    assert.equal(cognitoDate(1559618611), "Tue Jun 04 03:23:31 UTC 2019");
  });
});
