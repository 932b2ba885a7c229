/**
 * e2e: `gatepass dev` serving a REST API definition: the routes it declares and nothing else
 * (API Gateway's 403 "Missing Authentication Token" otherwise, without invoking the authorizer), the
 * TOKEN authorizer only on the routes that name it, REST resource selection (literal over
 * `{param}` over `{proxy+}`, the method over `ANY`, a resource without the method is no route),
 * and the proxy event a Lambda integration receives.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { ApiDefinition, HandlerReference, RouteDefinition } from "../../src/dev/definition/model.js";
import * as echo from "../fixtures/dev/definition/echo-lambda.mjs";
import * as tokenAuthorizer from "../fixtures/dev/definition/token-authorizer.mjs";
import { call, fixture, startTestServer, type TestServer } from "../fixtures/dev/harness.js";

const handlerRef = (name: string, functionName: string): HandlerReference => ({
  file: fixture(`definition/${name}`),
  exportName: "handler",
  exists: true,
  functionName,
});

const echoIntegration = {
  kind: "lambda",
  handler: handlerRef("echo-lambda.mjs", "EchoFunction"),
  payloadFormatVersion: "1.0",
  timeoutMs: 29_000,
} as const;

const route = (
  method: string,
  path: string,
  authorizer: string | null,
  integration: RouteDefinition["integration"] = echoIntegration,
): RouteDefinition => ({
  method,
  path,
  routeKey: `${method} ${path}`,
  authorizer,
  integration,
  at: `paths.${path}.${method.toLowerCase()}`,
});

const definition: ApiDefinition = {
  format: "sam",
  file: "/tmp/template.yaml",
  name: "OrdersApi",
  kind: "rest",
  stage: "Prod",
  routes: [
    route("GET", "/orders/{id}", "TokenAuth"),
    route("ANY", "/orders/{id}", null),
    route("GET", "/orders/mine", null),
    route("ANY", "/{proxy+}", null),
    route("GET", "/public", null, { kind: "mock" }),
    route("GET", "/broken", null, { kind: "unsupported", reason: "an AWS service integration (sqs)" }),
  ],
  authorizers: {
    TokenAuth: {
      kind: "lambda",
      name: "TokenAuth",
      type: "token",
      identitySources: ["method.request.header.Authorization"],
      resultTtlSeconds: 0,
      handler: handlerRef("token-authorizer.mjs", "AuthFunction"),
    },
  },
  gatewayResponses: [],
  notes: [{ at: "Resources.OrdersApi", message: "a test note" }],
};

// biome-ignore lint/suspicious/noExplicitAny: a JSON event read field by field
const event = (text: string) => JSON.parse(text) as Record<string, any>;

describe("gatepass dev serving a REST API definition", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ definition });
  });
  after(() => t.close());
  beforeEach(() => {
    echo.calls.length = 0;
    tokenAuthorizer.calls.length = 0;
  });

  it("answers a request no resource takes with 403 Missing Authentication Token, without the authorizer", async () => {
    const res = await call(`${t.url}/`, { headers: { authorization: "allow" } });
    assert.equal(res.status, 403);
    assert.deepEqual(res.json(), { message: "Missing Authentication Token" });
    assert.equal(res.headers["x-amzn-errortype"], "MissingAuthenticationTokenException");
    assert.equal(res.headers["content-type"], "application/json");
    assert.match(String(res.headers["x-amzn-requestid"]), /^[0-9a-f-]{36}$/);
    assert.equal(tokenAuthorizer.calls.length, 0);
    assert.equal(echo.calls.length, 0);
  });

  it("a resource without the method (and without ANY) is no route, even with a /{proxy+} ANY", async () => {
    const res = await call(`${t.url}/orders/mine`, { method: "DELETE" });
    assert.equal(res.status, 403);
    assert.deepEqual(res.json(), { message: "Missing Authentication Token" });
    assert.equal(echo.calls.length, 0);
  });

  it("the literal resource wins over {param}, and is served without an authorizer", async () => {
    const res = await call(`${t.url}/orders/mine`);
    assert.equal(res.status, 200);
    const e = event(res.text);
    assert.equal(e.resource, "/orders/mine");
    assert.equal(e.pathParameters, null);
    assert.equal("authorizer" in e.requestContext, false);
    assert.equal(tokenAuthorizer.calls.length, 0);
  });

  it("the TOKEN authorizer guards GET /orders/{id}: 401 without the header, without invoking it", async () => {
    const res = await call(`${t.url}/orders/42`);
    assert.equal(res.status, 401);
    assert.deepEqual(res.json(), { message: "Unauthorized" });
    assert.equal(tokenAuthorizer.calls.length, 0);
  });

  it("the TOKEN authorizer's Deny gives 403 and its Allow reaches the integration with AWS's REST proxy event", async () => {
    const denied = await call(`${t.url}/orders/42`, { headers: { authorization: "deny" } });
    assert.equal(denied.status, 403);
    assert.equal(denied.headers["x-amzn-errortype"], "AccessDeniedException");
    const res = await call(`${t.url}/orders/42?x=1&x=2`, { headers: { authorization: "allow" } });
    assert.equal(res.status, 200);
    const authorizerEvent = tokenAuthorizer.calls.at(-1) as Record<string, unknown>;
    assert.deepEqual(Object.keys(authorizerEvent).sort(), ["authorizationToken", "methodArn", "type"]);
    assert.equal(
      authorizerEvent.methodArn,
      "arn:aws:execute-api:us-east-1:123456789012:gatepass01/Prod/GET/orders/42",
    );
    const e = event(res.text);
    assert.equal(e.resource, "/orders/{id}");
    assert.equal(e.path, "/orders/42");
    assert.equal(e.httpMethod, "GET");
    assert.deepEqual(e.pathParameters, { id: "42" });
    assert.deepEqual(e.queryStringParameters, { x: "2" });
    assert.deepEqual(e.multiValueQueryStringParameters, { x: ["1", "2"] });
    assert.equal(e.stageVariables, null);
    assert.equal(e.body, null);
    assert.equal(e.isBase64Encoded, false);
    assert.equal("version" in e, false);
    const rc = e.requestContext;
    assert.equal(rc.resourcePath, "/orders/{id}");
    assert.equal(rc.httpMethod, "GET");
    assert.equal(rc.path, "/Prod/orders/42");
    assert.equal(rc.stage, "Prod");
    assert.equal(rc.accountId, "123456789012");
    assert.equal(rc.apiId, "gatepass01");
    assert.deepEqual(rc.authorizer, {
      tenant: "t1",
      level: "7",
      principalId: "alice",
      integrationLatency: rc.authorizer.integrationLatency,
    });
    assert.equal(typeof rc.authorizer.integrationLatency, "number");
  });

  it("on the same resource, the method wins over ANY, and ANY takes the other methods (unauthorized here)", async () => {
    const res = await call(`${t.url}/orders/42`, { method: "POST", body: "{}" });
    assert.equal(res.status, 200);
    const e = event(res.text);
    assert.equal(e.resource, "/orders/{id}");
    assert.equal(e.httpMethod, "POST");
    assert.equal(e.body, "{}");
    assert.equal("authorizer" in e.requestContext, false);
    assert.equal(tokenAuthorizer.calls.length, 0);
  });

  it("{proxy+} takes what no more specific resource takes, with the rest of the path as its parameter", async () => {
    const res = await call(`${t.url}/orders/42/notes/7`);
    assert.equal(res.status, 200);
    const e = event(res.text);
    assert.equal(e.resource, "/{proxy+}");
    assert.deepEqual(e.pathParameters, { proxy: "orders/42/notes/7" });
  });

  it("a MOCK integration answers 200 with an empty body; an unsupported one 500 Internal server error", async () => {
    const mock = await call(`${t.url}/public`);
    assert.equal(mock.status, 200);
    assert.equal(mock.text, "");
    const broken = await call(`${t.url}/broken`);
    assert.equal(broken.status, 500);
    assert.deepEqual(broken.json(), { message: "Internal server error" });
  });

  it("lists every route with its authorizer and integration", () => {
    const routes = t.server.routes;
    assert.equal(routes.length, definition.routes.length);
    assert.match(routes[0]!.authorizer, /^TokenAuth \(rest-token\)$/);
    assert.equal(routes[1]!.authorizer, "none");
    assert.match(routes[0]!.integration, /^lambda .*echo-lambda\.mjs#handler$/);
    assert.equal(routes[4]!.integration, "mock");
  });
});
