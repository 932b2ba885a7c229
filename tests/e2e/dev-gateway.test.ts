/**
 * e2e: the local gateway's API Gateway semantics over real HTTP — identity sources, every
 * authorizer outcome and its status/body/headers, the authorizer events per API type, CORS, the
 * WebSocket `$connect` handshake, and the request log line.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Verdict } from "../../src/dev/gateway.js";
import { Invoker, type LambdaHandler } from "../../src/dev/invoke.js";
import type { DevRequest } from "../../src/dev/request.js";
import { requestLine } from "../../src/dev/request-line.js";
import { bearer, call, fixture, startTestServer, type TestServer } from "../fixtures/dev/harness.js";
import * as recording from "../fixtures/dev/recording-authorizer.mjs";

const ARN_PREFIX = /^arn:aws:execute-api:us-east-1:\d{12}:[a-z0-9]{10}\//;

// biome-ignore lint/suspicious/noExplicitAny: events are deep JSON documents the assertions walk
type Json = any;
const lastEvent = () => recording.events[recording.events.length - 1] as Record<string, Json>;

describe("gatepass dev: REST TOKEN outcomes", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      authorizer: fixture("recording-authorizer.mjs"),
      dev: { api: "rest-token", resultTtlSeconds: 0 },
    });
  });
  after(() => t.close());

  it("sends a TOKEN event with only type, authorizationToken and a real-looking methodArn", async () => {
    const res = await call(`${t.url}/orders/42?x=1`, { headers: bearer("allow") });
    assert.equal(res.status, 200);
    const event = lastEvent();
    assert.deepEqual(Object.keys(event).sort(), ["authorizationToken", "methodArn", "type"]);
    assert.equal(event.type, "TOKEN");
    assert.equal(event.authorizationToken, "Bearer allow", "the raw header value, Bearer prefix kept");
    assert.match(event.methodArn, ARN_PREFIX);
    assert.match(event.methodArn, /\/dev\/GET\/orders\/42$/);
    const [, , , region, account, rest] = event.methodArn.split(":");
    assert.equal(region, "us-east-1");
    assert.match(account, /^\d{12}$/);
    assert.match(rest.split("/")[0], /^[a-z0-9]{10}$/);
  });

  it("ends the root path's ARN with GET/", async () => {
    await call(`${t.url}/`, { headers: bearer("allow") });
    assert.match(lastEvent().methodArn, /\/dev\/GET\/$/);
  });

  it("answers 401 without invoking the authorizer when the identity source is missing or empty", async () => {
    const before = recording.events.length;
    for (const headers of [{}, { authorization: "" }] as Array<Record<string, string>>) {
      const res = await call(`${t.url}/orders/42`, { headers });
      assert.equal(res.status, 401);
      assert.deepEqual(res.json(), { message: "Unauthorized" });
      assert.equal(res.headers["x-amzn-errortype"], "UnauthorizedException");
    }
    assert.equal(recording.events.length, before, "the authorizer was not called");
    const line = t.requests().at(-1)!;
    assert.equal(line.outcome, "unauthorized");
    assert.match(
      String(line.reason),
      /identity source header:authorization is missing or empty; authorizer not invoked/,
    );
  });

  it('answers 401 {"message":"Unauthorized"} for Error("Unauthorized")', async () => {
    const res = await call(`${t.url}/orders/42`, { headers: bearer("unauthorized") });
    assert.equal(res.status, 401);
    assert.deepEqual(res.json(), { message: "Unauthorized" });
  });

  it("answers 403 with the explicit-deny message for a matching Deny", async () => {
    const res = await call(`${t.url}/orders/42`, { headers: bearer("deny") });
    assert.equal(res.status, 403);
    assert.deepEqual(res.json(), {
      Message: "User is not authorized to access this resource with an explicit deny",
    });
    assert.equal(res.headers["x-amzn-errortype"], "AccessDeniedException");
    assert.ok(res.rawHeaders.includes("x-amzn-ErrorType"), "header name spelled as AWS does");
  });

  it("answers 403 without 'explicit deny' when no Allow matches", async () => {
    const res = await call(`${t.url}/orders/42`, { headers: bearer("other-api") });
    assert.equal(res.status, 403);
    assert.deepEqual(res.json(), { Message: "User is not authorized to access this resource" });
    assert.equal(res.headers["x-amzn-errortype"], "AccessDeniedException");
  });

  it("evaluates Deny over Allow per request path (IAM wildcards, explicit Deny wins)", async () => {
    assert.equal((await call(`${t.url}/orders/42`, { headers: bearer("no-admin") })).status, 200);
    assert.equal((await call(`${t.url}/admin/users/7`, { headers: bearer("no-admin") })).status, 403);
    assert.equal((await call(`${t.url}/admin`, { headers: bearer("no-admin") })).status, 403);
  });

  it("writes one request line per call, and never the token", async () => {
    const secret = "allow-but-this-is-a-secret-token";
    const before = t.requests().length;
    await call(`${t.url}/orders/9?token=${secret}`, { headers: bearer(secret) });
    const lines = t.requests().slice(before);
    assert.equal(lines.length, 1);
    const line = lines[0]!;
    assert.equal(line.method, "GET");
    assert.equal(line.path, "/orders/9");
    assert.equal(line.status, 200);
    assert.equal(line.outcome, "allow");
    assert.equal(line.cache, "off");
    assert.equal(typeof line.durationMs, "number");
    assert.ok(!JSON.stringify(t.lines).includes(secret), "no token in any log line");
  });
});

describe("gatepass dev: authorizer failures → 500 AuthorizerConfigurationException", () => {
  const servers: TestServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));
  const start = async (authorizer: string, dev: Record<string, unknown> = {}, timeoutMs?: number) => {
    const t = await startTestServer({
      authorizer: fixture(authorizer),
      dev: { api: "rest-token", resultTtlSeconds: 0, ...dev },
      ...(timeoutMs ? { authorizerTimeoutMs: timeoutMs } : {}),
    });
    servers.push(t);
    return t;
  };
  const assert500 = (res: Awaited<ReturnType<typeof call>>) => {
    assert.equal(res.status, 500);
    assert.equal(res.text, '{"message":null}');
    assert.equal(res.headers["x-amzn-errortype"], "AuthorizerConfigurationException");
  };

  it("any other thrown error is a 500, logged with its message; exactly Unauthorized is a 401", async () => {
    const t = await start("throwing-authorizer.mjs");
    assert500(await call(`${t.url}/x`, { headers: bearer("anything") }));
    const log = t.lines.find((l) => l.event === "authorizer_error");
    assert.ok(log);
    assert.match(String(log.detail), /user database down/);
    assert.equal((await call(`${t.url}/x`, { headers: { authorization: "Bearer expired" } })).status, 401);
  });

  it('"Unauthorized: token expired" is not the exact message: 500', async () => {
    const t = await start("throwing-authorizer.mjs#prefixed");
    assert500(await call(`${t.url}/x`, { headers: bearer("x") }));
  });

  it('callback("Unauthorized") is a 401', async () => {
    const t = await start("throwing-authorizer.mjs#callbackStyle");
    assert.equal((await call(`${t.url}/x`, { headers: bearer("x") })).status, 401);
  });

  it("a timeout is a 500, logged", async () => {
    const t = await start("throwing-authorizer.mjs#slow", {}, 150);
    const started = Date.now();
    assert500(await call(`${t.url}/x`, { headers: bearer("x") }));
    assert.ok(Date.now() - started < 3000);
    assert.match(String(t.lines.find((l) => l.event === "authorizer_timeout")?.detail), /150 ms/);
  });

  const invalid: Array<[string, RegExp, string?]> = [
    ["noPrincipal", /principalId/],
    ["statementNotArray", /Statement/],
    ["badEffect", /Effect/],
    ["nestedContext", /context/],
    ["statusCodeResponse", /policyDocument|principalId/],
    ["simpleNotBoolean", /isAuthorized/, "http-v2-simple"],
  ];
  for (const [name, reason, api] of invalid) {
    it(`an invalid response (${name}) is a 500 with a log line saying what is invalid`, async () => {
      const t = await start(
        `invalid-authorizer.mjs#${name}`,
        api ? { api, identitySources: ["header:authorization"] } : {},
      );
      assert500(await call(`${t.url}/orders/1`, { headers: bearer("x") }));
      const log = t.lines.find((l) => l.event === "authorizer_invalid_response");
      assert.ok(log, "logged");
      assert.match(String(log.detail), reason);
    });
  }

  it("a nested context is fine for HTTP API 2.0 with IAM policies", async () => {
    const t = await start("invalid-authorizer.mjs#nestedContext", { api: "http-v2-iam" });
    assert.equal((await call(`${t.url}/orders/1`, { headers: bearer("x") })).status, 200);
  });
});

describe("gatepass dev: REQUEST, HTTP API and WebSocket events", () => {
  const servers: TestServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));
  const start = async (dev: Record<string, unknown>, config: Record<string, unknown> = {}) => {
    const t = await startTestServer({
      authorizer: fixture("recording-authorizer.mjs"),
      config: {
        routes: [
          { route: "GET /orders/{id}", allow: true },
          { route: "ANY /admin/{proxy+}", allow: true },
        ],
        ...config,
        dev: { resultTtlSeconds: 0, ...dev },
      },
    });
    servers.push(t);
    return t;
  };

  it("rest-request: headers (case kept), multi-value maps, resource, path parameters, requestContext", async () => {
    const t = await start({ api: "rest-request", stage: "prod" });
    const res = await call(`${t.url}/orders/42?a=1&a=2&b=x`, {
      headers: { ...bearer("allow"), "X-Custom": "v1" },
    });
    assert.equal(res.status, 200);
    const e = lastEvent();
    assert.equal(e.type, "REQUEST");
    assert.match(e.methodArn, /\/prod\/GET\/orders\/42$/);
    assert.equal(e.resource, "/orders/{id}");
    assert.equal(e.path, "/orders/42");
    assert.equal(e.httpMethod, "GET");
    assert.equal(e.headers["X-Custom"], "v1");
    assert.deepEqual(e.multiValueHeaders["X-Custom"], ["v1"]);
    assert.deepEqual(e.queryStringParameters, { a: "2", b: "x" });
    assert.deepEqual(e.multiValueQueryStringParameters, { a: ["1", "2"], b: ["x"] });
    assert.deepEqual(e.pathParameters, { id: "42" });
    assert.equal(e.requestContext.stage, "prod");
    assert.equal(e.requestContext.resourcePath, "/orders/{id}");
    assert.equal(e.requestContext.httpMethod, "GET");
    assert.match(e.requestContext.accountId, /^\d{12}$/);
    assert.match(e.requestContext.apiId, /^[a-z0-9]{10}$/);
    assert.equal(typeof e.requestContext.identity.sourceIp, "string");
    assert.equal(e.version, undefined);
    assert.equal(e.body, undefined, "REQUEST authorizers get no body");
  });

  it("rest-request: a greedy route and an unmatched path land on their resources", async () => {
    const t = await start({ api: "rest-request" });
    await call(`${t.url}/admin/a/b`, { method: "DELETE", headers: bearer("allow") });
    assert.equal(lastEvent().resource, "/admin/{proxy+}");
    assert.deepEqual(lastEvent().pathParameters, { proxy: "a/b" });
    assert.match(lastEvent().methodArn, /\/DELETE\/admin\/a\/b$/);
    await call(`${t.url}/elsewhere/x`, { headers: bearer("allow") });
    assert.equal(lastEvent().resource, "/{proxy+}");
  });

  it("rest-request: a query-string identity source is case-sensitive and required", async () => {
    const t = await start({ api: "rest-request", identitySources: ["method.request.querystring.token"] });
    const before = recording.events.length;
    assert.equal((await call(`${t.url}/orders/1?Token=allow`)).status, 401);
    assert.equal(recording.events.length, before);
    assert.equal((await call(`${t.url}/orders/1?token=allow`)).status, 200);
  });

  it("http-v1: version 1.0, identitySource and authorizationToken as one comma-joined string", async () => {
    const t = await start({
      api: "http-v1",
      identitySources: ["$request.header.Authorization", "$request.querystring.tenant"],
    });
    assert.equal(
      (await call(`${t.url}/orders/1`, { headers: bearer("allow") })).status,
      401,
      "every identity source is required",
    );
    assert.equal((await call(`${t.url}/orders/1?tenant=acme`, { headers: bearer("allow") })).status, 200);
    const e = lastEvent();
    assert.equal(e.version, "1.0");
    assert.equal(e.type, "REQUEST");
    assert.equal(e.identitySource, "Bearer allow,acme");
    assert.equal(e.authorizationToken, "Bearer allow,acme");
    assert.match(e.methodArn, ARN_PREFIX);
  });

  it("http-v2: routeArn, identitySource array, routeKey, rawPath, lower-case headers, cookies", async () => {
    const t = await start({ api: "http-v2-simple", stage: "$default" });
    const res = await call(`${t.url}/orders/42?q=1&q=2`, {
      headers: { Authorization: "Bearer simple-yes", "X-Mixed-Case": "v", Cookie: "a=1; b=2" },
    });
    assert.equal(res.status, 200);
    const e = lastEvent();
    assert.equal(e.version, "2.0");
    assert.equal(e.type, "REQUEST");
    assert.match(
      e.routeArn,
      /^arn:aws:execute-api:us-east-1:\d{12}:[a-z0-9]{10}\/\$default\/GET\/orders\/42$/,
    );
    assert.equal(e.methodArn, undefined);
    // HTTP APIs default to the token and the route key as identity sources (cache per route).
    assert.deepEqual(e.identitySource, ["Bearer simple-yes", "GET /orders/{id}"]);
    assert.equal(e.routeKey, "GET /orders/{id}");
    assert.equal(e.rawPath, "/orders/42");
    assert.equal(e.rawQueryString, "q=1&q=2");
    assert.deepEqual(e.cookies, ["a=1", "b=2"]);
    assert.equal(e.headers["x-mixed-case"], "v");
    assert.equal(e.headers.authorization, "Bearer simple-yes");
    assert.equal(e.headers.cookie, undefined);
    assert.deepEqual(e.queryStringParameters, { q: "1,2" });
    assert.deepEqual(e.pathParameters, { id: "42" });
    assert.equal(e.requestContext.http.method, "GET");
    assert.equal(e.requestContext.routeKey, "GET /orders/{id}");
    assert.equal(e.requestContext.stage, "$default");
    assert.equal(typeof e.requestContext.timeEpoch, "number");
  });

  it('http-v2-simple: isAuthorized false is 403 {"message":"Forbidden"}', async () => {
    const t = await start({ api: "http-v2-simple" });
    const res = await call(`${t.url}/orders/1`, { headers: bearer("simple-no") });
    assert.equal(res.status, 403);
    assert.deepEqual(res.json(), { message: "Forbidden" });
  });

  it("http-v2-simple: a policy instead of a simple response is invalid (500)", async () => {
    const t = await start({ api: "http-v2-simple" });
    assert.equal((await call(`${t.url}/orders/1`, { headers: bearer("allow") })).status, 500);
  });

  it("websocket: a GET is the $connect handshake; methodArn ends in $connect", async () => {
    const t = await start({ api: "websocket", identitySources: ["route.request.header.Authorization"] });
    assert.equal((await call(`${t.url}/`, { headers: bearer("allow") })).status, 200);
    const e = lastEvent();
    assert.equal(e.type, "REQUEST");
    assert.match(e.methodArn, /\/dev\/\$connect$/);
    assert.equal(e.requestContext.routeKey, "$connect");
    assert.equal(e.requestContext.eventType, "CONNECT");
    assert.equal(e.pathParameters, undefined);
    assert.equal((await call(`${t.url}/`)).status, 401);
  });

  it("websocket: an Upgrade is authorized (401 refused, 101 accepted)", async () => {
    const t = await start({ api: "websocket" });
    const upgrade = (auth: string | null) =>
      new Promise<string>((done, fail) => {
        const socket = connect(Number(new URL(t.url).port), "127.0.0.1");
        let data = "";
        socket.on("data", (c) => {
          data += c.toString();
          if (data.includes("\r\n\r\n")) {
            socket.destroy();
            done(data);
          }
        });
        socket.on("error", fail);
        socket.write(
          `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${auth ? `Authorization: ${auth}\r\n` : ""}\r\n`,
        );
      });
    assert.match(await upgrade(null), /^HTTP\/1\.1 401 /);
    assert.match(await upgrade("Bearer deny"), /^HTTP\/1\.1 403 /);
    const ok = await upgrade("Bearer allow");
    assert.match(ok, /^HTTP\/1\.1 101 /);
    assert.match(ok, /sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
  });
});

describe("gatepass dev: CORS on gateway responses", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({
      authorizer: fixture("recording-authorizer.mjs"),
      dev: {
        api: "rest-token",
        resultTtlSeconds: 0,
        cors: { allowOrigin: "https://app.example", allowHeaders: "Authorization" },
      },
    });
  });
  after(() => t.close());

  it("adds access-control-* headers to 401, 403 and 500", async () => {
    for (const headers of [{}, bearer("deny")] as Array<Record<string, string>>) {
      const res = await call(`${t.url}/x`, { headers });
      assert.ok(res.status === 401 || res.status === 403);
      assert.equal(res.headers["access-control-allow-origin"], "https://app.example");
      assert.equal(res.headers["access-control-allow-headers"], "Authorization");
      assert.ok(res.headers["access-control-allow-methods"]);
    }
  });

  it("answers the preflight without calling the authorizer", async () => {
    const before = recording.events.length;
    const res = await call(`${t.url}/orders/1`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "GET" },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers["access-control-allow-origin"], "https://app.example");
    assert.equal(recording.events.length, before);
  });
});

describe("gatepass dev: one time limit for concurrent authorizer calls", () => {
  /** An Allow for the whole stage of the event's ARN. */
  const allowStage = (event: unknown) => {
    const [prefix, stage] = (event as { methodArn: string }).methodArn.split("/");
    return {
      principalId: "user-1",
      policyDocument: {
        Version: "2012-10-17",
        Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: `${prefix}/${stage}/*` }],
      },
    };
  };
  const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

  it("times out each pending call at its own deadline, answers fast calls meanwhile, ignores a late callback", async () => {
    let lateCallbacks = 0;
    // Callback style (three parameters): a call settles when its promise does or the callback is called.
    const authorizer: LambdaHandler = (event, _context, callback) => {
      const token = (event as { authorizationToken: string }).authorizationToken;
      if (token === "Bearer never") return new Promise(() => {});
      if (token === "Bearer late") {
        setTimeout(() => {
          lateCallbacks += 1;
          callback(null, allowStage(event));
        }, 400).unref();
        return undefined;
      }
      return Promise.resolve(allowStage(event));
    };
    const t = await startTestServer({
      authorizer,
      dev: { api: "rest-token", resultTtlSeconds: 0 },
      authorizerTimeoutMs: 200,
    });
    try {
      const timed = async (token: string) => {
        const started = performance.now();
        const res = await call(`${t.url}/hello`, { headers: bearer(token) });
        return { status: res.status, ms: performance.now() - started };
      };
      const first = [timed("never"), timed("never"), timed("late")];
      await sleep(100);
      // Started while the first calls' timer is armed: its own deadline is 100 ms later than theirs.
      const second = timed("never");
      assert.equal((await timed("fast")).status, 200, "a fast call answers while others are pending");
      for (const r of await Promise.all(first)) assert.equal(r.status, 500);
      const later = await second;
      assert.equal(later.status, 500);
      assert.ok(later.ms >= 195, `timed out after its own limit, not the first calls' (${later.ms} ms)`);
      assert.ok(later.ms < 3000);
      await sleep(350);
      assert.equal(lateCallbacks, 1, "the late callback ran");
      assert.equal((await timed("fast")).status, 200, "and changed nothing");
      assert.equal(t.lines.filter((l) => l.event === "authorizer_timeout").length, 4);
      assert.equal(t.requests().length, 6, "one request line per call");
    } finally {
      await t.close();
    }
  });

  it("Invoker: a handler that never settles times out once; one that throws or calls back answers", async () => {
    const options = { functionName: "f", timeoutMs: 50 };
    const invokeOnce = (handler: LambdaHandler, event: unknown, opts: typeof options) =>
      new Invoker(handler, opts).invoke(event);
    const never = await invokeOnce(() => new Promise(() => {}), {}, options);
    assert.equal(never.ok, false);
    assert.equal(!never.ok && never.timedOut, true);
    assert.ok(never.durationMs >= 45);
    const thrown = await invokeOnce(
      () => {
        throw new Error("boom");
      },
      {},
      options,
    );
    assert.equal(!thrown.ok && !thrown.timedOut && (thrown.error as Error).message, "boom");
    // The callback wins over a later throw, as in the Lambda runtime.
    const calledBack = await invokeOnce(
      (_e, _c, callback) => {
        callback(null, "early");
        throw new Error("after");
      },
      {},
      options,
    );
    assert.deepEqual(calledBack.ok && calledBack.value, "early");
    let remaining = -1;
    await invokeOnce(
      async (_e, context) => {
        remaining = context.getRemainingTimeInMillis();
        return 1;
      },
      {},
      { functionName: "f", timeoutMs: 5000 },
    );
    assert.ok(remaining > 4000 && remaining <= 5000, `getRemainingTimeInMillis: ${remaining}`);
  });
});

describe("gatepass dev: the time limit holds the process open only while a call is pending", () => {
  const run = (script: string) =>
    new Promise<{ ms: number; stdout: string }>((done, fail) => {
      const started = performance.now();
      const module = JSON.stringify(new URL("../../src/dev/invoke.ts", import.meta.url).href);
      const source = `import { Invoker } from ${module};\nconst invokeOnce = (h, e, o) => new Invoker(h, o).invoke(e);\n${script}`;
      execFile(
        process.execPath,
        ["--import", "tsx", "--input-type=module", "-e", source],
        { timeout: 30_000 },
        (error, stdout) => (error ? fail(error) : done({ ms: performance.now() - started, stdout })),
      );
    });

  it("a settled call does not keep the process alive until its (60 s) limit", async () => {
    const { ms, stdout } = await run(
      'const r = await invokeOnce(async () => 1, {}, { functionName: "f", timeoutMs: 60000 }); console.log(r.ok);',
    );
    assert.equal(stdout.trim(), "true");
    assert.ok(ms < 20_000, `exited after ${Math.round(ms)} ms`);
  });

  it("a pending call keeps it alive until it times out", async () => {
    const { stdout } = await run(
      'invokeOnce(() => new Promise(() => {}), {}, { functionName: "f", timeoutMs: 300 }).then((r) => console.log(r.timedOut));',
    );
    assert.equal(stdout.trim(), "true");
  });
});

describe("gatepass dev: the request line", () => {
  const request: DevRequest = {
    method: "GET",
    path: "/",
    rawQuery: "",
    rawHeaders: [],
    sourceIp: "127.0.0.1",
    protocol: "HTTP/1.1",
    requestId: "0d1c5a46-5f4e-4b8a-9a53-1d2a3b4c5d6e",
    timeEpoch: 0,
  };
  const allow = (reason: string, principalId: string | null): Verdict => ({
    allowed: true,
    outcome: "allow",
    caller: { principalId, context: {}, latencyMs: 1 },
    reason,
    cache: "off",
  });

  it("is exactly JSON.stringify of its fields, whatever the strings hold", () => {
    const tricky = [
      "/orders/42",
      '/a"b\\c',
      "/tab\there\nnewline\u0001",
      "/caf\u00e9/\u{1F600}",
      "/lone\ud800surrogate",
      "/\u2028\u2029",
    ];
    for (const text of tricky) {
      for (const [verdict, upgrade, explained] of [
        [allow(`an Allow matches ${text}`, text), undefined, `rule ${text}`],
        [allow("isAuthorized", null), true, undefined],
        [undefined, undefined, undefined],
      ] as Array<[Verdict | undefined, true | undefined, string | undefined]>) {
        const line = requestLine(
          { ...request, path: text, method: text },
          200,
          "allow",
          verdict,
          upgrade,
          1.5,
          explained,
        );
        const expected = JSON.stringify({
          level: "info",
          event: "request",
          requestId: request.requestId,
          method: text,
          path: text,
          status: 200,
          outcome: "allow",
          reason: verdict?.reason,
          cache: verdict?.cache,
          principal: verdict?.allowed ? verdict.caller.principalId : undefined,
          upgrade,
          durationMs: 1.5,
          authorizer: explained,
        });
        assert.equal(line, expected);
      }
    }
  });
});
