/**
 * e2e: the development issuer as an OAuth 2.1 authorization server over HTTP — RFC 8414 metadata
 * (also with the issuer under /_gatepass/issuer), RFC 7591 registration, the authorization endpoint
 * with PKCE S256 (RFC 7636) and `resource` (RFC 8707), the authorization_code and refresh_token
 * grants — and the hostile inputs each refuses. PKCE values and token checks use node:crypto and
 * jose, not the product's code.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import {
  calculateJwkThumbprint,
  createRemoteJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
} from "jose";
import { bearer, call, manualClock, startTestServer, type TestServer } from "../fixtures/dev/harness.js";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

const pkce = () => {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
};
const REDIRECT = "http://127.0.0.1:33418/callback";

describe("gatepass dev: the dev issuer as an OAuth authorization server", { timeout: 30_000 }, () => {
  let t: TestServer;
  let url: string;
  let resource: string;
  const clock = manualClock();

  const register = (
    body: unknown,
    headers: Record<string, string> = { "content-type": "application/json" },
  ) =>
    call(`${url}/oauth2/register`, {
      method: "POST",
      headers,
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const newClient = async (grantTypes = ["authorization_code", "refresh_token"]) => {
    const res = await register({ redirect_uris: [REDIRECT], grant_types: grantTypes, client_name: "test" });
    assert.equal(res.status, 201, res.text);
    return (res.json() as { client_id: string }).client_id;
  };
  const authorize = (params: Record<string, string>) =>
    call(`${url}/oauth2/authorize?${new URLSearchParams(params)}`);
  /** Authorizes and returns the code from the redirect. */
  const codeFor = async (clientId: string, challenge: string, extra: Record<string, string> = {}) => {
    const res = await authorize({
      response_type: "code",
      client_id: clientId,
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: "S256",
      state: "xyz",
      resource,
      scope: "mcp:read",
      ...extra,
    });
    assert.equal(res.status, 302, res.text);
    const location = new URL(res.headers.location!);
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT);
    assert.equal(location.searchParams.get("state"), "xyz");
    assert.equal(location.searchParams.get("iss"), url);
    const code = location.searchParams.get("code");
    assert.ok(code, res.headers.location);
    return code;
  };
  const token = (fields: Record<string, string>, extraHeaders: Record<string, string> = {}) =>
    call(`${url}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...extraHeaders },
      body: new URLSearchParams(fields).toString(),
    });
  /** A client's DPoP key and a proof of it for the token endpoint (RFC 9449 §4), made with jose. */
  const dpopKey = async () => {
    const pair = await generateKeyPair("ES256", { extractable: true });
    const jwk = await exportJWK(pair.publicKey);
    const jkt = await calculateJwkThumbprint(jwk);
    const proof = () =>
      new SignJWT({
        htm: "POST",
        htu: `${url}/token`,
        jti: randomUUID(),
        iat: Math.floor(clock.now() / 1000),
      })
        .setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk })
        .sign(pair.privateKey);
    return { jkt, proof };
  };

  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    resource = `${url}/mcp`;
    t = await startTestServer({
      port,
      now: clock.now,
      config: {
        resource: { uri: resource, authorizationServers: [url], scopesSupported: ["mcp:read", "mcp:write"] },
        routes: [{ route: "GET /mcp", scopes: ["mcp:read"] }],
      },
    });
  });
  after(() => t.close());

  it("serves RFC 8414 metadata naming its endpoints, S256 only, CORS *", async () => {
    const res = await call(`${url}/.well-known/oauth-authorization-server`);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers["access-control-allow-origin"], "*");
    const doc = res.json() as Record<string, unknown>;
    assert.equal(doc.issuer, url);
    assert.equal(doc.authorization_endpoint, `${url}/oauth2/authorize`);
    assert.equal(doc.token_endpoint, `${url}/token`);
    assert.equal(doc.registration_endpoint, `${url}/oauth2/register`);
    assert.equal(doc.jwks_uri, `${url}/.well-known/jwks.json`);
    assert.deepEqual(doc.code_challenge_methods_supported, ["S256"]);
    assert.deepEqual(doc.response_types_supported, ["code"]);
    assert.ok((doc.grant_types_supported as string[]).includes("authorization_code"));
    assert.ok((doc.token_endpoint_auth_methods_supported as string[]).includes("none"));
    assert.deepEqual(doc.scopes_supported, ["mcp:read", "mcp:write"]);
    assert.ok((doc.dpop_signing_alg_values_supported as string[]).includes("ES256"));
  });

  it("registers a public client; the code flow gives a token for the resource that the route accepts; the refresh token rotates", async () => {
    const clientId = await newClient();
    const { verifier, challenge } = pkce();
    const code = await codeFor(clientId, challenge, { login_hint: "alice" });
    const res = await token({
      grant_type: "authorization_code",
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_id: clientId,
      resource,
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers["cache-control"], "no-store");
    const body = res.json() as {
      access_token: string;
      token_type: string;
      refresh_token: string;
      scope: string;
    };
    assert.equal(body.token_type, "Bearer");
    assert.equal(body.scope, "mcp:read");
    const { payload } = await jwtVerify(
      body.access_token,
      createRemoteJWKSet(new URL(`${url}/.well-known/jwks.json`)),
      {
        issuer: url,
        audience: resource,
      },
    );
    assert.equal(payload.sub, "alice");
    assert.equal(payload.client_id, clientId);
    const api = await call(`${url}/mcp`, { headers: bearer(body.access_token) });
    assert.equal(api.status, 200, api.text);

    const refreshed = await token({
      grant_type: "refresh_token",
      refresh_token: body.refresh_token,
      client_id: clientId,
    });
    assert.equal(refreshed.status, 200, refreshed.text);
    const next = refreshed.json() as { access_token: string; refresh_token: string };
    assert.notEqual(next.refresh_token, body.refresh_token);
    assert.deepEqual(decodeJwt(next.access_token).aud, resource);
    const replayed = await token({
      grant_type: "refresh_token",
      refresh_token: body.refresh_token,
      client_id: clientId,
    });
    assert.equal(replayed.status, 400);
    assert.equal((replayed.json() as { error: string }).error, "invalid_grant");
  });

  it("RFC 9449 §5: a DPoP proof binds the code grant's token and its refresh token to the proof's key", async () => {
    const clientId = await newClient();
    const client = await dpopKey();
    const { verifier, challenge } = pkce();
    const code = await codeFor(clientId, challenge);
    const fields = {
      grant_type: "authorization_code",
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_id: clientId,
    };
    const res = await token(fields, { dpop: await client.proof() });
    assert.equal(res.status, 200, res.text);
    const body = res.json() as { access_token: string; token_type: string; refresh_token: string };
    assert.equal(body.token_type, "DPoP");
    assert.deepEqual(decodeJwt(body.access_token).cnf, { jkt: client.jkt });

    // The refresh token is bound too: no proof, or another key's proof, is refused (and spends it).
    const other = await dpopKey();
    const cases: Record<string, string>[] = [{}, { dpop: await other.proof() }];
    for (const headers of cases) {
      const code2 = await codeFor(clientId, challenge);
      const again = await token({ ...fields, code: code2 }, { dpop: await client.proof() });
      const refresh = (again.json() as { refresh_token: string }).refresh_token;
      const refused = await token(
        { grant_type: "refresh_token", refresh_token: refresh, client_id: clientId },
        headers,
      );
      assert.equal(refused.status, 400, refused.text);
      assert.equal((refused.json() as { error: string }).error, "invalid_grant");
    }
    const refreshed = await token(
      { grant_type: "refresh_token", refresh_token: body.refresh_token, client_id: clientId },
      { dpop: await client.proof() },
    );
    assert.equal(refreshed.status, 200, refreshed.text);
    const next = refreshed.json() as { access_token: string; token_type: string };
    assert.equal(next.token_type, "DPoP");
    assert.deepEqual(decodeJwt(next.access_token).cnf, { jkt: client.jkt });

    // A proof that does not hold is a 400 before any grant is looked at.
    const bad = await token(fields, { dpop: "not-a-proof" });
    assert.equal(bad.status, 400);
  });

  it("a resource the configuration does not protect is refused (invalid_target, in the redirect)", async () => {
    const clientId = await newClient();
    const res = await authorize({
      response_type: "code",
      client_id: clientId,
      redirect_uri: REDIRECT,
      code_challenge: pkce().challenge,
      code_challenge_method: "S256",
      resource: "https://other.example.com/mcp",
    });
    assert.equal(res.status, 302);
    const location = new URL(res.headers.location!);
    assert.equal(location.searchParams.get("error"), "invalid_target");
    assert.equal(location.searchParams.get("code"), null);
  });

  it("PKCE is required: no challenge, plain, a malformed challenge are refused", async () => {
    const clientId = await newClient();
    const base = { response_type: "code", client_id: clientId, redirect_uri: REDIRECT, resource };
    const variants: Record<string, string>[] = [
      {},
      { code_challenge: pkce().verifier, code_challenge_method: "plain" },
      { code_challenge: pkce().challenge },
      { code_challenge: "short", code_challenge_method: "S256" },
    ];
    for (const extra of variants) {
      const res = await authorize({ ...base, ...extra });
      assert.equal(res.status, 302, JSON.stringify(extra));
      const location = new URL(res.headers.location!);
      assert.equal(location.searchParams.get("error"), "invalid_request", JSON.stringify(extra));
      assert.equal(location.searchParams.get("code"), null);
    }
  });

  it("an unknown client or an unregistered redirect_uri gets a 400/401 answer, never a redirect", async () => {
    const clientId = await newClient();
    const { challenge } = pkce();
    const unknown = await authorize({
      response_type: "code",
      client_id: "nobody",
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.headers.location, undefined);
    assert.equal((unknown.json() as { error: string }).error, "invalid_client");
    for (const redirect of [
      "https://evil.example.com/callback",
      `${REDIRECT}/x`,
      "http://127.0.0.1:33418/callback?x=1",
    ]) {
      const res = await authorize({
        response_type: "code",
        client_id: clientId,
        redirect_uri: redirect,
        code_challenge: challenge,
        code_challenge_method: "S256",
      });
      assert.equal(res.status, 400, redirect);
      assert.equal(res.headers.location, undefined);
    }
  });

  it("the code is single-use; a second use is refused and revokes the token the first one issued", async () => {
    const clientId = await newClient();
    const { verifier, challenge } = pkce();
    const code = await codeFor(clientId, challenge);
    const fields = {
      grant_type: "authorization_code",
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_id: clientId,
    };
    const first = await token(fields);
    assert.equal(first.status, 200, first.text);
    const { access_token } = first.json() as { access_token: string };
    const second = await token(fields);
    assert.equal(second.status, 400);
    assert.equal((second.json() as { error: string }).error, "invalid_grant");
    const basic = `Basic ${Buffer.from("gateway:secret").toString("base64")}`;
    const introspected = await call(`${url}/introspect`, {
      method: "POST",
      headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded" },
      body: `token=${access_token}`,
    });
    assert.deepEqual(introspected.json(), { active: false });
  });

  it("a wrong verifier, another redirect_uri, another client, or an expired code: invalid_grant (and the code is spent)", async () => {
    const clientId = await newClient();
    const other = await newClient();
    const cases: Array<[string, (code: string, verifier: string) => Record<string, string>]> = [
      [
        "wrong verifier",
        (code) => ({ code, code_verifier: pkce().verifier, redirect_uri: REDIRECT, client_id: clientId }),
      ],
      ["missing verifier", (code) => ({ code, redirect_uri: REDIRECT, client_id: clientId })],
      [
        "other redirect_uri",
        (code, v) => ({ code, code_verifier: v, redirect_uri: "http://127.0.0.1:1/cb", client_id: clientId }),
      ],
      ["other client", (code, v) => ({ code, code_verifier: v, redirect_uri: REDIRECT, client_id: other })],
    ];
    for (const [name, fields] of cases) {
      const { verifier, challenge } = pkce();
      const code = await codeFor(clientId, challenge);
      const res = await token({ grant_type: "authorization_code", ...fields(code, verifier) });
      assert.equal(res.status, 400, name);
      assert.equal((res.json() as { error: string }).error, "invalid_grant", name);
      // The right request afterwards still fails: the code was spent.
      const retry = await token({
        grant_type: "authorization_code",
        code,
        code_verifier: verifier,
        redirect_uri: REDIRECT,
        client_id: clientId,
      });
      assert.equal(retry.status, 400, `${name}: retry`);
    }
    const { verifier, challenge } = pkce();
    const code = await codeFor(clientId, challenge);
    clock.advance(61_000);
    try {
      const late = await token({
        grant_type: "authorization_code",
        code,
        code_verifier: verifier,
        redirect_uri: REDIRECT,
        client_id: clientId,
      });
      assert.equal(late.status, 400);
      assert.match((late.json() as { error_description: string }).error_description, /expired/);
    } finally {
      clock.advance(-61_000);
    }
  });

  it("registration refuses non-loopback http, fragments, custom schemes, bad grants, non-JSON and oversized bodies", async () => {
    for (const uris of [
      ["http://example.com/callback"],
      ["http://192.168.1.10/callback"],
      ["https://app.example.com/cb#frag"],
      ["myapp://callback"],
      ["javascript:alert(1)"],
      [],
      Array.from({ length: 11 }, (_, i) => `http://127.0.0.1/cb${i}`),
    ]) {
      const res = await register({ redirect_uris: uris });
      assert.equal(res.status, 400, JSON.stringify(uris));
      assert.equal((res.json() as { error: string }).error, "invalid_redirect_uri", JSON.stringify(uris));
    }
    const grant = await register({ redirect_uris: [REDIRECT], grant_types: ["implicit"] });
    assert.equal((grant.json() as { error: string }).error, "invalid_client_metadata");
    const form = await register("redirect_uris=x", { "content-type": "application/x-www-form-urlencoded" });
    assert.equal(form.status, 400);
    const big = await register({ redirect_uris: [REDIRECT], client_name: "x".repeat(20_000) });
    assert.equal(big.status, 400);
    assert.match((big.json() as { error_description: string }).error_description, /larger than 16384 bytes/);
    const ok = await register({
      redirect_uris: ["https://app.example.com/cb", "http://localhost:8080/cb", "http://[::1]:9/cb"],
      token_endpoint_auth_method: "client_secret_basic",
    });
    assert.equal(ok.status, 201, ok.text);
    const info = ok.json() as Record<string, unknown>;
    assert.equal(info.token_endpoint_auth_method, "none");
    assert.equal(info.client_secret, undefined);
  });

  it("another origin's page gets no CORS answer from registration or the token endpoint", async () => {
    for (const path of ["/oauth2/register", "/token"]) {
      const res = await call(`${url}${path}`, {
        method: "OPTIONS",
        headers: {
          origin: "https://evil.example.com",
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type",
        },
      });
      assert.equal(res.headers["access-control-allow-origin"], undefined, path);
    }
    const registered = await register(
      { redirect_uris: [REDIRECT] },
      { "content-type": "application/json", origin: "https://evil.example.com" },
    );
    assert.equal(registered.headers["access-control-allow-origin"], undefined);
  });

  it("a client that did not register refresh_token gets no refresh token", async () => {
    const clientId = await newClient(["authorization_code"]);
    const { verifier, challenge } = pkce();
    const code = await codeFor(clientId, challenge);
    const res = await token({
      grant_type: "authorization_code",
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_id: clientId,
    });
    assert.equal(res.status, 200, res.text);
    assert.equal((res.json() as { refresh_token?: string }).refresh_token, undefined);
  });

  it("refresh_token: another client's, a client without the grant, a widened scope, a foreign resource are refused", async () => {
    const clientId = await newClient();
    const codeOnly = await newClient(["authorization_code"]);
    const fresh = async () => {
      const { verifier, challenge } = pkce();
      const code = await codeFor(clientId, challenge);
      const res = await token({
        grant_type: "authorization_code",
        code,
        code_verifier: verifier,
        redirect_uri: REDIRECT,
        client_id: clientId,
      });
      return (res.json() as { refresh_token: string }).refresh_token;
    };
    const cases: Array<[string, Record<string, string>, string]> = [
      ["another client", { client_id: codeOnly }, "invalid_grant"],
      ["a widened scope", { client_id: clientId, scope: "mcp:read mcp:write" }, "invalid_scope"],
      [
        "a foreign resource",
        { client_id: clientId, resource: "https://other.example.com/mcp" },
        "invalid_target",
      ],
    ];
    for (const [name, fields, error] of cases) {
      const res = await token({ grant_type: "refresh_token", refresh_token: await fresh(), ...fields });
      assert.equal(res.status, 400, name);
      assert.equal((res.json() as { error: string }).error, error, name);
    }
    const noGrant = await token({
      grant_type: "refresh_token",
      refresh_token: await fresh(),
      client_id: codeOnly,
    });
    assert.equal((noGrant.json() as { error: string }).error, "invalid_grant");
  });

  it("client_credentials and the plain /token forms still work", async () => {
    const cc = await token({
      grant_type: "client_credentials",
      client_id: "svc",
      client_secret: "x",
      scope: "mcp:read",
    });
    assert.equal(cc.status, 200, cc.text);
    const plain = await token({ sub: "bob", scope: "mcp:read" });
    assert.equal(plain.status, 200, plain.text);
    assert.equal(decodeJwt((plain.json() as { access_token: string }).access_token).sub, "bob");
    const unknown = await token({ grant_type: "password", username: "u" });
    assert.equal((unknown.json() as { error: string }).error, "unsupported_grant_type");
  });

  it("with a resource configured, /token's default audience includes it (the gateway's ready token too)", async () => {
    const plain = await token({ sub: "bob", scope: "mcp:read" });
    assert.deepEqual(decodeJwt((plain.json() as { access_token: string }).access_token).aud, [
      "gatepass-dev",
      resource,
    ]);
    const ready = t.server.mintToken({ sub: "demo-user" }).access_token;
    assert.deepEqual(decodeJwt(ready).aud, ["gatepass-dev", resource]);
    const given = await token({ sub: "bob", aud: "orders-api" });
    assert.equal(decodeJwt((given.json() as { access_token: string }).access_token).aud, "orders-api");
  });

  it("client_credentials takes RFC 8707 resource as the audience, and refuses one not protected here", async () => {
    const ok = await token({
      grant_type: "client_credentials",
      client_id: "svc",
      client_secret: "x",
      resource,
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(decodeJwt((ok.json() as { access_token: string }).access_token).aud, resource);
    const other = await token({
      grant_type: "client_credentials",
      client_id: "svc",
      client_secret: "x",
      resource: "https://other.example.com/mcp",
    });
    assert.equal(other.status, 400);
    assert.equal((other.json() as { error: string }).error, "invalid_target");
  });

  it("never writes a code, verifier or token into its log lines", async () => {
    const clientId = await newClient();
    const { verifier, challenge } = pkce();
    const code = await codeFor(clientId, challenge);
    const res = await token({
      grant_type: "authorization_code",
      code,
      code_verifier: verifier,
      redirect_uri: REDIRECT,
      client_id: clientId,
    });
    const { access_token, refresh_token } = res.json() as { access_token: string; refresh_token: string };
    const logged = JSON.stringify(t.lines);
    for (const secret of [code, verifier, access_token, refresh_token]) assert.ok(!logged.includes(secret));
  });
});

describe("gatepass dev: the authorization server under /_gatepass/issuer", { timeout: 30_000 }, () => {
  it("RFC 8414 §3.1: the metadata is at /.well-known/oauth-authorization-server/_gatepass/issuer", async () => {
    const t = await startTestServer({ config: { routes: [{ route: "ANY /{proxy+}", allow: true }] } });
    try {
      const issuer = `${t.url}/_gatepass/issuer`;
      assert.equal(t.server.issuer!.url, issuer);
      const res = await call(`${t.url}/.well-known/oauth-authorization-server/_gatepass/issuer`);
      assert.equal(res.status, 200, res.text);
      const doc = res.json() as Record<string, string>;
      assert.equal(doc.issuer, issuer);
      assert.equal(doc.authorization_endpoint, `${issuer}/oauth2/authorize`);
      const registered = await call(doc.registration_endpoint!, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ redirect_uris: [REDIRECT] }),
      });
      assert.equal(registered.status, 201, registered.text);
    } finally {
      await t.close();
    }
  });
});
