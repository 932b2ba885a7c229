/**
 * e2e (HTTP): the console of `gatepass dev` at /_gatepass/ — its page with a strict CSP, the
 * request stream over server-sent events (one record per request, never a token's signature),
 * refusal of cross-site API calls, the same Host rule as the gateway, console paths never reaching
 * the authorizer or an upstream, a configurable prefix, and --no-console.
 */
import assert from "node:assert/strict";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { bearer, call, fixture, startTestServer, type TestServer } from "../fixtures/dev/harness.js";

/** Reads server-sent `record` events from `url` until `count` arrived. */
function readRecords(
  url: string,
  count: number,
  during: () => Promise<void>,
): Promise<{ raw: string; records: Record<string, unknown>[] }> {
  const target = new URL(url);
  return new Promise((done, fail) => {
    const req = httpRequest(
      {
        hostname: "127.0.0.1",
        port: target.port,
        path: target.pathname,
        agent: false,
        headers: { accept: "text/event-stream" },
      },
      (res) => {
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers["content-type"]), /^text\/event-stream/);
        let raw = "";
        const records: Record<string, unknown>[] = [];
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          raw += chunk;
          const blocks = raw.split("\n\n");
          records.length = 0;
          for (const block of blocks) {
            const data = block.split("\n").find((l) => l.startsWith("data: "));
            if (block.includes("event: record") && data) {
              try {
                records.push(JSON.parse(data.slice(6)) as Record<string, unknown>);
              } catch {
                // an incomplete block: the rest is on its way
              }
            }
          }
          if (records.length >= count) {
            req.destroy();
            done({ raw, records: [...records] });
          }
        });
      },
    );
    req.on("error", (error) => {
      if ((error as NodeJS.ErrnoException).code !== "ECONNRESET") fail(error);
    });
    req.setTimeout(15_000, () => req.destroy(new Error("no records in time")));
    req.end();
    setTimeout(() => void during().catch(fail), 50);
  });
}

describe("gatepass dev console over HTTP", { timeout: 60_000 }, () => {
  let t: TestServer;
  let token: string;
  let base: string;
  before(async () => {
    t = await startTestServer();
    token = t.server.mintToken({ sub: "alice", scope: "orders:read" }).access_token;
    base = `${t.url}/_gatepass/`;
  });
  after(() => t.close());

  it("serves the page with a strict Content-Security-Policy, its script and style from itself, no CORS", async () => {
    assert.equal(t.server.consoleUrl, base);
    const page = await call(base);
    assert.equal(page.status, 200);
    assert.match(String(page.headers["content-type"]), /^text\/html/);
    const csp = String(page.headers["content-security-policy"]);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(page.headers["access-control-allow-origin"], undefined);
    assert.doesNotMatch(page.text, /https?:\/\//, "no external resource");
    const script = await call(`${base}app.js`);
    assert.equal(script.status, 200);
    assert.match(String(script.headers["content-type"]), /^text\/javascript/);
    assert.doesNotMatch(script.text, /https?:\/\/(?!127\.0\.0\.1)[a-z]/i, "no external URL in the script");
    assert.equal((await call(`${t.url}/_gatepass`)).headers.location, "/_gatepass/");
  });

  it("streams one record per request (allow, deny, unauthorized) with its reason, and never a signature", async () => {
    const signature = token.split(".")[2]!;
    const before = (await call(`${base}api/records`)).json() as { records: unknown[] };
    const { raw, records } = await readRecords(`${base}api/events`, before.records.length + 3, async () => {
      assert.equal((await call(`${t.url}/orders/42`, { headers: bearer(token) })).status, 200);
      assert.equal((await call(`${t.url}/admin/users`, { headers: bearer(token) })).status, 403);
      assert.equal((await call(`${t.url}/orders/42`)).status, 401);
    });
    const last = records.slice(-3);
    assert.deepEqual(
      last.map((r) => [r.method, r.path, r.status, r.group]),
      [
        ["GET", "/orders/42", 200, "allow"],
        ["GET", "/admin/users", 403, "deny"],
        ["GET", "/orders/42", 401, "unauthorized"],
      ],
    );
    assert.equal(last[0]!.principal, "alice");
    assert.match(
      String((last[1]!.decision as { why: string }).why),
      /^an explicit Deny matches .*GET\/admin\/users/,
    );
    assert.match(String(last[2]!.reason), /identity source header:authorization is missing/);
    assert.ok(!raw.includes(signature), "the stream carries no signature");
    assert.ok(!raw.includes(token));
    const event = JSON.stringify((last[0]!.authorizer as { event: unknown }).event);
    assert.match(event, /"authorizationToken":"Bearer <JWT: decoded under Token, signature elided>"/);
    const claims = (last[0]!.tokens as Array<{ payload: Record<string, unknown> }>)[0]!.payload;
    assert.equal(claims.sub, "alice");
    // The console's own requests are not recorded, and never reach the authorizer.
    assert.ok(!records.some((r) => String(r.path).startsWith("/_gatepass")));
  });

  it("explains a token, by value or by the record that carried it, without sending it back", async () => {
    const headers = { "content-type": "application/json" };
    const byValue = await call(`${base}api/explain`, {
      method: "POST",
      headers,
      body: JSON.stringify({ token: `Bearer ${token}`, route: "DELETE /admin/users" }),
    });
    assert.equal(byValue.status, 200);
    const report = byValue.json() as { checks: { status: string }[]; route: { status: number } };
    assert.ok(report.checks.every((c) => c.status === "passed"));
    assert.equal(report.route.status, 403);
    assert.ok(!byValue.text.includes(token.split(".")[2]!));
    const { records } = (await call(`${base}api/records`)).json() as {
      records: Array<{ id: number; status: number }>;
    };
    const allowed = records.find((r) => r.status === 200)!;
    const byRecord = await call(`${base}api/explain`, {
      method: "POST",
      headers,
      body: JSON.stringify({ recordId: allowed.id }),
    });
    assert.equal(
      (byRecord.json() as { verification: { principal: string } }).verification.principal,
      "alice",
    );
  });

  it("mints over the development issuer, with a curl line that works as printed", async () => {
    const res = await call(`${base}api/mint`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        sub: "bob",
        scope: "orders:read",
        groups: "admin",
        ttl: "10m",
        path: "/admin/users",
      }),
    });
    assert.equal(res.status, 200);
    const minted = res.json() as {
      access_token: string;
      curl: string;
      token: { payload: Record<string, unknown> };
    };
    assert.equal(minted.token.payload.sub, "bob");
    assert.deepEqual(minted.token.payload.groups, ["admin"]);
    assert.equal(
      minted.curl,
      `curl -i ${t.url}/admin/users -H 'Authorization: Bearer ${minted.access_token}'`,
    );
    assert.equal((await call(`${t.url}/admin/users`, { headers: bearer(minted.access_token) })).status, 200);
  });

  it("mints an RS256 token for an audience (the form's Algorithm and Audience), and refuses other algorithms", async () => {
    const mint = (fields: Record<string, unknown>) =>
      call(`${base}api/mint`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ sub: "bob", scope: "orders:read", path: "/orders/1", ...fields }),
      });
    const res = await mint({ alg: "RS256", aud: "orders-api" });
    assert.equal(res.status, 200, res.text);
    const { access_token } = res.json() as { access_token: string };
    const [header, payload] = access_token
      .split(".")
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, "base64url").toString()) as Record<string, unknown>);
    assert.equal(header!.alg, "RS256");
    assert.equal(payload!.aud, "orders-api");
    const refused = await mint({ alg: "HS256" });
    assert.equal(refused.status, 400);
    assert.match(refused.text, /ES256 or RS256/);
  });

  it("lists the routes, and which of them a principal may call", async () => {
    const listed = (await call(`${base}api/routes`)).json() as {
      routes: Array<{ key: string; rule: string }>;
    };
    assert.deepEqual(
      listed.routes.map((r) => r.key),
      ["GET /hello", "GET /orders/{id}", "ANY /admin/{proxy+}"],
    );
    const res = await call(`${base}api/routes`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token }),
    });
    const { answers } = res.json() as { answers: Array<{ key: string; status: number }> };
    assert.deepEqual(
      answers.map((a) => [a.key, a.status]),
      [
        ["GET /hello", 200],
        ["GET /orders/{id}", 200],
        ["ANY /admin/{proxy+}", 403],
      ],
    );
  });

  it("refuses cross-site calls: another site's page cannot mint or read the stream", async () => {
    const attempts: Record<string, string>[] = [
      { "content-type": "application/json", origin: "http://evil.example" },
      { "content-type": "application/json", "sec-fetch-site": "cross-site" },
      { "content-type": "text/plain" },
    ];
    for (const headers of attempts) {
      const res = await call(`${base}api/mint`, { method: "POST", headers, body: '{"sub":"x"}' });
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.doesNotMatch(res.text, /eyJ/);
    }
    const stream = await call(`${base}api/records`, { headers: { "sec-fetch-site": "cross-site" } });
    assert.equal(stream.status, 403);
  });

  it("answers only loopback host names, as the gateway does", async () => {
    const res = await call(base, { headers: { host: "rebind.attacker.example" } });
    assert.equal(res.status, 421);
    assert.doesNotMatch(res.text, /<html/);
  });
});

describe("gatepass dev console: prefix, --no-console, never forwarded", { timeout: 60_000 }, () => {
  let upstream: Server;
  let hits: string[];
  let upstreamUrl: string;
  before(async () => {
    hits = [];
    upstream = createServer((req, res) => {
      hits.push(req.url ?? "");
      res.end("upstream");
    });
    await new Promise<void>((done) => upstream.listen(0, "127.0.0.1", done));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((done) => upstream.close(() => done())));

  it("console paths never reach the upstream, even with a valid token", async () => {
    const t = await startTestServer({ upstream: upstreamUrl });
    try {
      const token = t.server.mintToken({ sub: "a" }).access_token;
      assert.equal((await call(`${t.url}/_gatepass/api/info`, { headers: bearer(token) })).status, 200);
      assert.equal((await call(`${t.url}/_gatepass/nothing`, { headers: bearer(token) })).status, 404);
      assert.deepEqual(hits, []);
      // /_gatepass/issuer/… is the development issuer's, not the console's.
      assert.equal((await call(`${t.url}/_gatepass/issuer/x`)).status, 401);
      assert.equal((await call(`${t.url}/hello`, { headers: bearer(token) })).status, 200);
      assert.deepEqual(hits, ["/hello"]);
    } finally {
      await t.close();
    }
  });

  it("moves to another prefix, and the old one is an ordinary path again", async () => {
    const t = await startTestServer({ consolePrefix: "/__console/" });
    try {
      assert.equal(t.server.consoleUrl, `${t.url}/__console/`);
      assert.equal((await call(`${t.url}/__console/`)).status, 200);
      assert.equal((await call(`${t.url}/_gatepass/`)).status, 401);
    } finally {
      await t.close();
    }
  });

  it("--no-console: no console, its path goes to the gateway", async () => {
    const t = await startTestServer({ console: false });
    try {
      assert.equal(t.server.consoleUrl, null);
      assert.equal((await call(`${t.url}/_gatepass/`)).status, 401);
    } finally {
      await t.close();
    }
  });

  it("refuses a prefix that is not a path", async () => {
    await assert.rejects(startTestServer({ consolePrefix: "/../x" }), /console prefix/);
  });

  it("with a team's own authorizer and no issuer: the token is decoded, not verified, and nothing is minted", async () => {
    const t = await startTestServer({ authorizer: fixture("recording-authorizer.mjs"), issuer: false });
    try {
      const headers = { "content-type": "application/json" };
      const mint = await call(`${t.url}/_gatepass/api/mint`, { method: "POST", headers, body: "{}" });
      assert.equal(mint.status, 409);
      const explained = await call(`${t.url}/_gatepass/api/explain`, {
        method: "POST",
        headers,
        body: JSON.stringify({ token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln" }),
      });
      const report = explained.json() as {
        checks: { status: string }[];
        token: { payload: { sub: string } };
      };
      assert.equal(report.token.payload.sub, "x");
      assert.ok(report.checks.every((c) => c.status === "skipped"));
    } finally {
      await t.close();
    }
  });
});
