/**
 * The configuration's `resource` (RFC 9728 / RFC 8707): what it accepts, what it refuses (one-line
 * `ConfigError`s naming the field), and how it combines with each issuer's `audience`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseConfigShape } from "../../../src/config/schema.js";
import { ConfigError } from "../../../src/errors.js";
import { testKey } from "../../helpers/keys.js";

const ISSUER = "https://as.example.test/";
const RESOURCE = "https://api.example.com/mcp";
const es = testKey("ES256");
const jwks = { keys: [es.publicJwk] };

function refused(doc: unknown, field: string, mentions: RegExp[] = []): void {
  let caught: unknown;
  try {
    parseConfigShape(doc);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.equal(caught.field, field, caught.message);
  assert.ok(!/[\r\n]/.test(caught.message));
  for (const m of mentions) assert.match(caught.message, m);
}

const withResource = (resource: Record<string, unknown>, issuer: Record<string, unknown> = {}) => ({
  issuers: [{ issuer: ISSUER, jwks, ...issuer }],
  resource: { uri: RESOURCE, authorizationServers: [ISSUER], ...resource },
});

describe("config: resource", () => {
  test("defaults: metadataUrl is RFC 9728's well-known URL, scopesSupported empty", () => {
    const cfg = parseConfigShape(withResource({}));
    assert.deepEqual(cfg.resource, {
      uri: RESOURCE,
      authorizationServers: [ISSUER],
      scopesSupported: [],
      metadataUrl: "https://api.example.com/.well-known/oauth-protected-resource/mcp",
    });
  });

  test("an issuer listed in authorizationServers may omit audience: it becomes [resource.uri]", () => {
    const cfg = parseConfigShape(withResource({}));
    assert.deepEqual(cfg.issuers[0]!.audience, [RESOURCE]);
    // Its audience check is the resource check: nothing checked twice.
    assert.equal(cfg.issuers[0]!.resourceAudience, undefined);
  });

  test("an issuer with its own audience keeps it, and must also name the resource", () => {
    const cfg = parseConfigShape(withResource({}, { audience: ["orders-api"] }));
    assert.deepEqual(cfg.issuers[0]!.audience, ["orders-api"]);
    assert.equal(cfg.issuers[0]!.resourceAudience, RESOURCE);
  });

  test("an issuer not listed in authorizationServers still needs its audience", () => {
    refused(
      {
        issuers: [
          { issuer: ISSUER, jwks },
          { issuer: "https://other.example.test/", jwks },
        ],
        resource: { uri: RESOURCE, authorizationServers: [ISSUER] },
      },
      "issuers[1].audience",
      [/resource\.authorizationServers/],
    );
  });

  test("without resource, audience stays required for a public-key issuer (unchanged)", () => {
    refused({ issuers: [{ issuer: ISSUER, jwks }] }, "issuers[0].audience");
  });

  test("authorizationServers must be configured issuers", () => {
    refused(
      withResource({ authorizationServers: ["https://stranger.example.test/"] }, { audience: "a" }),
      "resource.authorizationServers[0]",
    );
    refused(withResource({ authorizationServers: [] }, { audience: "a" }), "resource.authorizationServers");
  });

  for (const uri of [
    "api.example.com/mcp",
    "http://api.example.com/mcp",
    "https://api.example.com/mcp#frag",
    "https://user:pw@api.example.com/mcp",
    "https://API.example.com/mcp",
  ])
    test(`uri ${JSON.stringify(uri)} is refused`, () => {
      refused(withResource({ uri }, { audience: "a" }), "resource.uri");
    });

  test("uri on loopback http is accepted (local development)", () => {
    const cfg = parseConfigShape(withResource({ uri: "http://127.0.0.1:4000/mcp" }));
    assert.equal(cfg.resource!.metadataUrl, "http://127.0.0.1:4000/.well-known/oauth-protected-resource/mcp");
  });

  test("a metadata URL holding a single quote is refused (it goes into a quoted static Gateway Response value)", () => {
    refused(withResource({ metadataUrl: "https://api.example.com/it's/meta" }), "resource.metadataUrl", [
      /%27/,
    ]);
    refused(withResource({ uri: "https://api.example.com/it's" }), "resource.uri", [/single quote/]);
  });

  test("unknown keys and a bad metadataUrl are refused", () => {
    refused(withResource({ audience: "x" }), "resource.audience");
    refused(withResource({ metadataUrl: "ftp://x.example.com/m" }), "resource.metadataUrl");
  });

  test("context.claims may not name the challenge's context key (wwwAuthenticate)", () => {
    refused({ ...withResource({}), context: { claims: ["sub", "wwwAuthenticate"] } }, "context.claims", [
      /wwwAuthenticate/,
    ]);
    // Without resource the key is an ordinary claim name.
    parseConfigShape({
      issuers: [{ issuer: ISSUER, audience: "a", jwks }],
      context: { claims: ["wwwAuthenticate"] },
    });
  });

  test("without resource, issuers carry no resource audience (the configuration keeps its shape)", () => {
    const cfg = parseConfigShape({ issuers: [{ issuer: ISSUER, audience: "a", jwks }] });
    assert.equal(cfg.resource, undefined);
    assert.ok(!("resourceAudience" in cfg.issuers[0]!));
  });
});
