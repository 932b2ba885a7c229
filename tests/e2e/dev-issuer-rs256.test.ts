/**
 * e2e: the development issuer's RS256 key — published beside the ES256 one, minted with
 * `alg=RS256`, verified by jose against the served JWKS (an oracle independent of gatepass), and
 * accepted by an HTTP API's native JWT authorizer (RSA only, as on AWS) of the SAM HTTP fixture.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { loadApiDefinitions } from "../../src/dev/definition/load.js";
import { DevIssuer } from "../../src/dev/issuer.js";
import { type DevServer, startDevServer } from "../../src/dev/server.js";
import { call, startTestServer, type TestServer } from "../fixtures/dev/harness.js";

const apis = fileURLToPath(new URL("../fixtures/apis/", import.meta.url));

const postToken = (url: string, fields: Record<string, string>) =>
  call(`${url}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });

describe("gatepass dev: the development issuer signs RS256 too", { timeout: 60_000 }, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it("publishes an ES256 and an RS256 public key with distinct kids, and advertises both", async () => {
    const { keys } = (await call(`${t.url}/.well-known/jwks.json`)).json() as {
      keys: Array<Record<string, unknown>>;
    };
    assert.deepEqual(keys.map((k) => k.alg).sort(), ["ES256", "RS256"]);
    const rsa = keys.find((k) => k.alg === "RS256")!;
    assert.equal(rsa.kty, "RSA");
    assert.equal(rsa.use, "sig");
    assert.equal(Buffer.from(rsa.n as string, "base64url").length * 8, 2048);
    for (const key of keys)
      for (const member of ["d", "p", "q", "dp", "dq", "qi"]) assert.equal(key[member], undefined);
    assert.notEqual(keys[0]!.kid, keys[1]!.kid);
    const doc = (await call(`${t.url}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
    assert.deepEqual(doc.id_token_signing_alg_values_supported, ["ES256", "RS256"]);
  });

  it("POST /token alg=RS256 aud=orders-api: a token jose verifies against the served JWKS", async () => {
    const res = await postToken(t.url, { alg: "RS256", aud: "orders-api", scope: "orders:read" });
    assert.equal(res.status, 200, res.text);
    const token = (res.json() as { access_token: string }).access_token;
    const header = decodeProtectedHeader(token);
    assert.equal(header.alg, "RS256");
    const jwks = (await call(`${t.url}/.well-known/jwks.json`)).json() as Parameters<
      typeof createLocalJWKSet
    >[0];
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: t.url,
      audience: "orders-api",
      algorithms: ["RS256"],
    });
    assert.equal(payload.scope, "orders:read");
    // The default stays ES256.
    const es = await postToken(t.url, { scope: "orders:read" });
    assert.equal(decodeProtectedHeader((es.json() as { access_token: string }).access_token).alg, "ES256");
  });

  it("mintToken({ alg: 'RS256' }) and a preset-shaped RS256 token", async () => {
    const token = t.server.mintToken({ alg: "RS256", sub: "alice" }).access_token;
    assert.equal(decodeProtectedHeader(token).alg, "RS256");
    const jwks = (await call(`${t.url}/.well-known/jwks.json`)).json() as Parameters<
      typeof createLocalJWKSet
    >[0];
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: t.url,
      algorithms: ["RS256"],
    });
    assert.equal(payload.sub, "alice");
  });

  it("gatepass's own authorizer (the default configuration) accepts RS256 dev tokens", async () => {
    const token = t.server.mintToken({ alg: "RS256", scope: "orders:read" }).access_token;
    assert.equal(decodeProtectedHeader(token).alg, "RS256");
    const res = await call(`${t.url}/orders/1`, { headers: { authorization: `Bearer ${token}` } });
    assert.notEqual(res.status, 401, res.text);
    assert.notEqual(res.status, 403, res.text);
  });

  for (const alg of ["HS256", "none", "rs256", "PS256"]) {
    it(`alg=${alg} is refused with 400 naming ES256 and RS256`, async () => {
      const res = await postToken(t.url, { alg });
      assert.equal(res.status, 400, res.text);
      const body = res.json() as { error: string; error_description: string };
      assert.equal(body.error, "invalid_request");
      assert.match(body.error_description, /ES256/);
      assert.match(body.error_description, /RS256/);
      assert.equal(res.text.includes("eyJ"), false);
    });
  }
});

describe("gatepass dev: the RS256 key file", { timeout: 60_000 }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "gatepass-rsa-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is generated once (mode 0600) and reused after a restart", async () => {
    const first = await DevIssuer.open(dir);
    const file = join(dir, "private-rs256.jwk.json");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const again = await DevIssuer.open(dir);
    assert.deepEqual(again.jwks, first.jwks);
    assert.equal(JSON.parse(readFileSync(file, "utf8")).kty, "RSA");
  });

  it("a corrupt RS256 key file is refused clearly, without its content", async () => {
    writeFileSync(join(dir, "private-rs256.jwk.json"), '{"kty":"EC","d":"c2VjcmV0LXZhbHVl"}');
    await assert.rejects(DevIssuer.open(dir), (error: Error) => {
      assert.match(error.message, /RS256 private JWK/);
      assert.equal(error.message.includes("c2VjcmV0"), false);
      return true;
    });
  });
});

describe("gatepass dev --template: the SAM HTTP API's JWT authorizer with the development issuer", {
  timeout: 60_000,
}, () => {
  let server: DevServer;
  let keysDir: string;
  before(async () => {
    keysDir = mkdtempSync(join(tmpdir(), "gatepass-rsa-sam-"));
    const load = (issuerUrl?: string) =>
      loadApiDefinitions({
        template: "sam-http/template.yaml",
        cwd: apis,
        ...(issuerUrl !== undefined ? { parameters: { IssuerUrl: issuerUrl } } : {}),
      })[0]!;
    server = await startDevServer({ port: 0, definition: load(), keysDir, log: () => {}, cwd: apis });
    // The issuer's URL is known once the port is: point the template's IssuerUrl at it.
    await server.setDefinition(load(server.issuer!.url));
  });
  after(async () => {
    await server?.close();
    rmSync(keysDir, { recursive: true, force: true });
  });

  it("an RS256 token from POST /token alg=RS256 aud=orders-api passes GET /orders; an ES256 one is refused as on AWS", async () => {
    const minted = await postToken(server.issuer!.url, {
      alg: "RS256",
      aud: "orders-api",
      scope: "orders:read",
    });
    assert.equal(minted.status, 200, minted.text);
    const rs = (minted.json() as { access_token: string }).access_token;
    const ok = await call(`${server.url}/orders`, { headers: { authorization: `Bearer ${rs}` } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((JSON.parse(ok.text) as { routeKey: string }).routeKey, "GET /orders");
    const es = (
      (await postToken(server.issuer!.url, { aud: "orders-api", scope: "orders:read" })).json() as {
        access_token: string;
      }
    ).access_token;
    assert.equal(decodeProtectedHeader(es).alg, "ES256");
    const refused = await call(`${server.url}/orders`, { headers: { authorization: `Bearer ${es}` } });
    assert.equal(refused.status, 401, refused.text);
  });
});
