/**
 * Where the development issuer goes: the route keys that would answer its paths, computed with an
 * independent expectation table (literal paths, `{param}`, `{proxy+}`, `ANY`, `$default`).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { issuerPathPrefix, routesShadowedByIssuer } from "../../../src/dev/issuer-placement.js";

describe("routesShadowedByIssuer", () => {
  const cases: readonly (readonly [string, boolean])[] = [
    ["POST /token", true],
    ["GET /token", false], // the issuer's /token is POST only
    ["ANY /token", true],
    ["GET /.well-known/jwks.json", true],
    ["GET /.well-known/{name}", true],
    ["GET /{proxy+}", true],
    ["ANY /{proxy+}", true],
    ["POST /{id}", true],
    ["$default", true],
    ["$connect", false],
    ["GET /orders/{id}", false],
    ["ANY /admin/{proxy+}", false],
    ["GET /hello", false],
    ["not a route", false],
    ["GET /oauth2/authorize", true],
    ["POST /oauth2/register", true],
    ["GET /oauth2/{action}", true],
    ["GET /.well-known/oauth-authorization-server", true],
    ["GET /{id}", false], // the OAuth endpoints are two segments deep
    ["GET /oauth2/register", false], // registration is POST only
  ];
  for (const [key, expected] of cases) {
    it(`${key} → ${expected ? "shadows the issuer" : "leaves it at the root"}`, () => {
      assert.deepEqual(routesShadowedByIssuer([key]), expected ? [key] : []);
      assert.equal(issuerPathPrefix([key]), expected ? "/_gatepass/issuer" : "");
    });
  }
});
