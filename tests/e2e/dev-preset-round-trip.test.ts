/**
 * The development issuer's provider-shaped tokens against the configuration's presets: a token
 * minted with `POST /token` and `preset` is accepted by an issuer with the same preset and
 * parameters, with only the key source (the dev JWKS) and the algorithm (the dev key's ES256) given
 * explicitly, and the scopes it was minted with reach `scopes` rules through the provider's own
 * scope claim. A token of one provider is refused by another's preset. What each shape contains is
 * checked against jose in dev-issuer-presets.test.ts; this file holds the two sides together.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createAuthorizer, createLogger } from "../../src/index.js";
import { call, startTestServer, type TestServer } from "../fixtures/dev/harness.js";

const TENANT = "9122040d-6c67-4c5b-b112-36a304b66dad";
const ARN = "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/prod/GET/orders/7";

/** Per preset: what `POST /token` gets, and the issuer entry of the configuration. */
const CASES: Record<string, { mint: Record<string, unknown>; issuer: Record<string, unknown> }> = {
  cognito: {
    mint: { userPoolId: "eu-west-1_AbCdEf123", tokenUse: "access", clientId: "4o5p6q7r8s" },
    issuer: { userPoolId: "eu-west-1_AbCdEf123", tokenUse: "access", clientId: ["4o5p6q7r8s"] },
  },
  auth0: {
    mint: { domain: "acme.eu.auth0.com", aud: "https://api.acme.example" },
    issuer: { domain: "acme.eu.auth0.com", audience: ["https://api.acme.example"] },
  },
  okta: {
    mint: { issuer: "https://acme.okta.com/oauth2/default", aud: "api://default" },
    issuer: { issuer: "https://acme.okta.com/oauth2/default", audience: ["api://default"] },
  },
  entra: {
    mint: { tenantId: "organizations", allowedTenants: [TENANT], aud: "api-client-id" },
    issuer: { tenantId: "organizations", allowedTenants: [TENANT], audience: ["api-client-id"] },
  },
  keycloak: {
    mint: { url: "https://kc.acme.example", realm: "acme", aud: "orders-api" },
    issuer: { url: "https://kc.acme.example", realm: "acme", audience: ["orders-api"] },
  },
  google: {
    mint: { aud: "1234.apps.googleusercontent.com" },
    issuer: { audience: ["1234.apps.googleusercontent.com"] },
  },
};

describe("dev issuer presets ⇄ configuration presets", () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  async function mint(preset: string, extra: Record<string, unknown>): Promise<string> {
    const res = await call(`${t.url}/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ preset, sub: "alice", ...CASES[preset]!.mint, ...extra }),
    });
    assert.equal(res.status, 200, res.text);
    return (res.json() as { access_token: string }).access_token;
  }

  function authorizer(preset: string, route: Record<string, unknown>) {
    return createAuthorizer(
      {
        issuers: [
          {
            preset,
            ...CASES[preset]!.issuer,
            jwksUri: `${t.url}/.well-known/jwks.json`,
            algorithms: ["ES256"],
          } as never,
        ],
        routes: [
          {
            route: "GET /orders/{id}",
            ...(Object.keys(route).length > 0 ? route : { allow: true }),
          } as never,
        ],
        unmatchedRoutes: "deny",
      },
      { logger: createLogger("silent") },
    );
  }

  const call401 = async (handler: ReturnType<typeof authorizer>, token: string) =>
    assert.rejects(
      (async () => handler({ type: "TOKEN", authorizationToken: `Bearer ${token}`, methodArn: ARN }))(),
      /^Error: Unauthorized$/,
    );

  for (const preset of Object.keys(CASES)) {
    const scoped = preset !== "google"; // Google ID tokens carry no scopes.
    it(`${preset}: accepted by its preset${scoped ? ", scopes reach the rules" : ""}`, async () => {
      const token = await mint(preset, scoped ? { scopes: ["orders:read"] } : {});
      const handler = authorizer(preset, scoped ? { scopes: ["orders:read"] } : {});
      const answer = (await handler({
        type: "TOKEN",
        authorizationToken: `Bearer ${token}`,
        methodArn: ARN,
      })) as {
        principalId: string;
        policyDocument: { Statement: { Effect: string; Resource: string[] }[] };
      };
      assert.equal(answer.principalId, "alice");
      assert.ok(answer.policyDocument.Statement.some((s) => s.Effect === "Allow"));
      if (scoped) {
        const without = await mint(preset, { scopes: ["orders:write"] });
        const denied = (await handler({
          type: "TOKEN",
          authorizationToken: `Bearer ${without}`,
          methodArn: ARN,
        })) as { policyDocument: { Statement: { Effect: string; Resource: string[] }[] } };
        assert.ok(
          !denied.policyDocument.Statement.some(
            (s) => s.Effect === "Allow" && s.Resource.some((r) => r.includes("GET/orders")),
          ),
          "a token without the scope is not allowed GET /orders/{id}",
        );
      }
    });
  }

  it("a token of one provider is refused by another's preset (401)", async () => {
    const presets = Object.keys(CASES);
    for (let i = 0; i < presets.length; i++) {
      const from = presets[i]!;
      const to = presets[(i + 1) % presets.length]!;
      await call401(authorizer(to, {}), await mint(from, {}));
    }
  });
});
