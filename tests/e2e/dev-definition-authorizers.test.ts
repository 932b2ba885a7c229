/**
 * e2e: where a definition's Lambda authorizers come from — the definition's function, gatepass's
 * own authorizer (with the configuration in effect) when the definition names none, `--authorizer`
 * for all of them when given — and how a route fails when its function cannot be loaded
 * (authorizer: 500 AuthorizerConfigurationException; integration: AWS's failing-Lambda answer).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { ApiDefinition, HandlerReference, RouteDefinition } from "../../src/dev/definition/model.js";
import * as tokenAuthorizer from "../fixtures/dev/definition/token-authorizer.mjs";
import { call, fixture, startTestServer, type TestServer } from "../fixtures/dev/harness.js";
import * as recording from "../fixtures/dev/recording-authorizer.mjs";

const ref = (file: string, exists = true): HandlerReference => ({
  file,
  exportName: "handler",
  exists,
  functionName: "Fn",
});
const echo = ref(fixture("definition/echo-lambda.mjs"));

const route = (method: string, path: string, authorizer: string | null, handler = echo): RouteDefinition => ({
  method,
  path,
  routeKey: `${method} ${path}`,
  authorizer,
  integration: { kind: "lambda", handler, payloadFormatVersion: "1.0", timeoutMs: 29_000 },
  at: path,
});

const definition: ApiDefinition = {
  format: "openapi",
  file: "/tmp/openapi.yaml",
  name: "Orders",
  kind: "rest",
  stage: "dev",
  routes: [
    route("GET", "/orders/{id}", "Own"),
    route("GET", "/gatepass/{id}", "Gatepass"),
    route("GET", "/lost", "Lost"),
    route("GET", "/missing-handler", null, ref("/nonexistent/handler.mjs", false)),
  ],
  authorizers: {
    Own: {
      kind: "lambda",
      name: "Own",
      type: "token",
      identitySources: ["method.request.header.Authorization"],
      resultTtlSeconds: 0,
      handler: ref(fixture("definition/token-authorizer.mjs")),
    },
    Gatepass: {
      kind: "lambda",
      name: "Gatepass",
      type: "token",
      identitySources: ["method.request.header.Authorization"],
      resultTtlSeconds: 0,
      handler: null,
    },
    Lost: {
      kind: "lambda",
      name: "Lost",
      type: "token",
      identitySources: ["method.request.header.Authorization"],
      resultTtlSeconds: 0,
      handler: ref("/nonexistent/authorizer.mjs", false),
    },
  },
  gatewayResponses: [],
  notes: [],
};

describe("a definition's Lambda authorizers", () => {
  let t: TestServer;
  let overridden: TestServer;
  before(async () => {
    t = await startTestServer({ definition });
    overridden = await startTestServer({ definition, authorizer: fixture("recording-authorizer.mjs") });
  });
  after(async () => {
    await t.close();
    await overridden.close();
  });

  it("the definition's own function authorizes its routes", async () => {
    tokenAuthorizer.calls.length = 0;
    assert.equal((await call(`${t.url}/orders/1`, { headers: { authorization: "allow" } })).status, 200);
    assert.equal(tokenAuthorizer.calls.length, 1);
  });

  it("without a function, gatepass's own authorizer decides with the configuration in effect", async () => {
    const token = t.server.mintToken({ sub: "ann", scope: "orders:read" }).access_token;
    const res = await call(`${t.url}/gatepass/1`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    const e = JSON.parse(res.text) as { requestContext: { authorizer: Record<string, string> } };
    assert.equal(e.requestContext.authorizer.principalId, "ann");
    assert.equal(
      (await call(`${t.url}/gatepass/1`, { headers: { authorization: "Bearer nope" } })).status,
      401,
    );
  });

  it("an authorizer whose function cannot be loaded answers 500 AuthorizerConfigurationException", async () => {
    const res = await call(`${t.url}/lost`, { headers: { authorization: "allow" } });
    assert.equal(res.status, 500);
    assert.deepEqual(res.json(), { message: null });
    assert.equal(res.headers["x-amzn-errortype"], "AuthorizerConfigurationException");
    assert.ok(t.lines.some((l) => l.event === "authorizer_not_loaded"));
  });

  it("an integration whose function cannot be loaded answers as a failing Lambda (REST 502)", async () => {
    const res = await call(`${t.url}/missing-handler`);
    assert.equal(res.status, 502);
    assert.deepEqual(res.json(), { message: "Internal server error" });
  });

  it("--authorizer replaces every Lambda authorizer of the definition", async () => {
    tokenAuthorizer.calls.length = 0;
    recording.events.length = 0;
    for (const path of ["/orders/1", "/gatepass/1", "/lost"]) {
      const res = await call(`${overridden.url}${path}`, { headers: { authorization: "allow" } });
      assert.equal(res.status, 200, path);
    }
    assert.equal(tokenAuthorizer.calls.length, 0);
    assert.equal(recording.events.length, 3);
    const authorized = overridden.server.routes.filter((r) => r.authorizer !== "none");
    assert.equal(authorized.length, 3);
    assert.ok(authorized.every((r) => r.authorizer.endsWith(", --authorizer)")));
  });
});
