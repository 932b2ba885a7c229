/**
 * e2e: the development issuer — discovery, JWKS and the token endpoint (both request styles and
 * the client_credentials grant) used by a real verifier through OIDC discovery over HTTP, and its
 * key surviving a restart.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createVerifier } from "../../src/token/verifier.js";
import { call, startTestServer, type TestServer } from "../fixtures/dev/harness.js";

const decodePayload = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
const decodeHeader = (token: string) =>
  JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString()) as Record<string, unknown>;

describe("gatepass dev: the development issuer", () => {
  let t: TestServer;
  let verify: (token: string) => Promise<{ payload: Record<string, unknown> }>;
  before(async () => {
    t = await startTestServer();
    const verifier = createVerifier(
      { issuers: [{ issuer: t.url, audience: ["gatepass-dev"], discovery: true }] },
      { sharedKeyCache: false },
    );
    verify = (token) => verifier.verify(token) as Promise<{ payload: Record<string, unknown> }>;
  });
  after(() => t.close());

  it("serves an OIDC discovery document naming itself on 127.0.0.1", async () => {
    const res = await call(`${t.url}/.well-known/openid-configuration`);
    assert.equal(res.status, 200);
    const doc = res.json() as Record<string, unknown>;
    assert.equal(doc.issuer, t.url);
    assert.match(t.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(doc.jwks_uri, `${t.url}/.well-known/jwks.json`);
    assert.equal(doc.token_endpoint, `${t.url}/token`);
    assert.deepEqual(doc.grant_types_supported, ["client_credentials"]);
    assert.deepEqual(doc.id_token_signing_alg_values_supported, ["ES256", "RS256"]);
  });

  it("serves a JWKS with the public ES256 key first (then the RS256 one) and no private member", async () => {
    const { keys } = (await call(`${t.url}/.well-known/jwks.json`)).json() as {
      keys: Array<Record<string, unknown>>;
    };
    assert.equal(keys.length, 2);
    assert.equal(keys[1]!.alg, "RS256");
    assert.equal(keys[1]!.d, undefined);
    assert.equal(keys[0]!.kty, "EC");
    assert.equal(keys[0]!.crv, "P-256");
    assert.equal(keys[0]!.alg, "ES256");
    assert.equal(keys[0]!.d, undefined);
    assert.equal(keys[0]!.kid, t.server.issuer!.kid);
  });

  it("mints from JSON fields, verified through discovery by createVerifier", async () => {
    const res = await call(`${t.url}/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        subject: "alice",
        scopes: ["orders:read", "orders:write"],
        claims: { groups: ["admin"] },
        ttl: "15m",
      }),
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers["cache-control"], "no-store");
    const body = res.json() as {
      access_token: string;
      token_type: string;
      expires_in: number;
      scope: string;
    };
    assert.equal(body.token_type, "Bearer");
    assert.equal(body.expires_in, 900);
    assert.equal(body.scope, "orders:read orders:write");
    const { payload } = await verify(body.access_token);
    assert.equal(payload.iss, t.url);
    assert.equal(payload.sub, "alice");
    assert.equal(payload.aud, "gatepass-dev");
    assert.equal(payload.scope, "orders:read orders:write");
    assert.deepEqual(payload.groups, ["admin"]);
    assert.equal((payload.exp as number) - (payload.iat as number), 900);
    assert.equal(decodeHeader(body.access_token).alg, "ES256");
    assert.equal(decodeHeader(body.access_token).kid, t.server.issuer!.kid);
  });

  it("mints from form fields (claims as JSON text, ttl in seconds, aud)", async () => {
    const form = new URLSearchParams({
      sub: "bob",
      scope: "a b",
      claims: '{"email":"bob@example.com"}',
      ttl: "60",
      aud: "orders-api",
    });
    const res = await call(`${t.url}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
    });
    assert.equal(res.status, 200, res.text);
    const token = (res.json() as { access_token: string }).access_token;
    const payload = decodePayload(token);
    assert.equal(payload.sub, "bob");
    assert.equal(payload.email, "bob@example.com");
    assert.equal(payload.aud, "orders-api");
    assert.equal((payload.exp as number) - (payload.iat as number), 60);
    await assert.rejects(verify(token), { code: "ERR_JWT_AUDIENCE_INVALID" }, "the verifier checks aud");
  });

  it("implements the client_credentials grant (body or HTTP Basic)", async () => {
    const res = await call(`${t.url}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "grant_type=client_credentials&client_id=billing-service&client_secret=whatever&scope=orders%3Aread",
    });
    assert.equal(res.status, 200, res.text);
    const body = res.json() as {
      access_token: string;
      token_type: string;
      expires_in: number;
      scope: string;
    };
    assert.deepEqual(Object.keys(body).sort(), ["access_token", "expires_in", "scope", "token_type"]);
    assert.equal(body.scope, "orders:read");
    const { payload } = await verify(body.access_token);
    assert.equal(payload.sub, "billing-service");
    assert.equal(payload.client_id, "billing-service");

    const basic = await call(`${t.url}/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from("reports:secret").toString("base64")}`,
      },
      body: "grant_type=client_credentials",
    });
    assert.equal(decodePayload((basic.json() as { access_token: string }).access_token).client_id, "reports");
  });

  it("refuses unsupported grants and reserved claims with OAuth errors", async () => {
    const grant = await call(`${t.url}/token`, { method: "POST", body: "grant_type=password&username=a" });
    assert.equal(grant.status, 400);
    assert.equal((grant.json() as { error: string }).error, "unsupported_grant_type");
    const reserved = await call(`${t.url}/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ claims: { exp: 1 } }),
    });
    assert.equal(reserved.status, 400);
    assert.equal((reserved.json() as { error: string }).error, "invalid_request");
    assert.equal((await call(`${t.url}/token`)).status, 405);
  });

  it("serves the issuer paths itself, not behind the authorizer", async () => {
    const lines = t
      .requests()
      .filter((l) => String(l.path).startsWith("/.well-known") || l.path === "/token");
    assert.ok(lines.length > 0);
    assert.ok(lines.every((l) => l.outcome === "issuer"));
  });
});

describe("gatepass dev: the issuer key persists across a restart", () => {
  const keysDir = mkdtempSync(join(tmpdir(), "gatepass-dev-keys-"));
  after(() => rmSync(keysDir, { recursive: true, force: true }));

  it("keeps the same kid, and a token minted before the restart still passes", async () => {
    const first = await startTestServer({ keysDir });
    const kid = first.server.issuer!.kid;
    const token = first.server.mintToken({ sub: "survivor" }).access_token;
    await first.close();
    assert.equal(statSync(join(keysDir, "private.jwk.json")).mode & 0o777, 0o600);

    // Same folder, same port: the same issuer, so gatepass's authorizer accepts the old token end to end.
    const second = await startTestServer({ keysDir, port: first.server.port });
    try {
      assert.equal(second.server.issuer!.kid, kid);
      const jwks = (await call(`${second.url}/.well-known/jwks.json`)).json() as {
        keys: Array<{ kid: string }>;
      };
      assert.equal(jwks.keys[0]!.kid, kid);
      const res = await call(`${second.url}/hello`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200, JSON.stringify(second.lines));
      assert.match(res.text, /survivor/);
    } finally {
      await second.close();
    }
  });
});
