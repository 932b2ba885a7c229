/**
 * e2e: what runs behind the local gateway — a real upstream that records what it received
 * (reverse proxy), local Lambda handlers with AWS's proxy event shape per API type, and the demo.
 */
import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { type AddressInfo, connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { bearer, call, fixture, startTestServer, type TestServer } from "../fixtures/dev/harness.js";
import * as lambda from "../fixtures/dev/recording-lambda.mjs";

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

/** An upstream on 127.0.0.1 that records each request and answers with a few headers. */
async function recordingUpstream(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      received.push({
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body,
      });
      res.setHeader("x-upstream", "yes");
      res.setHeader("set-cookie", ["s=1", "t=2"]);
      res.setHeader("keep-alive", "timeout=5");
      res.writeHead(req.url === "/teapot" ? 418 : 200, { "content-type": "application/octet-stream" });
      res.end(body);
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

describe("gatepass dev --upstream", () => {
  let upstream: Awaited<ReturnType<typeof recordingUpstream>>;
  let t: TestServer;
  let v2: TestServer;
  before(async () => {
    upstream = await recordingUpstream();
    t = await startTestServer({
      authorizer: fixture("recording-authorizer.mjs"),
      upstream: upstream.url,
      dev: { api: "rest-token", resultTtlSeconds: 0 },
    });
    v2 = await startTestServer({
      authorizer: fixture("recording-authorizer.mjs"),
      upstream: `${upstream.url}/base`,
      dev: { api: "http-v2-simple", resultTtlSeconds: 0 },
    });
  });
  after(async () => {
    await t.close();
    await v2.close();
    upstream.server.closeAllConnections();
    await new Promise((done) => upstream.server.close(done));
  });

  it("forwards method, path, query, body and the caller as x-gatepass-* headers; drops hop-by-hop and spoofed headers", async () => {
    const body = Buffer.from(JSON.stringify({ item: "book", qty: 2 }));
    const res = await call(`${t.url}/orders/42?x=1&x=2&y=%20z`, {
      method: "POST",
      headers: {
        ...bearer("allow"),
        "content-type": "application/json",
        "x-gatepass-principal": "spoofed",
        "x-gatepass-admin": "true",
        connection: "close, x-drop-me",
        "x-drop-me": "1",
        te: "trailers",
        "x-keep-me": "2",
      },
      body,
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, body, "the response body streamed back");
    assert.equal(res.headers["x-upstream"], "yes");
    assert.deepEqual(res.headers["set-cookie"], ["s=1", "t=2"]);
    assert.equal(res.headers["keep-alive"], undefined, "hop-by-hop response header dropped");
    const got = upstream.received.at(-1)!;
    assert.equal(got.method, "POST");
    assert.equal(got.url, "/orders/42?x=1&x=2&y=%20z");
    assert.deepEqual(got.body, body);
    assert.equal(got.headers["x-gatepass-principal"], "user-1");
    assert.equal(got.headers["x-gatepass-sub"], "user-1");
    assert.equal(got.headers["x-gatepass-level"], "7");
    assert.equal(got.headers["x-gatepass-admin"], "false", "the client's x-gatepass-admin was replaced");
    assert.equal(got.rawHeaders.filter((h) => h.toLowerCase() === "x-gatepass-principal").length, 1);
    assert.equal(got.headers["x-drop-me"], undefined);
    assert.equal(got.headers.te, undefined);
    assert.equal(got.headers["x-keep-me"], "2");
    assert.equal(got.headers.authorization, "Bearer allow", "API Gateway forwards the Authorization header");
    assert.equal(got.headers.host, new URL(upstream.url).host);
    assert.equal(got.headers["x-forwarded-for"], "127.0.0.1");
  });

  it("appends to the client's x-forwarded-for, replaces its x-forwarded-proto and -host, keeps repeated headers", async () => {
    const res = await call(`${t.url}/orders/5`, {
      headers: {
        ...bearer("allow"),
        "x-forwarded-for": "10.0.0.1",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "evil.example",
        "x-repeated": ["one", "two"],
      },
    });
    assert.equal(res.status, 200);
    const got = upstream.received.at(-1)!;
    assert.equal(got.headers["x-forwarded-for"], "10.0.0.1, 127.0.0.1");
    assert.equal(got.headers["x-forwarded-proto"], "http");
    assert.equal(got.headers["x-forwarded-host"], new URL(t.url).host);
    const names = got.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    for (const name of ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "host"])
      assert.equal(names.filter((n) => n === name).length, 1, `one ${name} line`);
    const repeated = got.rawHeaders.flatMap((v, i) => (got.rawHeaders[i - 1] === "x-repeated" ? [v] : []));
    assert.deepEqual(repeated, ["one", "two"], "both lines, in order");
  });

  it("sends one x-gatepass-* header per name when two context keys give the same name", async () => {
    const colliding = await startTestServer({
      authorizer: async (event: unknown) => ({
        principalId: "user-1",
        policyDocument: {
          Version: "2012-10-17",
          Statement: [
            {
              Action: "execute-api:Invoke",
              Effect: "Allow",
              Resource: `${(event as { methodArn: string }).methodArn.split("/")[0]}/*`,
            },
          ],
        },
        context: { team_name: "first", "team-name": "second", principalId: "not-a-principal" },
      }),
      upstream: upstream.url,
      dev: { api: "rest-token", resultTtlSeconds: 0 },
    });
    try {
      assert.equal((await call(`${colliding.url}/x`, { headers: bearer("any") })).status, 200);
      const got = upstream.received.at(-1)!;
      const lines = (name: string) =>
        got.rawHeaders.filter((n, i) => i % 2 === 0 && n.toLowerCase() === name);
      assert.equal(lines("x-gatepass-team-name").length, 1);
      assert.equal(got.headers["x-gatepass-team-name"], "second", "the later key wins");
      assert.equal(lines("x-gatepass-principal").length, 1);
      assert.equal(got.headers["x-gatepass-principal"], "user-1");
    } finally {
      await colliding.close();
    }
  });

  it("names the header of a claim pointer's context key without its leading slash", async () => {
    const pointer = await startTestServer({
      authorizer: async (event: unknown) => ({
        principalId: "user-1",
        policyDocument: {
          Version: "2012-10-17",
          Statement: [
            {
              Action: "execute-api:Invoke",
              Effect: "Allow",
              Resource: `${(event as { methodArn: string }).methodArn.split("/")[0]}/*`,
            },
          ],
        },
        context: { "/realm_access/roles": '["admin"]', "-": "dash" },
      }),
      upstream: upstream.url,
      dev: { api: "rest-token", resultTtlSeconds: 0 },
    });
    try {
      assert.equal((await call(`${pointer.url}/x`, { headers: bearer("any") })).status, 200);
      const got = upstream.received.at(-1)!;
      assert.equal(got.headers["x-gatepass-realm-access-roles"], '["admin"]');
      assert.equal(got.headers["x-gatepass--"], "dash", "a key of dashes only keeps one");
    } finally {
      await pointer.close();
    }
  });

  it("streams a large body both ways and keeps the upstream status", async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 7);
    const res = await call(`${t.url}/teapot`, { method: "PUT", headers: bearer("allow"), body: big });
    assert.equal(res.status, 418);
    assert.equal(res.body.length, big.length);
    assert.ok(res.body.equals(big));
  });

  it("does not call the upstream when the gateway refuses", async () => {
    const count = upstream.received.length;
    assert.equal((await call(`${t.url}/orders/1`, { headers: bearer("deny") })).status, 403);
    assert.equal((await call(`${t.url}/orders/1`)).status, 401);
    assert.equal(upstream.received.length, count);
  });

  it("HTTP API 2.0: context types kept as JSON in headers; the upstream base path is prefixed", async () => {
    const res = await call(`${v2.url}/orders/7`, { headers: bearer("simple-yes") });
    assert.equal(res.status, 200);
    const got = upstream.received.at(-1)!;
    assert.equal(got.url, "/base/orders/7");
    assert.equal(got.headers["x-gatepass-principal"], undefined, "simple responses have no principal");
    assert.equal(got.headers["x-gatepass-groups"], '["a","b"]');
    assert.equal(got.headers["x-gatepass-profile"], '{"team":"core"}');
    assert.equal(got.headers["x-gatepass-level"], "7");
  });

  it("answers 502 when the upstream is down", async () => {
    const down = await startTestServer({
      authorizer: fixture("recording-authorizer.mjs"),
      upstream: "http://127.0.0.1:9",
      dev: { resultTtlSeconds: 0 },
    });
    try {
      const res = await call(`${down.url}/x`, { headers: bearer("allow") });
      assert.equal(res.status, 502);
      assert.deepEqual(res.json(), { message: "Bad Gateway" });
      assert.ok(down.lines.some((l) => l.event === "upstream_error"));
    } finally {
      await down.close();
    }
  });
});

describe("gatepass dev --upstream, websocket: the allowed upgrade is tunnelled", () => {
  it("relays the upstream's 101 and the bytes both ways, with the caller headers", async () => {
    let seen: IncomingHttpHeaders | undefined;
    const upstream = createServer((_req, res) => res.end("plain"));
    upstream.on("upgrade", (req, socket) => {
      seen = req.headers;
      socket.write("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n");
      socket.on("data", (chunk: Buffer) => socket.write(Buffer.concat([Buffer.from("echo:"), chunk])));
      socket.on("end", () => socket.destroy()); // the gateway closed the tunnel
    });
    await new Promise<void>((done) => upstream.listen(0, "127.0.0.1", done));
    const t = await startTestServer({
      authorizer: fixture("recording-authorizer.mjs"),
      upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      dev: { api: "websocket" },
    });
    try {
      const reply = await new Promise<string>((done, fail) => {
        const socket = connect(t.server.port, "127.0.0.1");
        let data = "";
        socket.on("data", (c: Buffer) => {
          data += c.toString();
          if (data.includes("\r\n\r\n") && !data.includes("echo:")) socket.write("ping");
          if (data.includes("echo:ping")) {
            socket.destroy();
            done(data);
          }
        });
        socket.on("error", fail);
        socket.write(
          "GET /chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nAuthorization: Bearer allow\r\n\r\n",
        );
      });
      assert.match(reply, /^HTTP\/1\.1 101 /);
      assert.equal(seen?.["x-gatepass-principal"], "user-1");
      assert.equal(seen?.upgrade, "websocket");
    } finally {
      await t.close();
      upstream.closeAllConnections();
      await new Promise((done) => upstream.close(done));
    }
  });
});

describe("gatepass dev --lambda: the proxy event per API type", () => {
  const servers: TestServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));
  const start = async (api: string, handler = "recording-lambda.mjs") => {
    const t = await startTestServer({
      authorizer: fixture("recording-authorizer.mjs"),
      lambda: fixture(handler),
      config: {
        routes: [
          { route: "GET /orders/{id}", allow: true },
          { route: "POST /orders/{id}", allow: true },
        ],
        dev: { api, resultTtlSeconds: 0 },
      },
    });
    servers.push(t);
    return t;
  };
  // biome-ignore lint/suspicious/noExplicitAny: events are deep JSON documents the assertions walk
  const last = () => lambda.events.at(-1) as Record<string, any>;

  for (const api of ["rest-token", "rest-request"]) {
    it(`${api}: APIGatewayProxyEvent, requestContext.authorizer = principalId + stringified context`, async () => {
      const t = await start(api);
      const res = await call(`${t.url}/orders/42?a=1`, {
        method: "POST",
        headers: { ...bearer("allow"), "content-type": "text/plain" },
        body: "hello",
      });
      assert.equal(res.status, 201);
      assert.deepEqual(res.json(), { received: "hello" });
      assert.equal(res.headers["x-backend"], "recording-lambda");
      assert.deepEqual(res.headers["set-cookie"], ["a=1", "b=2"]);
      const e = last();
      assert.equal(e.version, undefined);
      assert.equal(e.httpMethod, "POST");
      assert.equal(e.path, "/orders/42");
      assert.equal(e.resource, "/orders/{id}");
      assert.deepEqual(e.pathParameters, { id: "42" });
      assert.deepEqual(e.queryStringParameters, { a: "1" });
      assert.equal(e.body, "hello");
      assert.equal(e.isBase64Encoded, false);
      const { integrationLatency, ...authorizer } = e.requestContext.authorizer;
      assert.equal(typeof integrationLatency, "number");
      assert.deepEqual(authorizer, { principalId: "user-1", sub: "user-1", level: "7", admin: "false" });
      assert.equal(e.requestContext.stage, "dev");
      assert.equal(e.requestContext.path, "/dev/orders/42");
    });
  }

  it("http-v1: version 1.0, authorizer as REST", async () => {
    const t = await start("http-v1");
    assert.equal((await call(`${t.url}/orders/1`, { headers: bearer("allow") })).status, 201);
    const e = last();
    assert.equal(e.version, "1.0");
    assert.equal(e.requestContext.authorizer.principalId, "user-1");
    assert.equal(e.requestContext.authorizer.level, "7");
  });

  it("http-v2-simple: APIGatewayProxyEventV2, requestContext.authorizer.lambda = the context with types kept", async () => {
    const t = await start("http-v2-simple");
    const res = await call(`${t.url}/orders/1`, { headers: { ...bearer("simple-yes"), cookie: "c=1" } });
    assert.equal(res.status, 201);
    const e = last();
    assert.equal(e.version, "2.0");
    assert.equal(e.routeKey, "GET /orders/{id}");
    assert.equal(e.rawPath, "/orders/1");
    assert.deepEqual(e.cookies, ["c=1"]);
    assert.deepEqual(e.requestContext.authorizer, {
      lambda: { sub: "user-1", level: 7, admin: false, groups: ["a", "b"], profile: { team: "core" } },
    });
    assert.equal(e.requestContext.http.method, "GET");
    assert.equal(e.isBase64Encoded, false);
    assert.equal(e.body, undefined);
  });

  it("http-v2-iam: requestContext.authorizer.lambda as well", async () => {
    const t = await start("http-v2-iam");
    assert.equal((await call(`${t.url}/orders/1`, { headers: bearer("allow") })).status, 201);
    assert.equal(last().requestContext.authorizer.lambda.level, 7);
  });

  it("websocket: the $connect event with the REST-style authorizer", async () => {
    const t = await start("websocket");
    assert.equal((await call(`${t.url}/`, { headers: bearer("allow") })).status, 201);
    const e = last();
    assert.equal(e.requestContext.routeKey, "$connect");
    assert.equal(e.requestContext.eventType, "CONNECT");
    assert.equal(e.requestContext.authorizer.principalId, "user-1");
    assert.equal(e.requestContext.authorizer.admin, "false");
  });

  it("HTTP APIs pass a binary body base64-encoded; a base64 result is decoded", async () => {
    const t = await start("http-v2-simple");
    const bytes = Buffer.from([0, 1, 2, 200, 255]);
    await call(`${t.url}/orders/1`, {
      method: "POST",
      headers: { ...bearer("simple-yes"), "content-type": "application/octet-stream" },
      body: bytes,
    });
    assert.equal(last().isBase64Encoded, true);
    assert.deepEqual(Buffer.from(last().body, "base64"), bytes);
    const b = await start("rest-token", "recording-lambda.mjs#binary");
    const res = await call(`${b.url}/x`, { headers: bearer("allow") });
    assert.deepEqual(res.body, Buffer.from([0, 1, 2, 253, 254, 255]));
  });

  it("maps failures: REST 502 for a throwing or malformed handler, HTTP API 500; 2.0 accepts a bare object", async () => {
    const rest = await start("rest-token", "recording-lambda.mjs#throws");
    const r1 = await call(`${rest.url}/x`, { headers: bearer("allow") });
    assert.equal(r1.status, 502);
    assert.deepEqual(r1.json(), { message: "Internal server error" });
    const malformed = await start("rest-token", "recording-lambda.mjs#malformed");
    assert.equal((await call(`${malformed.url}/x`, { headers: bearer("allow") })).status, 502);
    assert.ok(malformed.lines.some((l) => l.event === "lambda_malformed_response"));
    const http = await start("http-v2-simple", "recording-lambda.mjs#throws");
    assert.equal((await call(`${http.url}/x`, { headers: bearer("simple-yes") })).status, 500);
    const bare = await start("http-v2-simple", "recording-lambda.mjs#bare");
    const r2 = await call(`${bare.url}/x`, { headers: bearer("simple-yes") });
    assert.equal(r2.status, 200);
    assert.deepEqual(r2.json(), { hello: "world" });
  });

  it("refuses a handler file without the export, in one sentence", async () => {
    await assert.rejects(
      startTestServer({ lambda: `${fixture("recording-lambda.mjs")}#nope` }),
      /has no function export "nope"/,
    );
  });
});

describe("gatepass dev: the demo backend", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  it("greets the principal the authorizer let through", async () => {
    const { access_token } = t.server.mintToken({ sub: "demo-user", scope: "orders:read" });
    const res = await call(`${t.url}/hello`, { headers: bearer(access_token) });
    assert.equal(res.status, 200, res.text);
    const body = res.json() as {
      message: string;
      caller: { principalId: string; claims: Record<string, unknown> };
    };
    assert.match(body.message, /demo-user/);
    assert.equal(body.caller.principalId, "demo-user");
    assert.equal(body.caller.claims.scope, "orders:read");
    assert.ok(res.headers["x-amzn-requestid"]);
    assert.equal(res.headers["access-control-allow-origin"], "*");
  });

  it("honours methods: 405 with Allow for a method its paths do not serve, as a real backend", async () => {
    const reader = bearer(t.server.mintToken({ sub: "demo-user", scope: "orders:read" }).access_token);
    const admin = bearer(
      t.server.mintToken({ sub: "root", scope: "orders:read", claims: { groups: ["admin"] } }).access_token,
    );
    // Only `GET /orders/{id}` has a rule: POST falls to the unmatched routes (allowed), and the API does not serve it.
    for (const [method, path, headers] of [
      ["POST", "/orders/1", reader],
      ["DELETE", "/orders/1", reader],
      ["PUT", "/hello", reader],
      ["PATCH", "/admin/users", admin],
      ["POST", "/admin/users", admin],
    ] as const) {
      const res = await call(`${t.url}${path}`, {
        method,
        headers,
        body: method === "DELETE" ? undefined : "{}",
      });
      assert.equal(res.status, 405, `${method} ${path}: ${res.text}`);
      assert.equal(res.headers.allow, "GET, HEAD, OPTIONS", `${method} ${path}`);
      const body = res.json() as { message: string; request: { method: string; path: string } };
      assert.match(body.message, /Method Not Allowed/);
      assert.deepEqual(body.request, { method, path });
      assert.doesNotMatch(res.text, /shipped|Welcome/, "nothing served");
    }
    const get = await call(`${t.url}/orders/1`, { headers: reader });
    assert.equal(get.status, 200);
    const head = await call(`${t.url}/orders/1`, { method: "HEAD", headers: reader });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal((await call(`${t.url}/admin/users`, { headers: admin })).status, 200);
  });

  it("answers OPTIONS with 204 and Allow when the gateway has no CORS preflight", async () => {
    const plain = await startTestServer({ dev: { cors: null } });
    try {
      const reader = bearer(plain.server.mintToken({ sub: "demo-user", scope: "orders:read" }).access_token);
      const res = await call(`${plain.url}/orders/1`, { method: "OPTIONS", headers: reader });
      assert.equal(res.status, 204, res.text);
      assert.equal(res.headers.allow, "GET, HEAD, OPTIONS");
      assert.equal(res.body.length, 0);
    } finally {
      await plain.close();
    }
  });
});
