/**
 * e2e: `gatepass dev --tls --client-ca` emulates the mutual TLS of an API Gateway custom domain,
 * over real TLS on 127.0.0.1 with certificates `openssl` makes at test time:
 * - a connection without a client certificate, or with one another CA issued, gets 403
 *   `{"message":"Forbidden"}` before any authorizer or backend runs (AWS:
 *   knowledge-center/api-gateway-mutual-tls-403-errors);
 * - the development issuer binds a token to the certificate of the token request's own connection
 *   (`bind_cert=1`); that token passes with that certificate (200) and is refused with another one
 *   the truststore accepts (401 ERR_CERT_BINDING), for REST, HTTP API 1.0 and 2.0;
 * - `certificateBound: "required"` refuses an unbound token;
 * - authorizer and backend events carry `clientCert` in AWS's shape (REST/1.0
 *   `requestContext.identity.clientCert`, 2.0 `requestContext.authentication.clientCert`), compared
 *   with what `openssl x509` prints for the certificate.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeJwt } from "jose";
import { startTestServer, type TestServer } from "../fixtures/dev/harness.js";
import { makeTestPki, type TestCertificate, type TestPki } from "../helpers/certs.js";

const OPTS = { timeout: 30_000 };

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

interface TlsResponse {
  readonly status: number;
  readonly text: string;
}

/** One HTTPS request on a fresh connection, trusting `ca`, presenting `client` when given. */
function tlsCall(
  url: string,
  ca: string,
  client: TestCertificate | undefined,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<TlsResponse> {
  return new Promise((done, fail) => {
    const req = httpsRequest(
      url,
      {
        method: options.method ?? "GET",
        headers: options.headers ?? {},
        ca,
        agent: false,
        ...(client ? { cert: client.pem, key: client.keyPem } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("error", fail);
    req.setTimeout(10_000, () => req.destroy(new Error("timeout")));
    req.end(options.body);
  });
}

/** What `openssl x509` says about a certificate, in API Gateway's `clientCert` shape (the oracle). */
function opensslClientCert(pem: string): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), "gatepass-oracle-"));
  try {
    writeFileSync(join(dir, "c.pem"), pem);
    const field = (flag: string) =>
      execFileSync("openssl", ["x509", "-in", "c.pem", "-noout", flag, "-nameopt", "RFC2253"], {
        cwd: dir,
        encoding: "utf8",
      })
        .trim()
        .replace(/^[^=]+=/, "");
    return {
      clientCertPem: pem,
      subjectDN: field("-subject"),
      issuerDN: field("-issuer"),
      // AWS's examples: colon-separated lower-case hex bytes (`a1:a1:…`).
      serialNumber: field("-serial")
        .toLowerCase()
        .replace(/(..)(?!$)/g, "$1:"),
      validity: { notBefore: field("-startdate"), notAfter: field("-enddate") },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let pki: TestPki;
let foreign: TestPki;
let dir: string;
let truststore: string;

before(() => {
  pki = makeTestPki();
  foreign = makeTestPki();
  dir = mkdtempSync(join(tmpdir(), "gatepass-mtls-"));
  truststore = join(dir, "truststore.pem");
  writeFileSync(truststore, pki.ca.pem);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A server trusting the dev issuer at its https URL with `certificateBound`, the backend recording its events. */
async function startMtls(api: string, certificateBound: "if-present" | "required") {
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const events: Record<string, unknown>[] = [];
  const t = await startTestServer({
    port,
    config: {
      issuers: [
        { issuer: url, audience: ["gatepass-dev"], algorithms: ["ES256"], discovery: true, certificateBound },
      ],
      dev: { api, resultTtlSeconds: 0 },
    },
    tls: { clientCaFile: truststore },
    lambda: async (event: unknown) => {
      events.push(event as Record<string, unknown>);
      return { statusCode: 200, body: "ok" };
    },
  });
  const ca = readFileSync(t.server.tls!.serverCaFile!, "utf8");
  return { t, ca, events };
}

for (const api of ["rest-request", "http-v1", "http-v2-simple"] as const) {
  describe(`gatepass dev --tls --client-ca, ${api}: certificate-bound tokens end to end`, () => {
    let t: TestServer;
    let ca: string;
    let events: Record<string, unknown>[];

    before(async () => {
      ({ t, ca, events } = await startMtls(api, "if-present"));
    });
    after(async () => {
      await t.close();
    });

    const mintBound = async (client: TestCertificate) => {
      const res = await tlsCall(`${t.url}/token`, ca, client, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "sub=alice&scope=orders:read&bind_cert=1",
      });
      assert.equal(res.status, 200, res.text);
      return (JSON.parse(res.text) as { access_token: string }).access_token;
    };
    const lastReason = () => String(t.requests().at(-1)?.authorizer ?? "").split(":")[0];

    it("bind_cert=1 binds the token to the certificate of the token request's connection", OPTS, async () => {
      const token = await mintBound(pki.client);
      assert.deepEqual(decodeJwt(token).cnf, { "x5t#S256": pki.client.x5tS256 });
    });

    it(
      "the bound token with its certificate: 200, and the backend event carries clientCert in AWS's shape",
      OPTS,
      async () => {
        const token = await mintBound(pki.client);
        events.length = 0;
        const res = await tlsCall(`${t.url}/orders/42`, ca, pki.client, {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(res.status, 200, res.text);
        assert.equal(events.length, 1);
        const context = events[0]!.requestContext as Record<string, Record<string, unknown>>;
        const holder = api === "http-v2-simple" ? context.authentication : context.identity;
        assert.deepEqual(holder?.clientCert, opensslClientCert(pki.client.pem));
      },
    );

    it(
      "the bound token with another certificate the truststore accepts: 401 ERR_CERT_BINDING",
      OPTS,
      async () => {
        const token = await mintBound(pki.client);
        const res = await tlsCall(`${t.url}/orders/42`, ca, pki.other, {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(res.status, 401, res.text);
        assert.equal(lastReason(), "ERR_CERT_BINDING");
      },
    );

    it(
      "no client certificate, or one another CA issued: 403 Forbidden, neither authorizer nor backend runs",
      OPTS,
      async () => {
        const token = await mintBound(pki.client);
        events.length = 0;
        for (const client of [undefined, foreign.client]) {
          const res = await tlsCall(`${t.url}/orders/42`, ca, client, {
            headers: { authorization: `Bearer ${token}` },
          });
          assert.equal(res.status, 403, res.text);
          assert.deepEqual(JSON.parse(res.text), { message: "Forbidden" });
          const line = t.requests().at(-1)!;
          assert.equal(line.outcome, "refused");
          assert.match(String(line.authorizer), /^mutual TLS: /);
        }
        assert.equal(events.length, 0);
      },
    );

    it(
      "bind_cert=1 without a client certificate the truststore accepts is a 400 invalid_request",
      OPTS,
      async () => {
        for (const client of [undefined, foreign.client]) {
          const res = await tlsCall(`${t.url}/token`, ca, client, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded" },
            body: "bind_cert=1",
          });
          assert.equal(res.status, 400, res.text);
          assert.equal((JSON.parse(res.text) as { error: string }).error, "invalid_request");
        }
      },
    );
  });
}

/** A client certificate the CA of `ca` issues with a subjectAltName of `names` DNS names (to make it large). */
function largeClientCertificate(ca: TestCertificate, names: number): TestCertificate {
  const work = mkdtempSync(join(tmpdir(), "gatepass-large-"));
  try {
    const run = (args: string[]) =>
      execFileSync("openssl", args, { cwd: work, stdio: ["ignore", "pipe", "pipe"] });
    writeFileSync(join(work, "ca.pem"), ca.pem);
    writeFileSync(join(work, "ca.key"), ca.keyPem);
    const san = Array.from({ length: names }, (_, i) => `DNS:host-${i}.large.example.com`).join(",");
    writeFileSync(join(work, "ext"), `extendedKeyUsage=clientAuth\nsubjectAltName=${san}\n`);
    run([
      "req",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "l.key",
      "-out",
      "l.csr",
      "-subj",
      "/CN=large",
    ]);
    run([
      "x509",
      "-req",
      "-in",
      "l.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "l.pem",
      "-days",
      "1",
      "-extfile",
      "ext",
    ]);
    const hex = run(["x509", "-in", "l.pem", "-noout", "-fingerprint", "-sha256"])
      .toString()
      .trim()
      .split("=")[1]!
      .replaceAll(":", "");
    return {
      pem: readFileSync(join(work, "l.pem"), "utf8"),
      keyPem: readFileSync(join(work, "l.key"), "utf8"),
      x5tS256: Buffer.from(hex, "hex").toString("base64url"),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

describe("gatepass dev --tls --client-ca: an oversize client certificate the truststore accepts", () => {
  let t: TestServer;
  let ca: string;
  let events: Record<string, unknown>[];
  before(async () => {
    ({ t, ca, events } = await startMtls("rest-request", "if-present"));
  });
  after(async () => {
    await t.close();
  });

  it(
    "a token bound to it is refused with 401 ERR_CERT_BINDING (over 16 KiB of PEM), no crash, no backend call",
    OPTS,
    async () => {
      const large = largeClientCertificate(pki.ca, 700);
      assert.ok(large.pem.length > 16_384, String(large.pem.length));
      const minted = await tlsCall(`${t.url}/token`, ca, large, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "sub=alice&bind_cert=1",
      });
      assert.equal(minted.status, 200, minted.text);
      const token = (JSON.parse(minted.text) as { access_token: string }).access_token;
      assert.deepEqual(decodeJwt(token).cnf, { "x5t#S256": large.x5tS256 });
      events.length = 0;
      const res = await tlsCall(`${t.url}/orders/42`, ca, large, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(res.status, 401, res.text);
      assert.equal(String(t.requests().at(-1)?.authorizer).split(":")[0], "ERR_CERT_BINDING");
      assert.equal(events.length, 0);
      // The server still answers the next client.
      const next = await tlsCall(`${t.url}/.well-known/jwks.json`, ca, pki.client);
      assert.equal(next.status, 200);
    },
  );
});

describe('gatepass dev --tls --client-ca: certificateBound "required"', () => {
  let t: TestServer;
  let ca: string;
  before(async () => {
    ({ t, ca } = await startMtls("rest-request", "required"));
  });
  after(async () => {
    await t.close();
  });

  it("an unbound token is refused even with a trusted certificate: 401 ERR_CERT_BINDING", OPTS, async () => {
    const minted = await tlsCall(`${t.url}/token`, ca, pki.client, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "sub=alice",
    });
    const token = (JSON.parse(minted.text) as { access_token: string }).access_token;
    const res = await tlsCall(`${t.url}/`, ca, pki.client, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 401, res.text);
    assert.equal(String(t.requests().at(-1)?.authorizer).split(":")[0], "ERR_CERT_BINDING");
  });
});

describe("gatepass dev --tls --client-ca: the authorizer event carries clientCert in AWS's shape", () => {
  for (const api of ["rest-request", "http-v1", "http-v2-simple"] as const) {
    it(`${api}`, OPTS, async () => {
      const seen: Record<string, unknown>[] = [];
      const t = await startTestServer({
        dev: { api, resultTtlSeconds: 0, identitySources: ["$request.header.Authorization"] },
        tls: { clientCaFile: truststore },
        authorizer: async (event: unknown) => {
          seen.push(event as Record<string, unknown>);
          return api === "http-v2-simple"
            ? { isAuthorized: true }
            : {
                principalId: "p",
                policyDocument: {
                  Version: "2012-10-17",
                  Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: "*" }],
                },
              };
        },
      });
      try {
        const ca = readFileSync(t.server.tls!.serverCaFile!, "utf8");
        const res = await tlsCall(`${t.url}/x`, ca, pki.other, { headers: { authorization: "anything" } });
        assert.equal(res.status, 200, res.text);
        const context = seen[0]!.requestContext as Record<string, Record<string, unknown>>;
        const holder = api === "http-v2-simple" ? context.authentication : context.identity;
        assert.deepEqual(holder?.clientCert, opensslClientCert(pki.other.pem));
      } finally {
        await t.close();
      }
    });
  }
});

describe("gatepass dev --tls without --client-ca: HTTPS, no client certificate asked", () => {
  it("REST: the request passes without a certificate and events carry clientCert null", OPTS, async () => {
    const events: Record<string, unknown>[] = [];
    const t = await startTestServer({
      dev: { api: "rest-request", resultTtlSeconds: 0 },
      tls: {},
      lambda: async (event: unknown) => {
        events.push(event as Record<string, unknown>);
        return { statusCode: 200, body: "ok" };
      },
    });
    try {
      assert.equal(t.server.tls?.mutual, false);
      const ca = readFileSync(t.server.tls!.serverCaFile!, "utf8");
      const token = t.server.mintToken({ sub: "alice", scope: "orders:read" }).access_token;
      const res = await tlsCall(`${t.url}/orders/1`, ca, undefined, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(res.status, 200, res.text);
      const identity = (events[0]!.requestContext as Record<string, Record<string, unknown>>).identity;
      assert.equal(identity?.clientCert, null);
    } finally {
      await t.close();
    }
  });

  it("WebSocket: $connect over wss:// is authorized as over ws://", OPTS, async () => {
    const t = await startTestServer({ dev: { api: "websocket" }, tls: {} });
    try {
      const ca = readFileSync(t.server.tls!.serverCaFile!, "utf8");
      const token = t.server.mintToken({ sub: "alice" }).access_token;
      const status = (authorization?: string) =>
        new Promise<number>((done, fail) => {
          const req = httpsRequest(`${t.url}/`, {
            ca,
            agent: false,
            headers: {
              connection: "Upgrade",
              upgrade: "websocket",
              "sec-websocket-version": "13",
              "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
              ...(authorization ? { authorization } : {}),
            },
          });
          req.on("upgrade", (res, socket) => {
            socket.destroy();
            done(res.statusCode ?? 0);
          });
          req.on("response", (res) => {
            res.resume();
            done(res.statusCode ?? 0);
          });
          req.on("error", fail);
          req.end();
        });
      assert.equal(await status(`Bearer ${token}`), 101);
      assert.equal(await status(), 401);
    } finally {
      await t.close();
    }
  });
});
