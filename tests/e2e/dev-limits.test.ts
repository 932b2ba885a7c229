/**
 * e2e: the local gateway enforces API Gateway's limits on authorizer responses (the WebSocket 8 KB
 * result size, JSON nesting depth), and gatepass's own authorizer answers within them, over HTTP.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { GatewayResponseDefinition } from "../../src/dev/definition/model.js";
import { bearer, call, startTestServer } from "../fixtures/dev/harness.js";

/** Thirteen `ANY` rules the principal fails, each with a longish path. */
const THIRTEEN_ANY_RULES = Array.from({ length: 13 }, (_, i) => ({
  route: `ANY /internal/service-number-${String(i).padStart(2, "0")}/administration/{proxy+}`,
  scopes: ["internal:admin"],
}));

describe("gatepass dev: authorizer result size", () => {
  it("websocket: gatepass's $connect answer for a principal failing 13 ANY rules is accepted (200)", async () => {
    const t = await startTestServer({
      config: {
        routes: THIRTEEN_ANY_RULES,
        unmatchedRoutes: "allow",
        context: { claims: ["sub", "scope"] },
        dev: { api: "websocket" },
      },
    });
    try {
      const user = bearer(t.server.mintToken({ sub: "demo-user", scope: "orders:read" }).access_token);
      const res = await call(`${t.url}/`, { headers: user });
      assert.equal(res.status, 200, res.text);
      const line = t.requests().at(-1)!;
      assert.equal(line.outcome, "allow");
    } finally {
      await t.close();
    }
  });

  it("websocket: an authorizer result over 8 KB is a 500 AuthorizerConfigurationException", async () => {
    const big = "x".repeat(9000);
    const t = await startTestServer({
      authorizer: async (event: unknown) => ({
        principalId: "u1",
        policyDocument: {
          Version: "2012-10-17",
          Statement: [
            {
              Action: "execute-api:Invoke",
              Effect: "Allow",
              Resource: (event as { methodArn: string }).methodArn,
            },
          ],
        },
        context: { big },
      }),
      dev: { api: "websocket", identitySources: ["header:authorization"] },
    });
    try {
      const res = await call(`${t.url}/`, { headers: bearer("anything") });
      assert.equal(res.status, 500, res.text.slice(0, 200));
      assert.equal(res.headers["x-amzn-errortype"], "AuthorizerConfigurationException");
      const line = t.lines.find((l) => l.event === "authorizer_invalid_response");
      assert.ok(line, "the invalid response is logged");
      assert.match(String(line.detail), /8192/);
    } finally {
      await t.close();
    }
  });

  it("websocket: an authorizer result of exactly 8192 bytes is accepted", async () => {
    const base = (arn: string, pad: string) => ({
      principalId: "u1",
      policyDocument: {
        Version: "2012-10-17",
        Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: arn }],
      },
      context: { pad },
    });
    const t = await startTestServer({
      authorizer: async (event: unknown) => {
        const arn = (event as { methodArn: string }).methodArn;
        const size = Buffer.byteLength(JSON.stringify(base(arn, "")));
        return base(arn, "y".repeat(8192 - size));
      },
      dev: { api: "websocket", identitySources: ["header:authorization"] },
    });
    try {
      const res = await call(`${t.url}/`, { headers: bearer("anything") });
      assert.equal(res.status, 200, res.text);
    } finally {
      await t.close();
    }
  });
});

/** `[[…[1]…]]`: `levels` nested arrays around a number. */
const nested = (levels: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
};

describe("gatepass dev: context nesting depth", () => {
  for (const api of ["http-v2-simple", "http-v2-iam"] as const) {
    it(`${api}: gatepass's answer with a claim nested 63 to 66 levels deep is accepted`, async () => {
      const t = await startTestServer({
        config: {
          routes: [],
          context: { claims: ["sub", "d63", "d64", "d65", "d66"] },
          httpApi: { response: api === "http-v2-iam" ? "iam" : "simple" },
          dev: { api, resultTtlSeconds: 0 },
        },
      });
      try {
        const claims = { d63: nested(63), d64: nested(64), d65: nested(65), d66: nested(66) };
        const token = t.server.mintToken({ sub: "deep-user", claims }).access_token;
        const res = await call(`${t.url}/hello`, { headers: bearer(token) });
        assert.equal(res.status, 200, res.text.slice(0, 300));
        const caller = (res.json() as { caller: { claims: Record<string, unknown> } }).caller;
        assert.deepEqual(caller.claims.d63, nested(63));
        assert.deepEqual(caller.claims.d64, nested(64));
        assert.equal(caller.claims.d65, undefined, "deeper than 64 levels: left out of the context");
        assert.equal(caller.claims.d66, undefined);
      } finally {
        await t.close();
      }
    });
  }

  it("http-v2-simple: the gateway accepts 64 levels and refuses 65 (500)", async () => {
    let depth = 64;
    const t = await startTestServer({
      authorizer: async () => ({ isAuthorized: true, context: { deep: nested(depth) } }),
      dev: { api: "http-v2-simple", identitySources: ["header:authorization"], resultTtlSeconds: 0 },
    });
    try {
      assert.equal((await call(`${t.url}/hello`, { headers: bearer("x") })).status, 200);
      depth = 65;
      const res = await call(`${t.url}/hello`, { headers: bearer("x") });
      assert.equal(res.status, 500, res.text.slice(0, 200));
    } finally {
      await t.close();
    }
  });
});

/** Allows every request: a REST policy for the ARN, or a simple `isAuthorized` for HTTP APIs. */
const allowAll = async (event: unknown) => {
  const e = event as { type?: string; methodArn?: string; routeArn?: string };
  if (e.methodArn !== undefined)
    return {
      principalId: "u1",
      policyDocument: {
        Version: "2012-10-17",
        Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: e.methodArn }],
      },
      context: { tenant: "t1" },
    };
  return { isAuthorized: true };
};
const restDev = {
  api: "rest-request" as const,
  identitySources: ["header:authorization"],
  resultTtlSeconds: 0,
};
const httpDev = {
  api: "http-v2-simple" as const,
  identitySources: ["header:authorization"],
  resultTtlSeconds: 0,
};
const ok = async () => ({ statusCode: 200, body: "ok" });

describe("gatepass dev: payload and header limits", { timeout: 60_000 }, () => {
  it("rest: a declared body over 10 MB is 413 before the authorizer runs", async () => {
    let calls = 0;
    const t = await startTestServer({
      authorizer: async (e: unknown) => {
        calls++;
        return allowAll(e);
      },
      lambda: ok,
      dev: restDev,
    });
    try {
      const body = Buffer.alloc(10 * 1024 * 1024 + 1, 97);
      const res = await call(`${t.url}/upload`, { method: "POST", headers: bearer("x"), body });
      assert.equal(res.status, 413);
      assert.equal(res.text, "HTTP content length exceeded 10485760 bytes.");
      assert.ok(res.headers["x-amzn-requestid"], "x-amzn-RequestId on the answer");
      assert.equal(calls, 0);
    } finally {
      await t.close();
    }
  });

  for (const [dev, body, errorType] of [
    [restDev, '{"message": "Request Too Long"}', "BadRequestException"],
    [httpDev, '{"message":"Request Entity Too Large"}', undefined],
  ] as const) {
    it(`${dev.api}: a Lambda event over 6 MB is 413 without invoking the handler`, async () => {
      let invoked = 0;
      const t = await startTestServer({
        authorizer: allowAll,
        lambda: async () => {
          invoked++;
          return { statusCode: 200, body: "ok" };
        },
        dev,
      });
      try {
        const big = Buffer.alloc(7 * 1024 * 1024, 97);
        const res = await call(`${t.url}/upload`, {
          method: "POST",
          headers: { ...bearer("x"), "content-type": "text/plain" },
          body: big,
        });
        assert.equal(res.status, 413);
        assert.equal(res.text, body);
        assert.equal(res.headers["x-amzn-errortype"], errorType);
        assert.equal(invoked, 0);
        const small = await call(`${t.url}/upload`, {
          method: "POST",
          headers: { ...bearer("x"), "content-type": "text/plain" },
          body: Buffer.alloc(5 * 1024 * 1024, 97),
        });
        assert.equal(small.status, 200, "5 MB fits");
      } finally {
        await t.close();
      }
    });
  }

  it("rest: header values over 10240 bytes in total are refused (431); 10240 are accepted", async () => {
    const t = await startTestServer({ authorizer: allowAll, lambda: ok, dev: restDev });
    try {
      // authorization "x" (1 byte) + host "127.0.0.1:PORT" + x-pad: fill up to exactly 10240.
      const host = new URL(t.url).host;
      const fill = 10_240 - Buffer.byteLength("x") - Buffer.byteLength(host) - Buffer.byteLength("close");
      const exact = await call(`${t.url}/h`, {
        headers: { authorization: "x", "x-pad": "p".repeat(fill), connection: "close" },
      });
      assert.equal(exact.status, 200, exact.text);
      const over = await call(`${t.url}/h`, {
        headers: { authorization: "x", "x-pad": "p".repeat(fill + 1), connection: "close" },
      });
      assert.equal(over.status, 431);
      assert.ok(over.headers["x-amzn-requestid"]);
    } finally {
      await t.close();
    }
  });

  it("http api: the request line counts toward the 10240 bytes", async () => {
    const t = await startTestServer({ authorizer: allowAll, lambda: ok, dev: httpDev });
    try {
      const res = await call(`${t.url}/${"a".repeat(6000)}`, {
        headers: { authorization: "x", "x-pad": "p".repeat(5000) },
      });
      assert.equal(res.status, 431);
      assert.ok(res.headers["apigw-requestid"]);
    } finally {
      await t.close();
    }
  });
});

describe("gatepass dev: integration timeout and error answers", { timeout: 60_000 }, () => {
  const slow = () => new Promise<never>(() => {});
  for (const [dev, status, body, errorType] of [
    [restDev, 504, '{"message": "Endpoint request timed out"}', "InternalServerErrorException"],
    [httpDev, 503, '{"message":"Service Unavailable"}', undefined],
  ] as const) {
    it(`${dev.api}: over integrationTimeoutMs the answer is ${status}`, async () => {
      const t = await startTestServer({ authorizer: allowAll, lambda: slow, integrationTimeoutMs: 200, dev });
      try {
        const started = Date.now();
        const res = await call(`${t.url}/slow`, { headers: bearer("x") });
        assert.equal(res.status, status);
        assert.equal(res.text, body);
        assert.equal(res.headers["x-amzn-errortype"], errorType);
        assert.ok(Date.now() - started < 2000);
      } finally {
        await t.close();
      }
    });
  }

  for (const [dev, expected] of [
    [restDev, 29_000],
    [httpDev, 30_000],
  ] as const) {
    it(`${dev.api}: the default integration timeout is ${expected} ms`, async () => {
      const t = await startTestServer({
        authorizer: allowAll,
        lambda: async (_e: unknown, context: { getRemainingTimeInMillis(): number }) => ({
          statusCode: 200,
          body: String(context.getRemainingTimeInMillis()),
        }),
        dev,
      });
      try {
        const remaining = Number((await call(`${t.url}/t`, { headers: bearer("x") })).text);
        assert.ok(remaining > expected - 1000 && remaining <= expected, String(remaining));
      } finally {
        await t.close();
      }
    });
  }

  it("rest: x-amzn-RequestId on every answer, x-amzn-ErrorType on errors; X-Amzn-Trace-Id reaches the Lambda", async () => {
    let seen: { headers: Record<string, string>; multiValueHeaders: Record<string, string[]> } | undefined;
    const t = await startTestServer({
      authorizer: async (e: unknown) => {
        const headers = (e as { headers: Record<string, string> }).headers;
        if (headers.authorization === "deny") throw new Error("Unauthorized");
        return allowAll(e);
      },
      lambda: async (event: unknown) => {
        seen = event as typeof seen;
        if ((event as { path: string }).path === "/fail") throw new Error("boom");
        return { statusCode: 200, body: "ok" };
      },
      dev: restDev,
    });
    try {
      const good = await call(`${t.url}/ok`, { headers: bearer("x") });
      assert.equal(good.status, 200);
      assert.ok(good.headers["x-amzn-requestid"]);
      assert.equal(good.headers["x-amzn-errortype"], undefined);
      assert.match(seen!.headers["X-Amzn-Trace-Id"]!, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
      assert.deepEqual(seen!.multiValueHeaders["X-Amzn-Trace-Id"], [seen!.headers["X-Amzn-Trace-Id"]]);
      await call(`${t.url}/ok`, {
        headers: { ...bearer("x"), "X-Amzn-Trace-Id": "Root=1-00000001-000000000000000000000001" },
      });
      assert.equal(
        seen!.headers["X-Amzn-Trace-Id"],
        "Root=1-00000001-000000000000000000000001",
        "the client's is kept",
      );
      const unauthorized = await call(`${t.url}/ok`, { headers: { authorization: "deny" } });
      assert.equal(unauthorized.status, 401);
      assert.ok(unauthorized.headers["x-amzn-requestid"]);
      assert.equal(unauthorized.headers["x-amzn-errortype"], "UnauthorizedException");
      const failed = await call(`${t.url}/fail`, { headers: bearer("x") });
      assert.equal(failed.status, 502);
      assert.equal(failed.text, '{"message": "Internal server error"}');
      assert.ok(failed.headers["x-amzn-requestid"]);
      assert.equal(failed.headers["x-amzn-errortype"], "InternalServerErrorException");
    } finally {
      await t.close();
    }
  });

  it("http api: apigw-requestid on answers; x-amzn-trace-id reaches the Lambda (lower case)", async () => {
    let seen: { headers: Record<string, string> } | undefined;
    const t = await startTestServer({
      authorizer: allowAll,
      lambda: async (event: unknown) => {
        seen = event as typeof seen;
        return { statusCode: 200, body: "ok" };
      },
      dev: httpDev,
    });
    try {
      const res = await call(`${t.url}/ok`, { headers: bearer("x") });
      assert.ok(res.headers["apigw-requestid"]);
      assert.equal(res.headers["x-amzn-requestid"], undefined);
      assert.match(seen!.headers["x-amzn-trace-id"]!, /^Root=1-/);
    } finally {
      await t.close();
    }
  });
});

describe("gatepass dev: Gateway Responses of a definition", { timeout: 60_000 }, () => {
  const gatewayResponses: GatewayResponseDefinition[] = [
    {
      type: "UNAUTHORIZED",
      statusCode: 401,
      headers: {
        "gatewayresponse.header.WWW-Authenticate": "'Bearer realm=\"orders\"'",
        "gatewayresponse.header.x-request": "context.requestId",
      },
      templates: {
        "application/json": '{"error":$context.error.messageString,"requestId":"$context.requestId"}',
      },
    },
    {
      type: "ACCESS_DENIED",
      headers: { "gatewayresponse.header.x-denied-tenant": "context.authorizer.tenant" },
      templates: { "application/json": '{"denied":"$context.authorizer.tenant"}' },
    },
    { type: "DEFAULT_5XX", headers: { "gatewayresponse.header.x-5xx": "'custom'" }, templates: {} },
    {
      type: "INTEGRATION_TIMEOUT",
      statusCode: 503,
      headers: {},
      templates: { "application/json": '{"timeout":true,"type":"$context.error.responseType"}' },
    },
  ];

  it("rest: UNAUTHORIZED, ACCESS_DENIED (with the Deny's context), DEFAULT_5XX and INTEGRATION_TIMEOUT apply", async () => {
    const t = await startTestServer({
      authorizer: async (e: unknown) => {
        const event = e as { headers: Record<string, string>; methodArn: string };
        const who = event.headers.authorization;
        if (who === "nobody") throw new Error("Unauthorized");
        return {
          principalId: "u1",
          policyDocument: {
            Version: "2012-10-17",
            Statement: [
              {
                Action: "execute-api:Invoke",
                Effect: who === "deny" ? "Deny" : "Allow",
                Resource: event.methodArn,
              },
            ],
          },
          context: { tenant: "acme" },
        };
      },
      lambda: async (event: unknown) => {
        const path = (event as { path: string }).path;
        if (path === "/slow") return new Promise(() => {});
        throw new Error("boom");
      },
      integrationTimeoutMs: 200,
      gatewayResponses,
      dev: restDev,
    });
    try {
      const missing = await call(`${t.url}/x`);
      assert.equal(missing.status, 401);
      assert.equal(missing.headers["www-authenticate"], 'Bearer realm="orders"');
      const id = missing.headers["x-amzn-requestid"];
      assert.ok(id);
      assert.equal(missing.headers["x-request"], id);
      assert.equal(missing.text, `{"error":"Unauthorized","requestId":"${id}"}`);
      assert.equal(missing.headers["x-amzn-errortype"], "UnauthorizedException", "the error type stays");

      const denied = await call(`${t.url}/x`, { headers: { authorization: "deny" } });
      assert.equal(denied.status, 403);
      assert.equal(denied.headers["x-denied-tenant"], "acme");
      assert.equal(denied.text, '{"denied":"acme"}');

      const failed = await call(`${t.url}/fail`, { headers: { authorization: "ok" } });
      assert.equal(failed.status, 502);
      assert.equal(failed.headers["x-5xx"], "custom");
      assert.equal(failed.text, '{"message": "Internal server error"}');

      const slow = await call(`${t.url}/slow`, { headers: { authorization: "ok" } });
      assert.equal(slow.status, 503);
      assert.equal(slow.text, '{"timeout":true,"type":"INTEGRATION_TIMEOUT"}');
    } finally {
      await t.close();
    }
  });

  it("http api: Gateway Responses do not exist; the answers stay AWS's defaults", async () => {
    const t = await startTestServer({
      authorizer: async () => ({ isAuthorized: false }),
      lambda: ok,
      gatewayResponses,
      dev: httpDev,
    });
    try {
      const res = await call(`${t.url}/x`, { headers: bearer("x") });
      assert.equal(res.status, 403);
      assert.deepEqual(res.json(), { message: "Forbidden" });
      assert.equal(res.headers["x-denied-tenant"], undefined);
    } finally {
      await t.close();
    }
  });
});
