/**
 * Unit: Gateway Responses a definition customizes, applied to the gateway's own answers. Each
 * expectation is written out by hand from AWS's documentation (supported-gateway-response-types.html,
 * the x-amazon-apigateway-gateway-responses pages, api-gateway-known-issues.html).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { GatewayResponseDefinition } from "../../../src/dev/definition/model.js";
import {
  customizeGatewayResponse,
  GATEWAY_RESPONSE_STATUS,
  type GatewayAnswer,
  type GatewayResponseType,
} from "../../../src/dev/gateway-responses.js";

const answer = (status: number, body: string, extra: Record<string, string> = {}): GatewayAnswer => ({
  status,
  headers: { "content-type": "application/json", "x-amzn-RequestId": "req-1", ...extra },
  body,
});
const def = (
  type: string,
  rest: Partial<Omit<GatewayResponseDefinition, "type">> = {},
): GatewayResponseDefinition => ({ type, headers: {}, templates: {}, ...rest });
const ctx = { requestId: "req-1", message: "Unauthorized" };

describe("gateway responses: default statuses (supported-gateway-response-types.html)", () => {
  const expected: Record<string, number> = {
    ACCESS_DENIED: 403,
    API_CONFIGURATION_ERROR: 500,
    AUTHORIZER_CONFIGURATION_ERROR: 500,
    AUTHORIZER_FAILURE: 500,
    BAD_REQUEST_PARAMETERS: 400,
    BAD_REQUEST_BODY: 400,
    EXPIRED_TOKEN: 403,
    INTEGRATION_FAILURE: 504,
    INTEGRATION_TIMEOUT: 504,
    INVALID_API_KEY: 403,
    INVALID_SIGNATURE: 403,
    MISSING_AUTHENTICATION_TOKEN: 403,
    QUOTA_EXCEEDED: 429,
    REQUEST_TOO_LARGE: 413,
    RESOURCE_NOT_FOUND: 404,
    THROTTLED: 429,
    UNAUTHORIZED: 401,
    UNSUPPORTED_MEDIA_TYPE: 415,
    WAF_FILTERED: 403,
  };
  it("every type has AWS's default status", () => {
    assert.deepEqual({ ...GATEWAY_RESPONSE_STATUS }, expected);
  });
});

describe("gateway responses: customization per type", () => {
  const cases: Array<[GatewayResponseType, number, string, string]> = [
    ["UNAUTHORIZED", 401, '{"message":"Unauthorized"}', "Unauthorized"],
    [
      "ACCESS_DENIED",
      403,
      '{"Message":"User is not authorized to access this resource with an explicit deny"}',
      "User is not authorized to access this resource with an explicit deny",
    ],
    ["AUTHORIZER_FAILURE", 500, '{"message":null}', "null"],
    ["AUTHORIZER_CONFIGURATION_ERROR", 500, '{"message":null}', "null"],
    [
      "MISSING_AUTHENTICATION_TOKEN",
      403,
      '{"message":"Missing Authentication Token"}',
      "Missing Authentication Token",
    ],
    ["INTEGRATION_TIMEOUT", 504, '{"message": "Endpoint request timed out"}', "Endpoint request timed out"],
    ["INVALID_API_KEY", 403, '{"message":"Forbidden"}', "Forbidden"],
    ["THROTTLED", 429, '{"message":"Too Many Requests"}', "Too Many Requests"],
    ["QUOTA_EXCEEDED", 429, '{"message":"Limit Exceeded"}', "Limit Exceeded"],
    ["API_CONFIGURATION_ERROR", 500, '{"message": "Internal server error"}', "Internal server error"],
  ];
  for (const [type, status, body, message] of cases) {
    it(`${type}: its own status, header and template`, () => {
      const out = customizeGatewayResponse(
        type,
        answer(status, body),
        [
          def(type, {
            statusCode: 418,
            headers: { "gatewayresponse.header.X-Kind": `'${type.toLowerCase()}'` },
            templates: {
              "application/json":
                '{"error":$context.error.messageString,"type":"$context.error.responseType","id":"$context.requestId"}',
            },
          }),
        ],
        { requestId: "req-1", message: message === "null" ? null : message },
      );
      assert.equal(out.status, 418);
      assert.equal(out.headers["X-Kind"], type.toLowerCase());
      assert.equal(out.headers["x-amzn-RequestId"], "req-1", "the gateway's own headers stay");
      const quoted = message === "null" ? "null" : `"${message}"`;
      assert.equal(out.body, `{"error":${quoted},"type":"${type}","id":"req-1"}`);
      assert.equal(out.headers["content-type"], "application/json");
    });
    it(`${type}: without its own customization, the DEFAULT_${String(status)[0]}XX one applies`, () => {
      const out = customizeGatewayResponse(
        type,
        answer(status, body),
        [def(`DEFAULT_${String(status)[0]}XX`, { headers: { "Access-Control-Allow-Origin": "'*'" } })],
        { requestId: "req-1", message },
      );
      assert.equal(out.status, status, "no statusCode on the default: the type's own status");
      assert.equal(out.headers["Access-Control-Allow-Origin"], "*");
      assert.equal(out.body, body, "no template: the default body");
    });
  }

  it("a statusCode on DEFAULT_4XX changes every 4XX answer that sets none", () => {
    const out = customizeGatewayResponse(
      "UNAUTHORIZED",
      answer(401, '{"message":"Unauthorized"}'),
      [def("DEFAULT_4XX", { statusCode: 400 }), def("UNAUTHORIZED", { headers: { "X-A": "'1'" } })],
      ctx,
    );
    assert.equal(out.status, 400);
    assert.equal(out.headers["X-A"], "1");
  });

  it("a DEFAULT_5XX customization does not touch a 4XX answer, and the reverse", () => {
    const a = answer(401, '{"message":"Unauthorized"}');
    assert.equal(
      customizeGatewayResponse("UNAUTHORIZED", a, [def("DEFAULT_5XX", { statusCode: 599 })], ctx),
      a,
    );
    const b = answer(500, '{"message":null}');
    assert.equal(
      customizeGatewayResponse(
        "AUTHORIZER_CONFIGURATION_ERROR",
        b,
        [def("DEFAULT_4XX", { statusCode: 499 })],
        ctx,
      ),
      b,
    );
  });

  it("REQUEST_TOO_LARGE is not customizable (api-gateway-known-issues.html)", () => {
    const a = answer(413, '{"message": "Request Too Long"}');
    const out = customizeGatewayResponse(
      "REQUEST_TOO_LARGE",
      a,
      [
        def("REQUEST_TOO_LARGE", { statusCode: 400, templates: { "application/json": "{}" } }),
        def("DEFAULT_4XX", { statusCode: 400 }),
      ],
      ctx,
    );
    assert.equal(out, a);
  });

  it("header mappings: method.request.header/querystring/path, context.requestId, context.authorizer.x", () => {
    const out = customizeGatewayResponse(
      "ACCESS_DENIED",
      answer(403, "{}"),
      [
        def("ACCESS_DENIED", {
          headers: {
            "gatewayresponse.header.x-from-header": "method.request.header.X-Tenant",
            "gatewayresponse.header.x-from-query": "method.request.querystring.q",
            "gatewayresponse.header.x-from-path": "method.request.path.id",
            "gatewayresponse.header.x-request": "context.requestId",
            "gatewayresponse.header.x-reason": "context.authorizer.reason",
            "gatewayresponse.header.x-count": "context.authorizer.count",
            "gatewayresponse.header.x-missing": "method.request.header.absent",
          },
          templates: {
            "application/json":
              // biome-ignore lint/suspicious/noTemplateCurlyInString: the `${context.X}` form of a Gateway Response template
              '{"reason":"$context.authorizer.reason","n":${context.authorizer.count},"s":"$stageVariables.v"}',
          },
        }),
      ],
      {
        requestId: "abc",
        message: "User is not authorized to access this resource with an explicit deny",
        headers: { "x-tenant": "t1" },
        query: { q: "search" },
        pathParameters: { id: "42" },
        authorizer: { reason: "suspended", count: 3 },
        stageVariables: { v: "blue" },
      },
    );
    assert.equal(out.headers["x-from-header"], "t1", "request header names are case-insensitive");
    assert.equal(out.headers["x-from-query"], "search");
    assert.equal(out.headers["x-from-path"], "42");
    assert.equal(out.headers["x-request"], "abc");
    assert.equal(out.headers["x-reason"], "suspended");
    assert.equal(out.headers["x-count"], "3");
    assert.equal("x-missing" in out.headers, false, "a mapping the request cannot fill is left out");
    assert.equal(out.body, '{"reason":"suspended","n":3,"s":"blue"}');
  });

  it("$context.error.message is the bare message; an unknown variable renders as nothing", () => {
    const out = customizeGatewayResponse(
      "UNAUTHORIZED",
      answer(401, "{}"),
      [
        def("UNAUTHORIZED", {
          templates: { "application/json": "<$context.error.message|$context.nope|#if($x)y#end>" },
        }),
      ],
      ctx,
    );
    assert.equal(out.body, "<Unauthorized||#if($x)y#end>", "no VTL: directives stay as text");
  });

  it("the application/json template is used, else the first; its content type is the answer's", () => {
    const out = customizeGatewayResponse(
      "UNAUTHORIZED",
      answer(401, "{}"),
      [def("UNAUTHORIZED", { templates: { "text/plain": "denied", "application/json": '{"a":1}' } })],
      ctx,
    );
    assert.equal(out.body, '{"a":1}');
    const xml = customizeGatewayResponse(
      "UNAUTHORIZED",
      answer(401, "{}"),
      [def("UNAUTHORIZED", { templates: { "application/xml": "<denied/>" } })],
      ctx,
    );
    assert.equal(xml.body, "<denied/>");
    assert.equal(xml.headers["content-type"], "application/xml");
  });

  it("a header value that would split the response is left out", () => {
    const out = customizeGatewayResponse(
      "UNAUTHORIZED",
      answer(401, "{}"),
      [def("UNAUTHORIZED", { headers: { "x-echo": "method.request.header.x-in" } })],
      { ...ctx, headers: { "x-in": "a\r\nset-cookie: b" } },
    );
    assert.equal("x-echo" in out.headers, false);
  });

  it("no definitions: the answer itself", () => {
    const a = answer(401, "{}");
    assert.equal(customizeGatewayResponse("UNAUTHORIZED", a, [], ctx), a);
    assert.equal(customizeGatewayResponse("UNAUTHORIZED", a, undefined, ctx), a);
  });
});
