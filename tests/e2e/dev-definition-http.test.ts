/**
 * e2e: `gatepass dev` serving an HTTP API definition: a Lambda REQUEST authorizer (payload 2.0,
 * simple responses) on one route, a JWT authorizer with scopes on others, routes without an
 * authorizer, `$default`; HTTP API route selection (full match over greedy, the method over `ANY`,
 * then `$default`; none: 404 `{"message":"Not Found"}`); the 2.0 and 1.0 integration events.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { ApiDefinition, HandlerReference, RouteDefinition } from "../../src/dev/definition/model.js";
import * as echo from "../fixtures/dev/definition/echo-lambda.mjs";
import * as simpleAuthorizer from "../fixtures/dev/definition/simple-authorizer.mjs";
import { call, fixture, startTestServer, type TestServer } from "../fixtures/dev/harness.js";
import { type TestJwtIssuer, testJwtIssuer } from "../helpers/native-jwt-test.js";

const handlerRef = (name: string, functionName: string): HandlerReference => ({
  file: fixture(`definition/${name}`),
  exportName: "handler",
  exists: true,
  functionName,
});

const lambda = (payloadFormatVersion: "1.0" | "2.0") =>
  ({
    kind: "lambda",
    handler: handlerRef("echo-lambda.mjs", "EchoFunction"),
    payloadFormatVersion,
    timeoutMs: 30_000,
  }) as const;

const route = (
  routeKey: string,
  authorizer: string | null,
  payload: "1.0" | "2.0" = "2.0",
  authorizationScopes?: string[],
): RouteDefinition => {
  const [method, path] = routeKey === "$default" ? ["", ""] : (routeKey.split(" ") as [string, string]);
  return {
    method,
    path,
    routeKey,
    authorizer,
    ...(authorizationScopes ? { authorizationScopes } : {}),
    integration: lambda(payload),
    at: `routes.${routeKey}`,
  };
};

const ISSUER = "https://issuer.example.com/";
const AUDIENCE = "orders-api";

const definition = (routes: RouteDefinition[]): ApiDefinition => ({
  format: "sam",
  file: "/tmp/template.yaml",
  name: "HttpApi",
  kind: "http",
  stage: "$default",
  routes,
  authorizers: {
    ReqAuth: {
      kind: "lambda",
      name: "ReqAuth",
      type: "request",
      identitySources: ["$request.header.Authorization"],
      resultTtlSeconds: 0,
      payloadFormatVersion: "2.0",
      simpleResponses: true,
      handler: handlerRef("simple-authorizer.mjs", "AuthFunction"),
    },
    Jwt: {
      kind: "jwt",
      name: "Jwt",
      flavour: "http-api-jwt",
      identitySources: ["$request.header.Authorization"],
      issuer: ISSUER,
      audience: [AUDIENCE],
    },
  },
  gatewayResponses: [],
  notes: [],
});

// biome-ignore lint/suspicious/noExplicitAny: a JSON event read field by field
const event = (text: string) => JSON.parse(text) as Record<string, any>;

describe("gatepass dev serving an HTTP API definition", () => {
  let t: TestServer;
  let bare: TestServer;
  let jwt: TestJwtIssuer;
  before(async () => {
    jwt = await testJwtIssuer(ISSUER, AUDIENCE);
    t = await startTestServer({
      nativeJwt: jwt.factory,
      definition: definition([
        route("GET /items/{id}", "ReqAuth"),
        route("ANY /items/{id}", null),
        route("GET /items/special", null, "1.0"),
        route("GET /items/{proxy+}", null),
        route("GET /scoped", "Jwt", "2.0", ["orders:read"]),
        route("GET /scoped/v1", "Jwt", "1.0"),
        route("$default", null),
      ]),
    });
    bare = await startTestServer({
      definition: definition([
        route("GET /only", null),
        route("GET /jwt", "Jwt"),
        route("GET /ghost", "Ghost"),
      ]),
    });
  });
  after(async () => {
    await t.close();
    await bare.close();
  });
  beforeEach(() => {
    echo.calls.length = 0;
    simpleAuthorizer.calls.length = 0;
    jwt.seen.length = 0;
  });

  it("without a $default route, a request no route takes gets 404 Not Found", async () => {
    const res = await call(`${bare.url}/nothing`, { headers: { authorization: "allow" } });
    assert.equal(res.status, 404);
    assert.deepEqual(res.json(), { message: "Not Found" });
    assert.equal(res.headers["content-type"], "application/json");
    assert.match(String(res.headers["apigw-requestid"]), /^[0-9a-f-]{36}$/);
    assert.equal(res.headers["x-amzn-errortype"], undefined);
    assert.equal(echo.calls.length, 0);
    // A path that exists with another method is no route either.
    assert.equal((await call(`${bare.url}/only`, { method: "POST" })).status, 404);
  });

  it("fails closed: a route naming an undefined authorizer answers 500; a JWT route gets the native emulation by default (401 for a bad token)", async () => {
    const ghost = await call(`${bare.url}/ghost`, { headers: { authorization: "Bearer x" } });
    assert.equal(ghost.status, 500);
    assert.equal(ghost.headers["x-amzn-errortype"], "AuthorizerConfigurationException");
    const jwtRoute = await call(`${bare.url}/jwt`, { headers: { authorization: "Bearer x" } });
    assert.equal(jwtRoute.status, 401);
    assert.deepEqual(jwtRoute.json(), { message: "Unauthorized" });
    assert.equal(echo.calls.length, 0);
  });

  it("the Lambda authorizer runs only on its route: 401 without the identity source, 403 isAuthorized false", async () => {
    const missing = await call(`${t.url}/items/1`);
    assert.equal(missing.status, 401);
    assert.deepEqual(missing.json(), { message: "Unauthorized" });
    const refused = await call(`${t.url}/items/1`, { headers: { authorization: "nope" } });
    assert.equal(refused.status, 403);
    assert.deepEqual(refused.json(), { message: "Forbidden" });
    assert.equal(simpleAuthorizer.calls.length, 1);
    assert.equal(echo.calls.length, 0);
  });

  it("an allowed request reaches the integration with AWS's 2.0 event and the authorizer's context under authorizer.lambda", async () => {
    const res = await call(`${t.url}/items/7?a=1&a=2`, {
      headers: { authorization: "allow", "X-Custom": "v", cookie: "c1=1; c2=2" },
    });
    assert.equal(res.status, 200);
    const a = simpleAuthorizer.calls[0] as Record<string, unknown>;
    assert.equal(a.version, "2.0");
    assert.equal(a.routeKey, "GET /items/{id}");
    assert.deepEqual(a.identitySource, ["allow"]);
    assert.equal(a.routeArn, "arn:aws:execute-api:us-east-1:123456789012:gatepass01/$default/GET/items/7");
    const e = event(res.text);
    assert.equal(e.version, "2.0");
    assert.equal(e.routeKey, "GET /items/{id}");
    assert.equal(e.rawPath, "/items/7");
    assert.equal(e.rawQueryString, "a=1&a=2");
    assert.deepEqual(e.cookies, ["c1=1", "c2=2"]);
    assert.equal(e.headers["x-custom"], "v");
    assert.deepEqual(e.queryStringParameters, { a: "1,2" });
    assert.deepEqual(e.pathParameters, { id: "7" });
    assert.equal(e.isBase64Encoded, false);
    assert.equal("resource" in e, false);
    assert.equal("httpMethod" in e, false);
    const rc = e.requestContext;
    assert.deepEqual(rc.authorizer, { lambda: { who: "bob", n: 2 } });
    assert.equal(rc.routeKey, "GET /items/{id}");
    assert.equal(rc.stage, "$default");
    assert.equal(rc.accountId, "123456789012");
    assert.equal(rc.apiId, "gatepass01");
    assert.deepEqual(Object.keys(rc.http).sort(), ["method", "path", "protocol", "sourceIp", "userAgent"]);
    assert.equal(rc.http.method, "GET");
    assert.equal(rc.http.path, "/items/7");
    assert.equal(typeof rc.timeEpoch, "number");
    assert.match(rc.time, /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  });

  it("route selection: a literal full match wins over {id}; ANY takes the other methods; greedy after full matches", async () => {
    const special = event((await call(`${t.url}/items/special`)).text);
    assert.equal(special.version, "1.0");
    assert.equal(special.resource, "/items/special");
    // An HTTP API route without an authorizer: payload 1.0 carries { claims: null, scopes: null }.
    assert.deepEqual(special.requestContext.authorizer, { claims: null, scopes: null });
    const any = event((await call(`${t.url}/items/1`, { method: "DELETE" })).text);
    assert.equal(any.routeKey, "ANY /items/{id}");
    assert.equal("authorizer" in any.requestContext, false);
    const greedy = event((await call(`${t.url}/items/1/parts`)).text);
    assert.equal(greedy.routeKey, "GET /items/{proxy+}");
    assert.deepEqual(greedy.pathParameters, { proxy: "1/parts" });
    assert.equal(simpleAuthorizer.calls.length, 0);
  });

  it("$default takes what no route takes, with the full path and no path parameters", async () => {
    const e = event((await call(`${t.url}/elsewhere/deep?q=1`, { method: "PUT" })).text);
    assert.equal(e.routeKey, "$default");
    assert.equal(e.rawPath, "/elsewhere/deep");
    assert.equal(e.requestContext.routeKey, "$default");
    assert.equal("pathParameters" in e, false);
    // POST /items/special: no route for the method on that path except ANY /items/{id}.
    const post = event((await call(`${t.url}/items/special`, { method: "POST" })).text);
    assert.equal(post.routeKey, "ANY /items/{id}");
  });

  it("the JWT authorizer: 401 without or with a bad token, 403 without the route's scope, claims and scopes on allow", async () => {
    assert.equal((await call(`${t.url}/scoped`)).status, 401);
    const bad = await call(`${t.url}/scoped`, { headers: { authorization: "Bearer x.y.z" } });
    assert.equal(bad.status, 401);
    assert.deepEqual(bad.json(), { message: "Unauthorized" });
    const noScope = await jwt.sign({ sub: "dave", scope: "profile" });
    const forbidden = await call(`${t.url}/scoped`, { headers: { authorization: `Bearer ${noScope}` } });
    assert.equal(forbidden.status, 403);
    assert.deepEqual(forbidden.json(), { message: "Forbidden" });
    assert.equal(echo.calls.length, 0);
    const token = await jwt.sign({ sub: "dave", scope: "orders:read profile" });
    const res = await call(`${t.url}/scoped`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const e = event(res.text);
    assert.equal(e.requestContext.authorizer.jwt.claims.sub, "dave");
    assert.deepEqual(e.requestContext.authorizer.jwt.scopes, ["orders:read", "profile"]);
    assert.deepEqual(Object.keys(e.requestContext.authorizer), ["jwt"]);
    const v1 = event(
      (await call(`${t.url}/scoped/v1`, { headers: { authorization: `Bearer ${token}` } })).text,
    );
    assert.equal(v1.requestContext.authorizer.claims.sub, "dave");
    assert.deepEqual(v1.requestContext.authorizer.scopes, ["orders:read", "profile"]);
    assert.equal(jwt.seen.at(-1), `Bearer ${token}`);
  });
});
