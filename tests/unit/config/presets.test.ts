import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { presetsOf } from "../../../src/cli/inspect/report.js";
import { parseConfigShape } from "../../../src/config/schema.js";
import { ConfigError } from "../../../src/errors.js";
import { createAuthorizer } from "../../../src/lambda/authorizer.js";
import { createMemoryLogger } from "../../../src/log.js";
import { joseSign, jwksOf, testKey } from "../../helpers/keys.js";
import { loadEvent } from "../adapters/fixtures.js";

const KEY = testKey("RS256", 3);
const JWKS = jwksOf(KEY);

const issuersOf = (entry: Record<string, unknown>) => parseConfigShape({ issuers: [entry] }).issuers;

function refused(entry: Record<string, unknown>, field: string, words: RegExp): void {
  assert.throws(
    () => parseConfigShape({ issuers: [{ issuer: "https://plain.test/", secret: "x".repeat(32) }, entry] }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.field, field);
      assert.match(error.message, words);
      return true;
    },
  );
}

describe("issuer presets: expansion", () => {
  test("cognito derives both issuer forms, each with its own JWKS URL, and the token_use/client checks", () => {
    const issuers = issuersOf({
      preset: "cognito",
      userPoolId: "eu-west-1_AbC123",
      tokenUse: "access",
      clientId: "c1",
    });
    assert.deepEqual(
      issuers.map((i) => [i.issuer, i.jwksUri]),
      [
        [
          "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
          "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json",
        ],
        [
          "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
          "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/jwks.json",
        ],
      ],
    );
    for (const i of issuers) {
      assert.equal(i.audience, null);
      assert.deepEqual(i.clientId, ["c1"]);
      assert.deepEqual(i.clientIdClaim, ["client_id"]);
      assert.deepEqual(i.requiredClaimValues, { token_use: ["access"] });
      assert.deepEqual(i.algorithms, ["RS256"]);
      assert.equal(i.origin, 0);
      assert.equal(i.preset, "cognito");
    }
  });

  test("cognito: an EU sovereign-cloud pool id derives the region and the amazonaws.eu host", () => {
    const [first] = issuersOf({
      preset: "cognito",
      userPoolId: "eusc-de-east-1_AbC123",
      tokenUse: "id",
      clientId: ["a", "b"],
    });
    assert.equal(first!.issuer, "https://cognito-idp.eusc-de-east-1.amazonaws.eu/eusc-de-east-1_AbC123");
    assert.deepEqual(first!.audience, ["a", "b"]);
    assert.equal(first!.clientId, undefined);
  });

  test("an explicit field wins; an explicit key source replaces the derived one", () => {
    const issuers = issuersOf({
      preset: "cognito",
      userPoolId: "us-east-1_Zz9",
      tokenUse: "access",
      clientId: null,
      issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Zz9",
      algorithms: ["RS256", "ES256"],
      jwks: JWKS,
    });
    assert.equal(issuers.length, 1);
    assert.equal(issuers[0]!.jwksUri, undefined);
    assert.deepEqual(issuers[0]!.jwks, JWKS);
    assert.deepEqual(issuers[0]!.algorithms, ["RS256", "ES256"]);
    assert.equal(issuers[0]!.clientId, undefined);
  });

  test("auth0, okta, entra, keycloak and google derive their issuers and key URLs", () => {
    const one = (entry: Record<string, unknown>) => issuersOf(entry).map((i) => [i.issuer, i.jwksUri]);
    assert.deepEqual(one({ preset: "auth0", domain: "acme.eu.auth0.com", audience: "a" }), [
      ["https://acme.eu.auth0.com/", "https://acme.eu.auth0.com/.well-known/jwks.json"],
    ]);
    assert.deepEqual(
      issuersOf({ preset: "auth0", domain: "acme.eu.auth0.com", audience: "a" })[0]!.scopeClaims,
      ["scope", "scp", "permissions"],
    );
    assert.deepEqual(one({ preset: "okta", issuer: "https://acme.okta.com/oauth2/default", audience: "a" }), [
      ["https://acme.okta.com/oauth2/default", "https://acme.okta.com/oauth2/default/v1/keys"],
    ]);
    assert.deepEqual(one({ preset: "okta", issuer: "https://acme.okta.com", audience: "a" }), [
      ["https://acme.okta.com", "https://acme.okta.com/oauth2/v1/keys"],
    ]);
    const tid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    assert.deepEqual(one({ preset: "entra", tenantId: tid, audience: "a" }), [
      [
        `https://login.microsoftonline.com/${tid}/v2.0`,
        `https://login.microsoftonline.com/${tid}/discovery/v2.0/keys`,
      ],
    ]);
    assert.deepEqual(
      one({ preset: "entra", tenantId: "common", allowedTenants: [tid], audience: "a", version: "1.0" }),
      [[`https://sts.windows.net/${tid}/`, "https://login.microsoftonline.com/common/discovery/keys"]],
    );
    assert.deepEqual(one({ preset: "keycloak", url: "https://kc.test/", realm: "acme", audience: "a" }), [
      ["https://kc.test/realms/acme", "https://kc.test/realms/acme/protocol/openid-connect/certs"],
    ]);
    assert.deepEqual(one({ preset: "google", audience: "a" }), [
      ["https://accounts.google.com", "https://www.googleapis.com/oauth2/v3/certs"],
      ["accounts.google.com", "https://www.googleapis.com/oauth2/v3/certs"],
    ]);
  });

  test("inspect's summary shows what each preset expanded to, with no key material", () => {
    const config = parseConfigShape({
      issuers: [
        {
          preset: "entra",
          tenantId: "organizations",
          allowedTenants: ["72f988bf-86f1-41af-91ab-2d7cd011db47"],
          audience: "api",
          jwks: JWKS,
        },
      ],
    });
    const [summary] = presetsOf(config);
    assert.deepEqual(summary, {
      entry: "issuers[0]",
      preset: "entra",
      issuer: "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
      keys: "jwks (inline)",
      audience: ["api"],
      algorithms: ["RS256"],
      typ: null,
      requiredClaimValues: { tid: ["72f988bf-86f1-41af-91ab-2d7cd011db47"] },
      scopeClaims: ["scope", "scp"],
    });
  });
});

describe("issuer presets: one-sentence errors naming the field", () => {
  test("missing or malformed preset parameters", () => {
    refused(
      { preset: "cognito", tokenUse: "access", clientId: "c" },
      "issuers[1].userPoolId",
      /user pool id/,
    );
    refused(
      { preset: "cognito", userPoolId: "not a pool", tokenUse: "access", clientId: "c" },
      "issuers[1].userPoolId",
      /region/,
    );
    refused(
      { preset: "cognito", userPoolId: "eu-west-1_A", clientId: "c" },
      "issuers[1].tokenUse",
      /required/,
    );
    refused(
      { preset: "cognito", userPoolId: "eu-west-1_A", tokenUse: "access" },
      "issuers[1].clientId",
      /required/,
    );
    refused(
      { preset: "auth0", domain: "https://acme.auth0.com/", audience: "a" },
      "issuers[1].domain",
      /host name/,
    );
    refused({ preset: "auth0", domain: "acme.auth0.com" }, "issuers[1].audience", /required.*null/);
    refused(
      { preset: "okta", issuer: "https://acme.okta.com/other/x", audience: "a" },
      "issuers[1].issuer",
      /oauth2/,
    );
    refused(
      { preset: "entra", tenantId: "organizations", audience: "a" },
      "issuers[1].allowedTenants",
      /required/,
    );
    refused({ preset: "entra", tenantId: "contoso.com", audience: "a" }, "issuers[1].tenantId", /GUID/);
    refused(
      { preset: "keycloak", url: "http://kc.test", realm: "r", audience: "a" },
      "issuers[1].url",
      /https/,
    );
    refused({ preset: "google" }, "issuers[1].audience", /OAuth client id/);
    refused({ preset: "github", audience: "a" }, "issuers[1].preset", /"cognito".*"google"/);
  });

  test("preset fields out of place are refused", () => {
    refused({ preset: "google", audience: "a", realm: "r" }, "issuers[1].realm", /keycloak preset only/);
    refused(
      { issuer: "https://x.test/", audience: "a", jwksUri: "https://x.test/k", userPoolId: "eu-west-1_A" },
      "issuers[1].userPoolId",
      /preset/,
    );
    refused(
      { preset: "auth0", domain: "a.auth0.com", audience: "a", secret: "s".repeat(40) },
      "issuers[1].secret",
      /public keys/,
    );
  });

  test("a preset that expands to an issuer configured elsewhere names the later entry", () => {
    assert.throws(
      () =>
        parseConfigShape({
          issuers: [
            { issuer: "accounts.google.com", audience: "a", jwks: JWKS },
            { preset: "google", audience: "a" },
          ],
        }),
      (error: unknown) => error instanceof ConfigError && error.field === "issuers[1].issuer",
    );
  });
});

describe("scopeClaims and the generic claim checks on a plain issuer", () => {
  const T = 1_700_000_000;
  const base = {
    issuer: "https://id.test/",
    audience: "api",
    jwks: JWKS,
  };
  async function status(issuer: Record<string, unknown>, claims: Record<string, unknown>): Promise<number> {
    const handler = createAuthorizer(
      { issuers: [{ ...base, ...issuer }], routes: [{ route: "GET /orders/{id}", scopes: ["orders:read"] }] },
      { now: () => T * 1000, logger: createMemoryLogger(), sharedKeyCache: false },
    );
    const token = await joseSign(KEY, { iss: base.issuer, aud: "api", sub: "u", exp: T + 60, ...claims });
    try {
      const response = (await handler(loadEvent("rest-token", token))) as {
        policyDocument: { Statement: Array<{ Effect: string; Resource: string[] }> };
      };
      const denied = response.policyDocument.Statement.some((s) => s.Effect === "Deny");
      return denied ? 403 : 200;
    } catch {
      return 401;
    }
  }

  test("scopes rules read the issuer's scopeClaims (string or array), and only those", async () => {
    assert.equal(await status({ scopeClaims: ["permissions"] }, { permissions: ["orders:read"] }), 200);
    assert.equal(await status({ scopeClaims: ["permissions"] }, { permissions: "a orders:read" }), 200);
    assert.equal(await status({ scopeClaims: ["permissions"] }, { scope: "orders:read" }), 403);
    assert.equal(await status({}, { permissions: ["orders:read"] }), 403);
    assert.equal(await status({}, { scp: ["orders:read"] }), 200);
  });

  test("requiredClaimValues and clientId refuse with 401", async () => {
    assert.equal(
      await status({ requiredClaimValues: { token_use: "access" } }, { token_use: "access" }),
      403,
    );
    assert.equal(await status({ requiredClaimValues: { token_use: "access" } }, { token_use: "id" }), 401);
    assert.equal(await status({ clientId: "web", clientIdClaim: ["azp"] }, { azp: "web" }), 403);
    assert.equal(await status({ clientId: "web", clientIdClaim: ["azp"] }, { azp: "cli" }), 401);
    assert.equal(await status({ clientId: "web" }, { client_id: "web", scope: "orders:read" }), 200);
  });
});

describe("requiredClaimValues names any claim", () => {
  test('"__proto__" is a claim name like any other, not the prototype', () => {
    const [issuer] = parseConfigShape(
      JSON.parse(
        '{"issuers":[{"issuer":"https://id.test/","audience":"a","jwksUri":"https://id.test/jwks","requiredClaimValues":{"__proto__":["x"]}}]}',
      ),
    ).issuers;
    assert.deepEqual(Object.keys(issuer!.requiredClaimValues!), ["__proto__"]);
    assert.equal(Object.getPrototypeOf(issuer!.requiredClaimValues), Object.prototype);
  });
});
