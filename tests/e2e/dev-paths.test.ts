/**
 * e2e: request paths an upstream could read differently from the gateway (dot segments, percent-
 * encoded dots and slashes, backslashes, repeated slashes). Whatever the local gateway does with
 * such a path, the path the authorizer decided on is exactly the path the backend receives, and a
 * path the rules deny is never allowed under another spelling.
 *
 * The oracle is WHATWG URL parsing (`new URL(path, base).pathname`), the way a typical upstream
 * (Node, browsers' fetch) routes: a path it would resolve to something else must never reach it.
 */
import assert from "node:assert/strict";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { fixture, startTestServer, type TestServer } from "../fixtures/dev/harness.js";
import * as authorizer from "../fixtures/dev/recording-authorizer.mjs";
import * as lambda from "../fixtures/dev/recording-lambda.mjs";

/** The paths of the field report: each one resolves to `/admin/users` in a WHATWG URL parser. */
const CONFUSING = [
  "/hello/../admin/users",
  "/x/%2e%2e/admin/users",
  "/x\\..\\admin\\users",
  "/./admin/users",
];
/** More spellings of the same trick. */
const MORE_CONFUSING = [
  "/hello/%2E%2E/admin/users",
  "/hello/.%2e/admin/users",
  "/hello%2f..%2fadmin/users",
  "/hello%2F%2E%2E%2Fadmin%2Fusers",
  "/hello%5c..%5cadmin/users",
  "/hello/..;/admin/users",
  "//hello/../admin/users",
  "/admin/./users",
  "/hello/..",
  "/%61dmin/users",
  "/%41dmin/users".toLowerCase(),
  "//admin/users",
  "/hello//..//admin/users",
];

/** What a WHATWG-URL upstream routes on. */
const resolved = (path: string) => new URL(path, "http://upstream.test").pathname;
/** The path part of an execute-api ARN, with its leading `/` (`…/dev/GET/admin/users` → `/admin/users`). */
const arnPath = (arn: string) => `/${arn.split("/").slice(3).join("/")}`;

/** One request with the path sent exactly as given (no client-side normalization). */
function raw(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<{ status: number; text: string }> {
  const { port } = new URL(base);
  return new Promise((done, fail) => {
    const req = httpRequest({ hostname: "127.0.0.1", port, path, method, headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        text += c;
      });
      res.on("end", () => done({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", fail);
    req.setTimeout(10_000, () => req.destroy(new Error("test request timed out")));
    req.end();
  });
}

/** An upstream on 127.0.0.1 that records the request target it receives. */
async function recordingUpstream(): Promise<{ server: Server; url: string; received: string[] }> {
  const received: string[] = [];
  const server = createServer((req, res) => {
    received.push(req.url!);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ served: resolved(req.url!) }));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

async function closeUpstream(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((done) => server.close(done));
}

describe("gatepass dev: path confusion (the embedded rules, a non-admin token, a real upstream)", () => {
  let upstream: Awaited<ReturnType<typeof recordingUpstream>>;
  let t: TestServer;
  let token: string;
  before(async () => {
    upstream = await recordingUpstream();
    t = await startTestServer({ upstream: upstream.url });
    token = t.server.mintToken({ sub: "demo-user", scope: "orders:read" }).access_token;
  });
  after(async () => {
    await t.close();
    await closeUpstream(upstream.server);
  });

  it("control: /admin/users is 403 for a non-admin, /hello is served", async () => {
    const auth = { authorization: `Bearer ${token}` };
    assert.equal((await raw(t.url, "/admin/users", auth)).status, 403);
    assert.equal((await raw(t.url, "/hello", auth)).status, 200);
    assert.deepEqual(upstream.received.splice(0), ["/hello"]);
  });

  for (const path of [...CONFUSING, ...MORE_CONFUSING]) {
    it(`never serves the admin area to a non-admin through ${JSON.stringify(path)}`, async () => {
      upstream.received.length = 0;
      const res = await raw(t.url, path, { authorization: `Bearer ${token}` });
      for (const got of upstream.received)
        assert.ok(!resolved(got).startsWith("/admin"), `the upstream received ${got} (status ${res.status})`);
      if (resolved(path).startsWith("/admin")) assert.notEqual(res.status, 200, res.text);
      assert.ok(res.status < 500, `a clear client error, not ${res.status}`);
    });
  }
});

describe("gatepass dev: the backend receives exactly the path the authorizer decided on", () => {
  let upstream: Awaited<ReturnType<typeof recordingUpstream>>;
  let rest: TestServer;
  let v2: TestServer;
  let restLambda: TestServer;
  let v2Lambda: TestServer;
  before(async () => {
    upstream = await recordingUpstream();
    const common = { authorizer: fixture("recording-authorizer.mjs") };
    rest = await startTestServer({
      ...common,
      upstream: upstream.url,
      dev: { api: "rest-token", resultTtlSeconds: 0 },
    });
    v2 = await startTestServer({
      ...common,
      upstream: upstream.url,
      dev: { api: "http-v1", resultTtlSeconds: 0, identitySources: ["$request.header.Authorization"] },
    });
    restLambda = await startTestServer({
      ...common,
      lambda: fixture("recording-lambda.mjs"),
      dev: {
        api: "rest-request",
        resultTtlSeconds: 0,
        identitySources: ["method.request.header.Authorization"],
      },
    });
    v2Lambda = await startTestServer({
      ...common,
      lambda: fixture("recording-lambda.mjs"),
      dev: { api: "http-v2-iam", resultTtlSeconds: 0, identitySources: ["$request.header.Authorization"] },
    });
  });
  after(async () => {
    await Promise.all([rest.close(), v2.close(), restLambda.close(), v2Lambda.close()]);
    await closeUpstream(upstream.server);
  });

  const paths = [
    ...CONFUSING,
    ...MORE_CONFUSING,
    "/hello",
    "//hello",
    "/orders//42",
    "/%68ello",
    "/orders/a%20b",
    "/orders/a%2fb",
    "/orders/%7euser",
    "/orders/caf%c3%a9",
    "/orders/42/",
    "/orders/100%",
    "/orders/%zz",
  ];

  for (const path of paths) {
    it(`--upstream: ${JSON.stringify(path)}`, async () => {
      for (const server of [rest, v2]) {
        authorizer.events.length = 0;
        upstream.received.length = 0;
        const res = await raw(server.url, path, { authorization: "allow" });
        if (upstream.received.length === 0) {
          // Refused: by the gateway itself (4xx), never an allow that went nowhere.
          assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.text}`);
          continue;
        }
        assert.equal(res.status, 200, res.text);
        assert.equal(upstream.received.length, 1);
        assert.equal(authorizer.events.length, 1);
        const got = upstream.received[0]!;
        const event = authorizer.events[0]!;
        const decided = arnPath(String(event.methodArn ?? event.routeArn));
        assert.equal(got, decided, "the upstream got the path of the ARN the authorizer decided on");
        assert.equal(resolved(got), got, "nothing left for the upstream to resolve differently");
        if (event.rawPath !== undefined) assert.equal(event.rawPath, got);
      }
    });

    it(`--lambda: ${JSON.stringify(path)}`, async () => {
      for (const server of [restLambda, v2Lambda]) {
        authorizer.events.length = 0;
        lambda.events.length = 0;
        const res = await raw(server.url, path, { authorization: "allow" });
        if (lambda.events.length === 0) {
          assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.text}`);
          continue;
        }
        assert.equal(res.status, 201, res.text);
        assert.equal(authorizer.events.length, 1);
        const event = authorizer.events[0]!;
        const proxy = lambda.events[0]! as Record<string, unknown> & {
          requestContext: Record<string, unknown>;
        };
        const decided = arnPath(String(event.methodArn ?? event.routeArn));
        const got = String(proxy.path ?? proxy.rawPath);
        assert.equal(got, decided, "the Lambda got the path of the ARN the authorizer decided on");
        assert.equal(resolved(got), got);
        if (event.path !== undefined)
          assert.equal(event.path, got, "the REQUEST authorizer saw that path too");
      }
    });
  }

  it("refuses a confusing path with a JSON 400, before the authorizer", async () => {
    authorizer.events.length = 0;
    const res = await raw(rest.url, "/hello/../admin/users", { authorization: "allow" });
    assert.equal(res.status, 400);
    assert.equal(typeof (JSON.parse(res.text) as { message: unknown }).message, "string");
    assert.equal(authorizer.events.length, 0);
  });

  it("merges repeated slashes and decodes unreserved characters once, for the ARN and the upstream alike", async () => {
    authorizer.events.length = 0;
    upstream.received.length = 0;
    const res = await raw(rest.url, "//orders//%34%32?x=%2F", { authorization: "allow" });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(upstream.received, ["/orders/42?x=%2F"]);
    assert.match(String(authorizer.events[0]!.methodArn), /\/dev\/GET\/orders\/42$/);
  });
});
