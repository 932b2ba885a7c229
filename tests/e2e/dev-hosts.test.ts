/**
 * e2e: DNS rebinding. A page on `http://rebind.attacker.example` whose name later resolves to
 * 127.0.0.1 reaches the local gateway with that name as `Host`; the gateway answers only loopback
 * names and the configured ones, and refuses the rest before the issuer, routing or the backend.
 */
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { fixture, startTestServer, type TestServer } from "../fixtures/dev/harness.js";
import * as authorizer from "../fixtures/dev/recording-authorizer.mjs";

interface Answer {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One request with exactly these headers (the `Host` line included, as given). */
function send(
  base: string,
  path: string,
  headers: Record<string, string | string[]>,
  method = "GET",
  body?: string,
): Promise<Answer> {
  const { port } = new URL(base);
  return new Promise((done, fail) => {
    const req = httpRequest(
      { hostname: "127.0.0.1", port, path, method, headers, agent: false, setHost: false },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          text += c;
        });
        res.on("end", () => done({ status: res.statusCode ?? 0, text, headers: res.headers }));
      },
    );
    req.on("error", fail);
    req.setTimeout(10_000, () => req.destroy(new Error("test request timed out")));
    req.end(body);
  });
}

/** Raw bytes on a socket, the whole answer back (for HTTP/1.0 without Host and odd request lines). */
function rawExchange(base: string, text: string): Promise<string> {
  const { port } = new URL(base);
  return new Promise((done, fail) => {
    const socket = connect(Number(port), "127.0.0.1", () => socket.write(text));
    let out = "";
    socket.setEncoding("utf8");
    socket.on("data", (c: string) => {
      out += c;
    });
    socket.on("end", () => done(out));
    socket.on("error", fail);
    socket.setTimeout(10_000, () => socket.destroy(new Error("test exchange timed out")));
  });
}

const FOREIGN = [
  "rebind.attacker.example",
  "rebind.attacker.example:4000",
  "localhost.attacker.example",
  "127.0.0.1.nip.io",
  "127.0.0.1.attacker.example:80",
  "attacker.example:80@localhost",
  "[::1].attacker.example",
  "127.0.0.256",
  "0x7f.0.0.1",
  "2130706433",
  "[::2]",
  "",
];
const LOOPBACK = ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "[::1]", "[0:0:0:0:0:0:0:1]"];

describe("gatepass dev: DNS rebinding (Host check)", () => {
  let t: TestServer;
  let admin: string;
  let port: string;
  before(async () => {
    t = await startTestServer();
    port = new URL(t.url).port;
    admin = t.server.mintToken({
      sub: "root",
      scope: "orders:read",
      claims: { groups: ["admin"] },
    }).access_token;
  });
  after(() => t.close());

  for (const host of FOREIGN) {
    it(`refuses Host ${JSON.stringify(host)} on /token, /.well-known/*, protected and open routes`, async () => {
      const asked = t.requests().length;
      const mint = await send(
        t.url,
        "/token",
        { host, "content-type": "application/x-www-form-urlencoded" },
        "POST",
        'sub=root&claims={"groups":["admin"]}',
      );
      assert.ok(mint.status === 421 || mint.status === 400, `${mint.status} ${mint.text}`);
      assert.doesNotMatch(mint.text, /access_token|eyJ/, "no token minted");
      assert.equal(
        mint.headers["access-control-allow-origin"],
        undefined,
        "nothing for another origin to read",
      );
      for (const path of ["/.well-known/openid-configuration", "/.well-known/jwks.json"]) {
        const res = await send(t.url, path, { host });
        assert.ok(res.status === 421 || res.status === 400, `${path}: ${res.status}`);
        assert.doesNotMatch(res.text, /jwks_uri|"keys"/);
      }
      for (const path of ["/admin/users", "/hello", "/orders/1"]) {
        const res = await send(t.url, path, { host, authorization: `Bearer ${admin}` });
        assert.ok(res.status === 421 || res.status === 400, `${path}: ${res.status} ${res.text}`);
        assert.equal(typeof (JSON.parse(res.text) as { message: unknown }).message, "string");
        assert.doesNotMatch(res.text, /Welcome|admin area/);
      }
      const lines = t.requests().slice(asked);
      assert.ok(lines.length >= 6 && lines.every((l) => l.outcome === "refused"), JSON.stringify(lines));
    });
  }

  it("answers 421 with a JSON message that names the way out", async () => {
    const res = await send(t.url, "/hello", { host: "rebind.attacker.example" });
    assert.equal(res.status, 421);
    assert.match(res.headers["content-type"] as string, /application\/json/);
    assert.match((JSON.parse(res.text) as { message: string }).message, /--allow-host/);
  });

  for (const name of LOOPBACK) {
    for (const host of [name, `${name}:${"PORT"}`]) {
      it(`answers Host ${JSON.stringify(host)}`, async () => {
        const value = host.replace("PORT", port);
        const res = await send(t.url, "/admin/users", { host: value, authorization: `Bearer ${admin}` });
        assert.equal(res.status, 200, res.text);
        const keys = await send(t.url, "/.well-known/jwks.json", { host: value });
        assert.equal(keys.status, 200);
      });
    }
  }

  it("refuses two Host lines with 400", async () => {
    const out = await rawExchange(
      t.url,
      "GET /hello HTTP/1.1\r\nHost: localhost\r\nHost: rebind.attacker.example\r\nConnection: close\r\n\r\n",
    );
    assert.match(out, /^HTTP\/1\.1 400 /);
  });

  it("checks the authority of an absolute-form request target too", async () => {
    const out = await rawExchange(
      t.url,
      `GET http://rebind.attacker.example/.well-known/jwks.json HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
    );
    assert.match(out, /^HTTP\/1\.1 421 /);
    const ok = await rawExchange(
      t.url,
      `GET http://127.0.0.1:${port}/.well-known/jwks.json HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
    );
    assert.match(ok, /^HTTP\/1\.1 200 /);
  });

  it("answers HTTP/1.0 without Host (no browser sends that); HTTP/1.1 without Host is a 400", async () => {
    const old = await rawExchange(t.url, "GET /.well-known/jwks.json HTTP/1.0\r\n\r\n");
    assert.match(old, /^HTTP\/1\.1 200 /);
    const missing = await rawExchange(
      t.url,
      "GET /.well-known/jwks.json HTTP/1.1\r\nConnection: close\r\n\r\n",
    );
    assert.match(missing, /^HTTP\/1\.1 400 /);
  });
});

describe("gatepass dev: configured host names (dev.allowedHosts, --allow-host)", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      authorizer: fixture("recording-authorizer.mjs"),
      config: {
        issuers: [{ issuer: "https://issuer.test", audience: ["x"], secret: "s".repeat(32) }],
        routes: [],
        dev: { allowedHosts: ["Api.Test"], resultTtlSeconds: 0 },
      },
      allowedHosts: ["192.168.1.20"],
    });
  });
  after(() => t.close());

  it("answers the configured names (any port, any case) and the loopback ones, refuses the rest", async () => {
    for (const host of ["api.test", "API.TEST:8443", "192.168.1.20:4000", "localhost"]) {
      authorizer.events.length = 0;
      const res = await send(t.url, "/orders/1", { host, authorization: "allow" });
      assert.notEqual(res.status, 421, host);
      assert.equal(authorizer.events.length, 1, `${host}: the authorizer ran`);
    }
    for (const host of ["x.api.test", "api.test.attacker.example", "192.168.1.21"]) {
      authorizer.events.length = 0;
      const res = await send(t.url, "/orders/1", { host, authorization: "allow" });
      assert.equal(res.status, 421, host);
      assert.equal(authorizer.events.length, 0, `${host}: refused before the authorizer`);
    }
    assert.deepEqual(t.server.dev.allowedHosts, ["api.test", "192.168.1.20"]);
  });

  it("refuses a malformed allowed host name at start, in one sentence", async () => {
    await assert.rejects(
      startTestServer({ allowedHosts: ["http://api.test/"] }),
      /--allow-host.*expected a host name/,
    );
    await assert.rejects(
      startTestServer({ config: { routes: [], dev: { allowedHosts: ["api.test:80"] } } }),
      /dev\.allowedHosts\[0\].*expected a host name/,
    );
  });
});

describe("gatepass dev: the WebSocket handshake checks Host too", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      authorizer: fixture("recording-authorizer.mjs"),
      dev: { api: "websocket", identitySources: ["route.request.header.Authorization"] },
    });
  });
  after(() => t.close());

  it("refuses an upgrade from a foreign Host before the authorizer", async () => {
    authorizer.events.length = 0;
    const out = await rawExchange(
      t.url,
      "GET /chat HTTP/1.1\r\nHost: rebind.attacker.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: allow\r\n\r\n",
    );
    assert.match(out, /^HTTP\/1\.1 421 /);
    assert.equal(authorizer.events.length, 0);
  });
});
