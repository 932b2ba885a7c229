/**
 * `dev/tls.ts`: the development server certificate (issued by a development CA kept in the keys
 * folder, the same across restarts, checked with `openssl verify -purpose sslserver` and its SAN as
 * `openssl` prints it), the client certificate in AWS's `clientCert` shape, and the pinned fetch the
 * authorizer uses to reach this very server.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { clientCertOf, DEV_TLS_FILES, loadDevTls, peerOf, pinnedFetch } from "../../../src/dev/tls.js";
import { makeTestPki } from "../../helpers/certs.js";

const dirs: string[] = [];
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), "gatepass-tls-unit-"));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const openssl = (args: string[], cwd: string) =>
  execFileSync("openssl", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

describe("the development server certificate", () => {
  it("is issued by the development CA for localhost, 127.0.0.1 and ::1 (serverAuth), keys 0600", () => {
    const keys = temp();
    const tls = loadDevTls({}, keys, keys, Date.now());
    assert.equal(tls.serverCaFile, join(keys, DEV_TLS_FILES.ca));
    assert.match(
      openssl(["verify", "-CAfile", DEV_TLS_FILES.ca, "-purpose", "sslserver", DEV_TLS_FILES.server], keys),
      /: OK/,
    );
    const san = openssl(["x509", "-in", DEV_TLS_FILES.server, "-noout", "-ext", "subjectAltName"], keys);
    assert.match(san, /DNS:localhost/);
    assert.match(san, /IP Address:127\.0\.0\.1/);
    assert.match(san, /IP Address:0:0:0:0:0:0:0:1/);
    for (const name of [DEV_TLS_FILES.caKey, DEV_TLS_FILES.serverKey])
      assert.equal(statSync(join(keys, name)).mode & 0o777, 0o600, name);
    assert.equal(tls.mutual, false);
  });

  it("stays the same across restarts, and is made again when its file is damaged", () => {
    const keys = temp();
    const first = loadDevTls({}, keys, keys, Date.now());
    const ca = readFileSync(join(keys, DEV_TLS_FILES.ca), "utf8");
    const second = loadDevTls({}, keys, keys, Date.now());
    assert.ok(second.serverCertificate.raw.equals(first.serverCertificate.raw));
    writeFileSync(join(keys, DEV_TLS_FILES.server), "damaged");
    const third = loadDevTls({}, keys, keys, Date.now());
    assert.ok(!third.serverCertificate.raw.equals(first.serverCertificate.raw));
    assert.equal(
      readFileSync(join(keys, DEV_TLS_FILES.ca), "utf8"),
      ca,
      "the CA stays: curl --cacert keeps working",
    );
    assert.ok(third.serverCertificate.checkIssued(new X509Certificate(ca)));
  });

  it("is made again when it would expire within a day", () => {
    const keys = temp();
    const first = loadDevTls({}, keys, keys, Date.now());
    const later = Date.parse(first.serverCertificate.validTo) - 3600_000;
    const renewed = loadDevTls({}, keys, keys, later);
    assert.ok(!renewed.serverCertificate.raw.equals(first.serverCertificate.raw));
  });
});

describe("clientCertOf: API Gateway's clientCert shape", () => {
  it("names, colon-separated lower-case hex serial, OpenSSL dates, the PEM", () => {
    const pki = makeTestPki();
    const dir = temp();
    writeFileSync(join(dir, "c.pem"), pki.client.pem);
    const shape = clientCertOf(new X509Certificate(pki.client.pem));
    const serial = openssl(["x509", "-in", "c.pem", "-noout", "-serial"], dir).trim().split("=")[1]!;
    assert.equal(shape.serialNumber, serial.toLowerCase().match(/../g)!.join(":"));
    assert.equal(shape.subjectDN, "CN=client");
    assert.equal(shape.issuerDN, "CN=gatepass test CA");
    assert.equal(
      `notBefore=${shape.validity.notBefore}`,
      openssl(["x509", "-in", "c.pem", "-noout", "-startdate"], dir).trim(),
    );
    assert.equal(shape.clientCertPem.replace(/\s+$/, ""), pki.client.pem.replace(/\s+$/, ""));
  });
});

describe("pinnedFetch", () => {
  it("reaches the server presenting the pinned certificate, refuses one presenting another", async () => {
    const keys = temp();
    const tls = loadDevTls({}, keys, keys, Date.now());
    const pki = makeTestPki();
    const start = (cert: string, key: string) =>
      new Promise<{ url: string; close: () => void }>((done) => {
        const server = createHttpsServer({ cert, key }, (_req, res) => res.end('{"ok":true}'));
        server.listen(0, "127.0.0.1", () =>
          done({
            url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
            close: () => {
              server.close();
              server.closeAllConnections();
            },
          }),
        );
      });
    const own = await start(tls.serverOptions.cert, tls.serverOptions.key);
    const impostor = await start(pki.other.pem, pki.other.keyPem);
    try {
      const fallbackCalls: string[] = [];
      const fallback = (async (input: string | URL | Request) => {
        fallbackCalls.push(String(input));
        return new Response("{}");
      }) as typeof fetch;
      const ok = await pinnedFetch(own.url, tls.serverCertificate, fallback)(`${own.url}/x`);
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { ok: true });
      await assert.rejects(
        pinnedFetch(impostor.url, tls.serverCertificate, fallback)(`${impostor.url}/x`),
        /own certificate/,
      );
      await pinnedFetch(own.url, tls.serverCertificate, fallback)("http://127.0.0.1:9/elsewhere");
      assert.deepEqual(fallbackCalls, ["http://127.0.0.1:9/elsewhere"]);
    } finally {
      own.close();
      impostor.close();
    }
  });
});

describe("peerOf", () => {
  it("a TLS connection it did not record is refused, never taken for a plain one; plain HTTP has none", () => {
    assert.equal(peerOf({ encrypted: true })?.kind, "refused");
    assert.equal(peerOf({}), undefined);
    assert.equal(peerOf(null), undefined);
  });
});
