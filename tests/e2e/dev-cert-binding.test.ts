/**
 * e2e: certificate-bound tokens (RFC 8705) with `gatepass dev` over HTTP: the development issuer
 * binds a token to a certificate (`cert`, or its thumbprint `cnf_x5t`), the oracle being `openssl`'s
 * fingerprint and `jose`'s decoding; a plain-HTTP request carries no client certificate, so a bound
 * token is refused with ERR_CERT_BINDING; and the server warns about a configuration that cannot work.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import { decodeJwt } from "jose";
import { call, startTestServer, type TestServer } from "../fixtures/dev/harness.js";
import { makeTestPki, type TestPki } from "../helpers/certs.js";

const OPTS = { timeout: 20_000 };

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

describe("gatepass dev: certificate-bound tokens from the development issuer", () => {
  let t: TestServer;
  let pki: TestPki;

  before(async () => {
    pki = makeTestPki();
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
            certificateBound: "if-present",
          },
        ],
        dev: { api: "rest-request", resultTtlSeconds: 300 },
      },
    });
  });
  after(async () => {
    await t.close();
  });

  const mint = (fields: Record<string, string>) =>
    call(`${t.url}/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ scope: "orders:read", ...fields }),
    });
  const lastReason = () => String(t.requests().at(-1)?.authorizer ?? "").split(":")[0];

  it(
    'POST /token with cert binds the token: cnf["x5t#S256"] is the certificate\'s SHA-256 thumbprint',
    OPTS,
    async () => {
      const res = await mint({ cert: pki.client.pem });
      assert.equal(res.status, 200, res.text);
      const token = (res.json() as { access_token: string }).access_token;
      assert.deepEqual(decodeJwt(token).cnf, { "x5t#S256": pki.client.x5tS256 });
      const viaThumbprint = await mint({ cnf_x5t: pki.other.x5tS256 });
      assert.equal(viaThumbprint.status, 200, viaThumbprint.text);
      const bound = (viaThumbprint.json() as { access_token: string }).access_token;
      assert.deepEqual(decodeJwt(bound).cnf, { "x5t#S256": pki.other.x5tS256 });
    },
  );

  it("a bad cert or cnf_x5t is a 400 invalid_request", OPTS, async () => {
    const cases: Record<string, string>[] = [
      { cert: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" },
      { cert: pki.client.keyPem },
      { cnf_x5t: "too-short" },
      { cert: pki.client.pem, cnf_x5t: pki.client.x5tS256 },
    ];
    for (const fields of cases) {
      const res = await mint(fields);
      assert.equal(res.status, 400, JSON.stringify(Object.keys(fields)));
      assert.equal((res.json() as { error: string }).error, "invalid_request");
    }
  });

  it(
    "over plain HTTP there is no client certificate: a bound token gets 401 ERR_CERT_BINDING, an unbound one passes (if-present)",
    OPTS,
    async () => {
      const bound = ((await mint({ cert: pki.client.pem })).json() as { access_token: string }).access_token;
      const plain = ((await mint({})).json() as { access_token: string }).access_token;
      const get = (token: string) =>
        call(`${t.url}/orders/42`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal((await get(plain)).status, 200);
      assert.equal((await get(bound)).status, 401);
      assert.equal(lastReason(), "ERR_CERT_BINDING");
    },
  );

  it("warns at start that a cached answer would not see the certificate", OPTS, () => {
    const warnings = t.lines.filter((l) => l.event === "cert_binding_config");
    assert.equal(warnings.length, 1);
    assert.match(String(warnings[0]?.detail), /result TTL to 0/);
  });
});
