/**
 * e2e: the local gateway enforces API Gateway's limits on authorizer responses (the WebSocket 8 KB
 * result size, JSON nesting depth), and gatepass's own authorizer answers within them, over HTTP.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
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
