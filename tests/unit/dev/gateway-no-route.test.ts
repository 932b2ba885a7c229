/**
 * Unit: the answer to a request no route matches, per API type, and the Gateway Responses applied
 * to it (REST `MISSING_AUTHENTICATION_TOKEN`), through `Gateway.noRoute` and `Gateway.answer`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { DevApiType } from "../../../src/config/types.js";
import { DEFAULT_API_IDENTITY } from "../../../src/dev/events.js";
import { Gateway } from "../../../src/dev/gateway.js";
import { parseIdentitySources } from "../../../src/dev/identity.js";
import { integrationFailureAnswer } from "../../../src/dev/limits.js";
import { type DevRequest, RouteTable } from "../../../src/dev/request.js";
import { createMemoryLogger } from "../../../src/log.js";

const gateway = (
  api: DevApiType,
  gatewayResponses?: ConstructorParameters<typeof Gateway>[0]["gatewayResponses"],
) =>
  new Gateway({
    api,
    stage: "prod",
    identitySources: parseIdentitySources(["header:authorization"], api),
    resultTtlSeconds: 0,
    authorizer: async () => ({}),
    timeoutMs: 1000,
    ids: DEFAULT_API_IDENTITY,
    routes: new RouteTable([]),
    now: Date.now,
    logger: createMemoryLogger(),
    ...(gatewayResponses ? { gatewayResponses } : {}),
  });

const request: DevRequest = {
  method: "GET",
  path: "/nowhere",
  rawQuery: "q=1",
  rawHeaders: ["Host", "127.0.0.1", "Accept", "application/json"],
  sourceIp: "127.0.0.1",
  protocol: "HTTP/1.1",
  requestId: "11111111-2222-3333-4444-555555555555",
  timeEpoch: 0,
};

describe("gateway: no route", () => {
  it("rest: 403 Missing Authentication Token with MissingAuthenticationTokenException", () => {
    const out = gateway("rest-request").noRoute(request);
    assert.equal(out.status, 403);
    assert.equal(out.body, '{"message":"Missing Authentication Token"}');
    assert.equal(out.headers["x-amzn-ErrorType"], "MissingAuthenticationTokenException");
    assert.equal(out.headers["x-amzn-RequestId"], request.requestId);
  });

  it("http api: 404 Not Found with apigw-requestid", () => {
    const out = gateway("http-v2-simple").noRoute(request);
    assert.equal(out.status, 404);
    assert.equal(out.body, '{"message":"Not Found"}');
    assert.equal(out.headers["apigw-requestid"], request.requestId);
    assert.equal(out.headers["x-amzn-ErrorType"], undefined);
  });

  it("rest: a MISSING_AUTHENTICATION_TOKEN customization (AWS's own example: 404 and a hint) applies", () => {
    const out = gateway("rest-token", [
      {
        type: "MISSING_AUTHENTICATION_TOKEN",
        statusCode: 404,
        headers: { "gatewayresponse.header.x-request-header": "method.request.header.Accept" },
        templates: {
          "application/json":
            '{"message":$context.error.messageString, "hint":"The HTTP method or resources may not be supported."}',
        },
      },
    ]).noRoute(request);
    assert.equal(out.status, 404);
    assert.equal(out.headers["x-request-header"], "application/json");
    assert.equal(
      out.body,
      '{"message":"Missing Authentication Token", "hint":"The HTTP method or resources may not be supported."}',
    );
  });

  it("http api: customizations are ignored (HTTP APIs have no Gateway Responses)", () => {
    const out = gateway("http-v1", [
      { type: "RESOURCE_NOT_FOUND", statusCode: 400, headers: {}, templates: { "application/json": "{}" } },
    ]).noRoute(request);
    assert.equal(out.status, 404);
  });

  it("rest: answer() of an integration failure carries the request id and error type", () => {
    const out = gateway("rest-request").answer(integrationFailureAnswer("rest-request", false), request, {
      "x-cors": "1",
    });
    assert.equal(out.status, 502);
    assert.equal(out.body, '{"message": "Internal server error"}');
    assert.equal(out.headers["x-cors"], "1");
    assert.equal(out.headers["x-amzn-ErrorType"], "InternalServerErrorException");
  });
});
