/**
 * Event detection and the adapters' reading of events: guard order, what an unknown event is
 * missing, hostile shapes (null maps, non-string values, prototype keys), header
 * case-insensitivity, repeated headers, cookies and query parameters per event shape.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { detectEventKind, toAuthRequest } from "../../../src/adapters/detect.js";
import { EventLookup } from "../../../src/adapters/event-lookup.js";
import { httpV1Adapter } from "../../../src/adapters/http-v1.js";
import { httpV2Adapter } from "../../../src/adapters/http-v2.js";
import { restRequestAdapter } from "../../../src/adapters/rest-request.js";
import { restTokenAdapter } from "../../../src/adapters/rest-token.js";
import type { AuthRequest, UnrecognizedEvent } from "../../../src/adapters/types.js";
import { websocketAdapter } from "../../../src/adapters/websocket.js";
import type { TokenSource } from "../../../src/config/types.js";
import { JWT, loadEvent } from "./fixtures.js";

const AUTH: TokenSource[] = [{ kind: "header", name: "authorization" }];
const ADAPTERS = [httpV2Adapter, httpV1Adapter, restTokenAdapter, websocketAdapter, restRequestAdapter];

function request(event: unknown, sources: readonly TokenSource[] = AUTH): AuthRequest {
  const result = toAuthRequest(event, sources);
  assert.notEqual(result.kind, null, `not recognised: ${(result as UnrecognizedEvent).missing}`);
  return result as AuthRequest;
}

function unrecognized(event: unknown): string {
  const result = toAuthRequest(event, AUTH);
  assert.equal(result.kind, null);
  return (result as UnrecognizedEvent).missing;
}

const REST_ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/GET/orders";
const WS_ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/$connect";

describe("detection order", () => {
  test("each fixture is recognised by exactly its own guard among the specific ones", () => {
    assert.equal(detectEventKind(loadEvent("http-v2")), "http-v2");
    assert.equal(detectEventKind(loadEvent("http-v1")), "http-v1");
    assert.equal(detectEventKind(loadEvent("rest-token")), "rest-token");
    assert.equal(detectEventKind(loadEvent("websocket-connect")), "websocket");
    assert.equal(detectEventKind(loadEvent("rest-request")), "rest-request");
  });

  test("HTTP 1.0 is REST REQUEST plus version (and authorizationToken): only the 1.0 guard takes it", () => {
    const event = loadEvent("http-v1");
    assert.equal(restRequestAdapter.matches(event), false);
    assert.equal(websocketAdapter.matches(event), false);
    assert.equal(restTokenAdapter.matches(event), false);
    assert.equal(request(event).kind, "http-v1");
  });

  test("a TOKEN event that also carries version 1.0 (serverless-offline) is still TOKEN", () => {
    const event = { ...loadEvent("rest-token"), version: "1.0", headers: {} };
    const r = request(event);
    assert.equal(r.kind, "rest-token");
    assert.equal(r.token, JWT);
  });

  test("WebSocket also looks like REST REQUEST: the $connect ARN wins", () => {
    const event = loadEvent("websocket-connect");
    assert.ok(restRequestAdapter.matches(event));
    assert.equal(request(event).kind, "websocket");
  });

  test("WebSocket by ARN alone, or by eventType alone", () => {
    assert.equal(detectEventKind({ type: "REQUEST", methodArn: WS_ARN }), "websocket");
    assert.equal(
      detectEventKind({
        type: "REQUEST",
        methodArn: "arn:aws:execute-api:r:1:api/prod/x",
        requestContext: { eventType: "CONNECT" },
      }),
      "websocket",
    );
  });

  test("a REST resource named $connect is REST, not WebSocket (the ARN has a verb)", () => {
    const event = {
      type: "REQUEST",
      methodArn: "arn:aws:execute-api:us-east-1:123456789012:abcdef123/prod/GET/$connect",
    };
    assert.equal(detectEventKind(event), "rest-request");
  });

  test("WebSocket route key from the ARN when requestContext is missing", () => {
    assert.equal(request({ type: "REQUEST", methodArn: WS_ARN }).routeKey, "$connect");
  });

  test("HTTP 2.0 routeKey falls back to requestContext.routeKey, rawPath to requestContext.http.path", () => {
    const event = loadEvent("http-v2");
    delete event.routeKey;
    delete event.rawPath;
    const r = request(event);
    assert.equal(r.routeKey, "GET /orders/{id}");
    assert.equal(r.path, "/prod/orders/42");
  });

  test("REST method falls back to requestContext.httpMethod", () => {
    const event = loadEvent("rest-request");
    delete event.httpMethod;
    assert.equal(request(event).method, "GET");
  });
});

describe("unrecognised events name what is missing", () => {
  const cases: Array<[unknown, string]> = [
    [null, "the event is null, not an object"],
    [undefined, "the event is undefined, not an object"],
    [42, "the event is a number, not an object"],
    ["TOKEN", "the event is a string, not an object"],
    [[{ type: "TOKEN" }], "the event is an array, not an object"],
    [{}, 'no type ("TOKEN" or "REQUEST") and no version ("1.0" or "2.0")'],
    [{ type: "TOKEN", methodArn: REST_ARN }, "a TOKEN event without a string authorizationToken"],
    [{ type: "TOKEN", authorizationToken: "x" }, "a TOKEN event without a string methodArn"],
    [
      { type: "TOKEN", authorizationToken: null, methodArn: 5 },
      "a TOKEN event without a string authorizationToken and methodArn",
    ],
    [{ type: "REQUEST" }, 'a REQUEST event without a string methodArn (or routeArn with version "2.0")'],
    [
      { type: "REQUEST", routeArn: REST_ARN },
      'a REQUEST event without a string methodArn (or routeArn with version "2.0")',
    ],
    [
      { version: "2.0", type: "REQUEST", methodArn: REST_ARN },
      'an HTTP API 2.0 event (version "2.0") without a string routeArn',
    ],
    [
      { version: "1.0", type: "REQUEST", routeArn: REST_ARN },
      'an HTTP API 1.0 event (version "1.0") without a string methodArn',
    ],
    [{ version: "3.0", routeArn: REST_ARN }, 'an unsupported version (expected "1.0" or "2.0")'],
    [
      { type: "token", authorizationToken: "x", methodArn: REST_ARN },
      'an unsupported type (expected "TOKEN" or "REQUEST")',
    ],
  ];
  for (const [event, missing] of cases) {
    test(JSON.stringify(event) ?? String(event), () => assert.equal(unrecognized(event), missing));
  }

  test("the message never echoes event values", () => {
    const missing = unrecognized({ type: "SECRET-TYPE-VALUE", authorizationToken: JWT });
    assert.ok(!missing.includes("SECRET") && !missing.includes(JWT));
  });
});

describe("hostile shapes never throw", () => {
  test("inherited fields never count (prototype keys)", () => {
    const inherited = Object.create({
      type: "TOKEN",
      authorizationToken: `Bearer ${JWT}`,
      methodArn: REST_ARN,
    });
    assert.equal(detectEventKind(inherited), null);
    const parsed = JSON.parse(
      `{"__proto__": {"type": "TOKEN", "authorizationToken": "Bearer ${JWT}", "methodArn": "${REST_ARN}"}}`,
    );
    assert.equal(detectEventKind(parsed), null);
  });

  test("a header map that inherits the token does not yield it", () => {
    const headers = Object.create({ authorization: `Bearer ${JWT}` });
    const r = request({ type: "REQUEST", methodArn: REST_ARN, headers });
    assert.equal(r.token, null);
    assert.equal(r.tokenProblem, "no Authorization header");
  });

  test("__proto__ as a header, cookie and query key", () => {
    const event = JSON.parse(
      `{"type":"REQUEST","methodArn":"${REST_ARN}","headers":{"__proto__":"Bearer ${JWT}","constructor":"x"},"queryStringParameters":{"__proto__":"${JWT}"}}`,
    );
    assert.equal(request(event, [{ kind: "header", name: "__proto__" }]).token, JWT);
    assert.equal(request(event, [{ kind: "query", name: "__proto__" }]).token, JWT);
    assert.equal(request(event, [{ kind: "header", name: "toString" }]).token, null);
    assert.equal(request(event, [{ kind: "query", name: "hasOwnProperty" }]).token, null);
    assert.equal(request(event, [{ kind: "cookie", name: "__proto__" }]).token, null);
  });

  test("null, array, number and string maps", () => {
    for (const map of [null, [], [`Bearer ${JWT}`], 7, "Bearer x", true]) {
      for (const event of [
        {
          type: "REQUEST",
          methodArn: REST_ARN,
          headers: map,
          multiValueHeaders: map,
          queryStringParameters: map,
          requestContext: map,
        },
        {
          version: "2.0",
          type: "REQUEST",
          routeArn: REST_ARN,
          headers: map,
          cookies: map,
          queryStringParameters: map,
          requestContext: map,
        },
        {
          type: "REQUEST",
          methodArn: WS_ARN,
          headers: map,
          multiValueQueryStringParameters: map,
          requestContext: map,
        },
      ]) {
        const sources: TokenSource[] = [...AUTH, { kind: "cookie", name: "s" }, { kind: "query", name: "q" }];
        const r = request(event, sources);
        assert.equal(r.token, null);
      }
    }
  });

  test("non-string header values are ignored", () => {
    for (const value of [null, 1, true, {}, { toString: () => `Bearer ${JWT}` }, [null, 3]]) {
      const r = request({
        type: "REQUEST",
        methodArn: REST_ARN,
        headers: { Authorization: value },
        multiValueHeaders: { Authorization: value },
      });
      assert.equal(r.token, null, JSON.stringify(value));
    }
  });

  test("non-string method, path, routeKey become null", () => {
    const r = request({
      version: "2.0",
      routeArn: REST_ARN,
      routeKey: 5,
      rawPath: {},
      requestContext: { http: { method: ["GET"] } },
    });
    assert.deepEqual([r.method, r.path, r.routeKey], [null, null, null]);
  });

  test("toRequest called directly with a non-matching value still answers", () => {
    for (const adapter of ADAPTERS) {
      for (const value of [null, 3, [], "x", {}]) {
        const r = (adapter.toRequest as (e: unknown, s: readonly TokenSource[]) => AuthRequest)(value, AUTH);
        assert.equal(r.kind, adapter.kind);
        assert.equal(r.arn, "");
        assert.equal(r.token, null);
      }
    }
  });

  test("a throwing getter (not a JSON value) is caught", () => {
    const event = {
      type: "REQUEST",
      methodArn: REST_ARN,
      get headers(): never {
        throw new Error("boom");
      },
    };
    assert.deepEqual(toAuthRequest(event, AUTH), { kind: null, missing: "the event could not be read" });
    const proxy = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error("boom");
        },
        getOwnPropertyDescriptor: () => {
          throw new Error("boom");
        },
      },
    );
    assert.equal(detectEventKind(proxy), null);
  });
});

describe("headers", () => {
  test("REST: names compare case-insensitively whatever the configured or sent case", () => {
    for (const sent of ["Authorization", "authorization", "AUTHORIZATION", "aUtHoRiZaTiOn"]) {
      const event = { type: "REQUEST", methodArn: REST_ARN, headers: { [sent]: `Bearer ${JWT}` } };
      assert.equal(request(event).token, JWT, sent);
      assert.equal(request(event, [{ kind: "header", name: "AUTHORIZATION" }]).token, JWT, sent);
    }
  });

  test("HTTP 2.0: lower-case names, mixed case (old docs example) still found", () => {
    const event = loadEvent("http-v2");
    assert.equal(request(event).token, JWT);
    event.headers = { Authorization: `Bearer ${JWT}` };
    assert.equal(request(event).token, JWT);
  });

  test("a custom header source", () => {
    const event = loadEvent("rest-request");
    (event.headers as Record<string, string>)["X-Api-Token"] = JWT;
    assert.equal(request(event, [{ kind: "header", name: "x-api-token" }]).token, JWT);
  });

  test("multiValueHeaders wins when present: two Authorization values are refused", () => {
    const event = loadEvent("rest-request");
    event.multiValueHeaders = { Authorization: [`Bearer ${JWT}`, "Bearer other.token.here"] };
    const r = request(event);
    assert.equal(r.token, null);
    assert.equal(r.tokenProblem, "Authorization header has a malformed Bearer credential");
  });

  test("the same header under two spellings counts twice (ambiguous, refused)", () => {
    const event = {
      type: "REQUEST",
      methodArn: REST_ARN,
      headers: { Authorization: `Bearer ${JWT}`, authorization: `Bearer ${JWT}` },
    };
    assert.equal(request(event).token, null);
  });

  test("HTTP 2.0 repeated headers arrive joined with commas: refused", () => {
    const event = loadEvent("http-v2");
    event.headers = { authorization: `Bearer ${JWT},Bearer ${JWT}` };
    assert.equal(request(event).token, null);
  });

  test("headers without multiValueHeaders (the docs' example)", () => {
    const event = loadEvent("rest-request");
    delete event.multiValueHeaders;
    assert.equal(request(event).token, JWT);
  });

  test("an empty multiValueHeaders entry falls back to headers", () => {
    const event = loadEvent("rest-request");
    event.multiValueHeaders = { Authorization: [] };
    assert.equal(request(event).token, JWT);
  });

  test("a header longer than the cap is too large, without looking at it", () => {
    const event = {
      type: "REQUEST",
      methodArn: REST_ARN,
      headers: { Authorization: `Bearer ${"a".repeat(20_000)}` },
    };
    assert.equal(request(event).tokenProblem, "Authorization header too large");
    const many = {
      type: "REQUEST",
      methodArn: REST_ARN,
      multiValueHeaders: { Authorization: Array(3000).fill("Bearer abcdefgh") },
    };
    assert.equal(request(many).tokenProblem, "Authorization header too large");
  });
});

describe("cookies", () => {
  const SESSION: TokenSource[] = [{ kind: "cookie", name: "session" }];

  /** The cookie `name` of a request whose `Cookie` header is `header`, as the adapters read it. */
  const cookieFromHeader = (header: string, name: string) =>
    new EventLookup({ headers: { cookie: header }, queryStringParameters: null }).cookie(name);

  test("cookieFromHeader", () => {
    assert.equal(cookieFromHeader("a=1; session=tok; b=2", "session"), "tok");
    assert.equal(cookieFromHeader("session=tok", "session"), "tok");
    assert.equal(cookieFromHeader("session = tok ;x=1", "session"), "tok");
    assert.equal(cookieFromHeader('session="tok"', "session"), "tok", "quoted value");
    assert.equal(cookieFromHeader("session=first; session=second", "session"), "first", "first wins");
    assert.equal(
      cookieFromHeader("xsession=a; session_id=b", "session"),
      undefined,
      "prefix or suffix of another name",
    );
    assert.equal(cookieFromHeader("Session=a", "session"), undefined, "names are case-sensitive");
    assert.equal(cookieFromHeader("session", "session"), undefined, "no '='");
    assert.equal(cookieFromHeader("a=session=tok", "session"), undefined, "inside another value");
    assert.equal(cookieFromHeader("session=", "session"), "");
    assert.equal(cookieFromHeader(";;; ;session=tok;", "session"), "tok");
    assert.equal(cookieFromHeader("=tok", ""), undefined);
  });

  test("REST: from the Cookie header, any case", () => {
    const event = { type: "REQUEST", methodArn: REST_ARN, headers: { cookie: `theme=dark; session=${JWT}` } };
    assert.equal(request(event, SESSION).token, JWT);
  });

  test("REST: several Cookie headers are one list", () => {
    const event = {
      type: "REQUEST",
      methodArn: REST_ARN,
      multiValueHeaders: { Cookie: ["theme=dark", `session=${JWT}`] },
    };
    assert.equal(request(event, SESSION).token, JWT);
  });

  test("HTTP 2.0: from the cookies array, non-strings skipped, first wins", () => {
    const event = loadEvent("http-v2");
    event.cookies = [3, null, "theme=dark", `session=${JWT}`, "session=later.token.x"];
    assert.equal(request(event, SESSION).token, JWT);
  });

  test("HTTP 2.0: an oversized entry for the cookie is too large; for another cookie it is skipped", () => {
    const event = loadEvent("http-v2");
    event.cookies = [`other=${"a".repeat(20_000)}`, `session=${JWT}`];
    assert.equal(request(event, SESSION).token, JWT);
    event.cookies = [`session=${"a".repeat(20_000)}`];
    assert.equal(request(event, SESSION).tokenProblem, 'cookie "session" too large');
  });

  test("HTTP 2.0 without a cookies array falls back to a Cookie header", () => {
    const event = loadEvent("http-v2");
    delete event.cookies;
    event.headers = { cookie: `session=${JWT}` };
    assert.equal(request(event, SESSION).token, JWT);
  });

  test("a present cookie that is not a JWT", () => {
    const event = { type: "REQUEST", methodArn: REST_ARN, headers: { Cookie: "session=s%3Aabc.def" } };
    assert.equal(request(event, SESSION).tokenProblem, 'cookie "session" is not a JWT');
  });
});

describe("query parameters", () => {
  const Q: TokenSource[] = [{ kind: "query", name: "access_token" }];

  test("names are case-sensitive", () => {
    const event = { type: "REQUEST", methodArn: REST_ARN, queryStringParameters: { Access_Token: JWT } };
    assert.equal(request(event, Q).token, null);
  });

  test("REST: multiValueQueryStringParameters wins; a repeated parameter is refused", () => {
    const event = {
      type: "REQUEST",
      methodArn: REST_ARN,
      queryStringParameters: { access_token: JWT },
      multiValueQueryStringParameters: { access_token: ["first.jwt.x", JWT] },
    };
    assert.equal(request(event, Q).token, null);
    event.multiValueQueryStringParameters = { access_token: [JWT] };
    assert.equal(request(event, Q).token, JWT);
  });

  test("HTTP 2.0 and WebSocket", () => {
    const v2 = loadEvent("http-v2");
    v2.queryStringParameters = { access_token: JWT };
    assert.equal(request(v2, Q).token, JWT);
    assert.equal(request(loadEvent("websocket-connect"), Q).token, JWT);
  });
});
