/**
 * Every event fixture (real AWS shapes, tests/fixtures/events) → the expected kind and fields.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { toAuthRequest } from "../../../src/adapters/detect.js";
import type { AuthRequest } from "../../../src/adapters/types.js";
import type { TokenSource } from "../../../src/config/types.js";
import { FIXTURES, type FixtureName, JWT, loadEvent } from "./fixtures.js";

const AUTHORIZATION: TokenSource[] = [{ kind: "header", name: "authorization" }];

const expected: Record<FixtureName, Omit<AuthRequest, "token" | "tokenProblem" | "tokenProblemCode">> = {
  "rest-token": {
    kind: "rest-token",
    arn: "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/orders/42",
    method: null,
    path: null,
    routeKey: null,
  },
  "rest-token-raw": {
    kind: "rest-token",
    arn: "arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/dev/GET/",
    method: null,
    path: null,
    routeKey: null,
  },
  "rest-request": {
    kind: "rest-request",
    arn: "arn:aws:execute-api:us-east-1:123456789012:s4x3opwd6i/test/GET/orders/42",
    method: "GET",
    path: "/orders/42",
    routeKey: null,
  },
  "rest-request-console-test": {
    kind: "rest-request",
    arn: "arn:aws:execute-api:eu-west-1:123456789012:puhdx84jy9/test-invoke-stage/POST/orders",
    method: "POST",
    path: "/orders",
    routeKey: null,
  },
  "http-v1": {
    kind: "http-v1",
    arn: "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/request",
    method: "GET",
    path: "/request",
    routeKey: null,
  },
  "http-v2": {
    kind: "http-v2",
    arn: "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/GET/orders/42",
    method: "GET",
    path: "/prod/orders/42",
    routeKey: "GET /orders/{id}",
    identitySource: [`Bearer ${JWT}`, "GET /orders/{id}"],
  },
  "http-v2-default-stage": {
    kind: "http-v2",
    arn: "arn:aws:execute-api:eu-west-1:123456789012:lsw1ro4ipb/$default/POST/lambda",
    method: "POST",
    path: "/lambda",
    routeKey: "$default",
    identitySource: [`Bearer ${JWT}`],
  },
  "websocket-connect": {
    kind: "websocket",
    arn: "arn:aws:execute-api:us-east-1:123456789012:abcdef123/default/$connect",
    method: null,
    path: null,
    routeKey: "$connect",
  },
};

/** Where each fixture carries its token (WebSocket clients in browsers cannot set headers). */
const sourcesFor = (name: FixtureName): TokenSource[] =>
  name === "websocket-connect" ? [{ kind: "query", name: "access_token" }] : AUTHORIZATION;

describe("fixtures: kind and fields", () => {
  for (const name of FIXTURES) {
    test(name, () => {
      const request = toAuthRequest(loadEvent(name), sourcesFor(name));
      assert.deepEqual(request, {
        ...expected[name],
        token: JWT,
        tokenProblem: null,
        tokenProblemCode: null,
      });
    });
  }
});

describe("fixtures: token sources", () => {
  test("a TOKEN event always uses authorizationToken and ignores the configured sources", () => {
    const request = toAuthRequest(loadEvent("rest-token"), [{ kind: "cookie", name: "session" }]);
    assert.equal(request.kind, "rest-token");
    assert.equal((request as AuthRequest).token, JWT);
  });

  test("a TOKEN event whose raw value is not a JWT has no token", () => {
    const request = toAuthRequest(loadEvent("rest-token-raw", "not-a-jwt"), AUTHORIZATION) as AuthRequest;
    assert.equal(request.token, null);
    assert.equal(request.tokenProblem, "authorizationToken is neither a Bearer credential nor a JWT");
  });

  test("REST REQUEST: the session cookie from the Cookie header", () => {
    const request = toAuthRequest(loadEvent("rest-request"), [
      { kind: "cookie", name: "session" },
    ]) as AuthRequest;
    assert.equal(request.token, JWT);
  });

  test("HTTP 2.0: the session cookie from the cookies array", () => {
    const request = toAuthRequest(loadEvent("http-v2"), [{ kind: "cookie", name: "session" }]) as AuthRequest;
    assert.equal(request.token, JWT);
  });

  test("HTTP 2.0 without a cookies array: no cookie", () => {
    const request = toAuthRequest(loadEvent("http-v2-default-stage"), [
      { kind: "cookie", name: "session" },
    ]) as AuthRequest;
    assert.equal(request.token, null);
    assert.equal(request.tokenProblem, 'no cookie "session"');
  });

  test("WebSocket without an Authorization header names what is missing", () => {
    const request = toAuthRequest(loadEvent("websocket-connect"), AUTHORIZATION) as AuthRequest;
    assert.equal(request.kind, "websocket");
    assert.equal(request.token, null);
    assert.equal(request.tokenProblem, "no Authorization header");
  });

  test("HTTP 1.0: the token comes from headers, not from the comma-joined identitySource", () => {
    const event = loadEvent("http-v1");
    event.identitySource = `Bearer ${JWT},other`;
    event.authorizationToken = `Bearer ${JWT},other`;
    const request = toAuthRequest(event, AUTHORIZATION) as AuthRequest;
    assert.equal(request.token, JWT);
  });

  test("console-test event with null maps and a query source: absent, not a crash", () => {
    const request = toAuthRequest(loadEvent("rest-request-console-test"), [
      { kind: "query", name: "token" },
    ]) as AuthRequest;
    assert.equal(request.token, null);
    assert.equal(request.tokenProblem, 'no query parameter "token"');
  });

  test("the placeholder substitution leaves the event type alone", () => {
    assert.equal(loadEvent("rest-token").type, "TOKEN");
    assert.equal(loadEvent("rest-token").authorizationToken, `Bearer ${JWT}`);
  });
});
