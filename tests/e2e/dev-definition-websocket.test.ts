/**
 * e2e: `gatepass dev` serving a WebSocket API definition: the upgrade is the `$connect` route, its
 * REQUEST authorizer decides (401 without the identity source, 403 on Deny), its Lambda integration
 * runs before the handshake completes (its event is AWS's `$connect` event; a non-2xx answer
 * refuses the connection), and an API without `$connect` accepts the upgrade as is.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import type { ApiDefinition, HandlerReference, RouteDefinition } from "../../src/dev/definition/model.js";
import * as echo from "../fixtures/dev/definition/echo-lambda.mjs";
import * as reject from "../fixtures/dev/definition/reject-connect.mjs";
import * as wsAuthorizer from "../fixtures/dev/definition/ws-authorizer.mjs";
import { fixture, startTestServer, type TestServer } from "../fixtures/dev/harness.js";

const handlerRef = (name: string, functionName: string): HandlerReference => ({
  file: fixture(`definition/${name}`),
  exportName: "handler",
  exists: true,
  functionName,
});

const route = (routeKey: string, authorizer: string | null, file = "echo-lambda.mjs"): RouteDefinition => ({
  method: "",
  path: "",
  routeKey,
  authorizer,
  integration: {
    kind: "lambda",
    handler: handlerRef(file, "ConnectFunction"),
    payloadFormatVersion: "1.0",
    timeoutMs: 29_000,
  },
  at: `routes.${routeKey}`,
});

const definition = (routes: RouteDefinition[]): ApiDefinition => ({
  format: "serverless",
  file: "/tmp/serverless.yml",
  name: "chat",
  kind: "websocket",
  stage: "dev",
  routes,
  authorizers: {
    WsAuth: {
      kind: "lambda",
      name: "WsAuth",
      type: "request",
      identitySources: ["route.request.querystring.token"],
      resultTtlSeconds: 0,
      handler: handlerRef("ws-authorizer.mjs", "WsAuthFunction"),
    },
  },
  gatewayResponses: [],
  notes: [],
});

/** Sends an upgrade request and returns the response head. */
function upgrade(url: string, target: string): Promise<string> {
  return new Promise<string>((done, fail) => {
    const socket = connect(Number(new URL(url).port), "127.0.0.1");
    let data = "";
    socket.setTimeout(5000, () => socket.destroy(new Error("no answer")));
    socket.on("data", (c) => {
      data += c.toString();
      if (data.includes("\r\n\r\n")) {
        socket.destroy();
        done(data);
      }
    });
    socket.on("error", fail);
    socket.write(
      `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
  });
}

describe("gatepass dev serving a WebSocket API definition", () => {
  let t: TestServer;
  let refusing: TestServer;
  let open: TestServer;
  before(async () => {
    t = await startTestServer({
      definition: definition([route("$connect", "WsAuth"), route("$default", null)]),
    });
    refusing = await startTestServer({
      definition: definition([route("$connect", null, "reject-connect.mjs")]),
    });
    open = await startTestServer({ definition: definition([route("$default", null)]) });
  });
  after(async () => {
    await t.close();
    await refusing.close();
    await open.close();
  });
  beforeEach(() => {
    echo.calls.length = 0;
    wsAuthorizer.calls.length = 0;
    reject.calls.length = 0;
  });

  it("the $connect authorizer decides the upgrade: 401 without the identity source (not invoked), 403 on Deny", async () => {
    assert.match(await upgrade(t.url, "/"), /^HTTP\/1\.1 401 /);
    assert.equal(wsAuthorizer.calls.length, 0);
    assert.match(await upgrade(t.url, "/?token=no"), /^HTTP\/1\.1 403 /);
    assert.equal(wsAuthorizer.calls.length, 1);
    assert.equal(echo.calls.length, 0);
  });

  it("an allowed upgrade runs the $connect integration with AWS's CONNECT event, then completes the handshake", async () => {
    const head = await upgrade(t.url, "/?token=allow");
    assert.match(head, /^HTTP\/1\.1 101 /);
    assert.match(head, /sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
    const a = wsAuthorizer.calls[0] as Record<string, unknown>;
    assert.equal(a.methodArn, "arn:aws:execute-api:us-east-1:123456789012:gatepass01/dev/$connect");
    assert.equal(echo.calls.length, 1);
    // biome-ignore lint/suspicious/noExplicitAny: a JSON event read field by field
    const e = echo.calls[0] as Record<string, any>;
    assert.deepEqual(e.queryStringParameters, { token: "allow" });
    assert.deepEqual(e.multiValueQueryStringParameters, { token: ["allow"] });
    assert.equal(e.isBase64Encoded, false);
    assert.equal("pathParameters" in e, false);
    const rc = e.requestContext;
    assert.equal(rc.routeKey, "$connect");
    assert.equal(rc.eventType, "CONNECT");
    assert.equal(rc.messageDirection, "IN");
    assert.equal(rc.stage, "dev");
    assert.equal(rc.apiId, "gatepass01");
    assert.match(rc.connectionId, /^[A-Za-z0-9+/]{15}=$/);
    assert.equal(rc.authorizer.principalId, "carol");
    assert.equal(typeof rc.authorizer.integrationLatency, "number");
  });

  it("a $connect integration answering 403 refuses the connection", async () => {
    assert.match(await upgrade(refusing.url, "/"), /^HTTP\/1\.1 403 /);
    assert.equal(reject.calls.length, 1);
    // The request line reports the status the client got, not 101.
    await new Promise((done) => setTimeout(done, 50));
    assert.deepEqual(
      refusing.requests().map((l) => l.status),
      [403],
    );
  });

  it("an API without a $connect route accepts the upgrade without authorizer or integration", async () => {
    assert.match(await upgrade(open.url, "/"), /^HTTP\/1\.1 101 /);
    assert.equal(echo.calls.length, 0);
    assert.equal(wsAuthorizer.calls.length, 0);
  });
});
