/**
 * e2e: revocation and introspection with `gatepass dev` over HTTP, all local: the development
 * issuer mints JWTs and opaque tokens (`token_format=opaque`), serves the revocation list
 * (`/revocations.json`), takes revocations (`POST /revoke`) and answers RFC 7662 introspection
 * (`POST /introspect`, client_secret_basic). The gateway's result cache is off (TTL 0) and the
 * lists are fresh for 0.2 s, so a revocation shows within that time.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { call, startTestServer, type TestServer } from "../fixtures/dev/harness.js";

const SECRET_ENV = "GATEPASS_DEV_TEST_INTROSPECTION_SECRET";
const LIST_MAX_AGE_S = 0.2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A port the OS just handed out (the configuration names the server's own URL). */
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

describe("gatepass dev: revocation list and introspection through the development issuer", () => {
  let t: TestServer;
  const basic = `Basic ${Buffer.from("gateway:dev-secret").toString("base64")}`;

  before(async () => {
    process.env[SECRET_ENV] = "dev-secret";
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    t = await startTestServer({
      port,
      config: {
        issuers: [
          {
            issuer: url,
            audience: ["gatepass-dev"],
            algorithms: ["ES256"],
            discovery: true,
            revocation: { url: `${url}/revocations.json`, maxAgeSeconds: LIST_MAX_AGE_S },
            introspection: {
              endpoint: `${url}/introspect`,
              clientId: "gateway",
              clientSecretEnv: SECRET_ENV,
              cacheMaxSeconds: 0,
            },
          },
        ],
        routes: [{ route: "GET /orders/{id}", scopes: ["orders:read"] }],
        dev: { api: "rest-token", resultTtlSeconds: 0 },
      },
    });
    assert.equal(t.url, url);
  });
  after(async () => {
    delete process.env[SECRET_ENV];
    await t.close();
  });

  const mint = async (fields: Record<string, string>) => {
    const res = await call(`${t.url}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ scope: "orders:read", ...fields }).toString(),
    });
    assert.equal(res.status, 200, res.text);
    return (res.json() as { access_token: string }).access_token;
  };
  const get = (token: string) =>
    call(`${t.url}/orders/42`, { headers: { authorization: `Bearer ${token}` } });
  const revoke = async (fields: Record<string, string>) => {
    const res = await call(`${t.url}/revoke`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(fields),
    });
    assert.equal(res.status, 200, res.text);
    return res.json() as { revoked: Record<string, unknown> };
  };
  /** The authorizer's reason code, as the gateway's request line carries it ("CODE: detail"). */
  const lastReason = () => String(t.requests().at(-1)?.authorizer ?? "").split(":")[0];

  it("revoking a JWT's jti: the same token gets 401 ERR_JWT_REVOKED once the list's max age passes", async () => {
    const token = await mint({ sub: "alice" });
    const other = await mint({ sub: "alice" });
    assert.equal((await get(token)).status, 200);
    const jti = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).jti as string;
    assert.deepEqual((await revoke({ jti })).revoked, { jti });
    const list = (await call(`${t.url}/revocations.json`)).json() as { revoked_jti: string[] };
    assert.ok(list.revoked_jti.includes(jti));
    await sleep(LIST_MAX_AGE_S * 1000 + 100);
    const res = await get(token);
    assert.equal(res.status, 401);
    assert.equal(lastReason(), "ERR_JWT_REVOKED");
    // Another token of the same subject is still fine.
    assert.equal((await get(other)).status, 200);
  });

  it("revoking a subject: every token of it issued until now gets 401; one minted afterwards passes", async () => {
    const token = await mint({ sub: "bob" });
    assert.equal((await get(token)).status, 200);
    const { revoked } = await revoke({ sub: "bob" });
    await sleep(
      Math.max(LIST_MAX_AGE_S * 1000 + 100, (revoked.notBefore as number) * 1000 - Date.now() + 50),
    );
    assert.equal((await get(token)).status, 401);
    assert.equal(lastReason(), "ERR_JWT_REVOKED");
    const fresh = await mint({ sub: "bob" });
    assert.equal((await get(fresh)).status, 200);
  });

  it("an opaque token from /token (token_format=opaque) is introspected: 200, then 401 ERR_TOKEN_INACTIVE once revoked", async () => {
    const token = await mint({ sub: "carol", token_format: "opaque" });
    assert.doesNotMatch(token, /\./);
    const ok = await get(token);
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual((await revoke({ token })).revoked, { token: "opaque" });
    assert.equal((await get(token)).status, 401);
    assert.equal(lastReason(), "ERR_TOKEN_INACTIVE");
  });

  it("/introspect (RFC 7662): client authentication required; active with claims, inactive for unknown tokens", async () => {
    const token = await mint({ sub: "dave", token_format: "opaque" });
    const ask = (headers: Record<string, string>, body: string) =>
      call(`${t.url}/introspect`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body,
      });
    const anonymous = await ask({}, `token=${token}`);
    assert.equal(anonymous.status, 401);
    assert.match(String(anonymous.headers["www-authenticate"]), /^Basic /);
    const res = await ask({ authorization: basic }, `token=${token}&token_type_hint=access_token`);
    assert.equal(res.status, 200);
    const answer = res.json() as Record<string, unknown>;
    assert.equal(answer.active, true);
    assert.equal(answer.sub, "dave");
    assert.equal(answer.scope, "orders:read");
    assert.equal(answer.iss, t.url);
    assert.equal(typeof answer.exp, "number");
    const jwt = await mint({ sub: "erin" });
    assert.equal(
      ((await ask({ authorization: basic }, `token=${jwt}`)).json() as { active: boolean }).active,
      true,
    );
    assert.deepEqual((await ask({ authorization: basic }, "token=nope")).json(), { active: false });
    const discovery = (await call(`${t.url}/.well-known/openid-configuration`)).json() as Record<
      string,
      unknown
    >;
    assert.equal(discovery.introspection_endpoint, `${t.url}/introspect`);
  });

  it("no token appears in the server's log lines", async () => {
    const token = await mint({ sub: "frank", token_format: "opaque" });
    await get(token);
    const text = t.lines.map((l) => JSON.stringify(l)).join("\n");
    assert.ok(!text.includes(token));
    assert.ok(!text.includes("dev-secret"));
  });
});
