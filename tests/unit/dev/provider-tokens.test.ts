/**
 * The issuer each provider preset derives for a development token (src/dev/provider-tokens.ts).
 * Expected values are written out literally from the providers' documentation.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ProviderTokenError, presetIssuer } from "../../../src/dev/provider-tokens.js";

describe("presetIssuer", () => {
  const cases: Array<[string, Parameters<typeof presetIssuer>[0], Record<string, unknown>, string]> = [
    [
      "cognito, a commercial region",
      "cognito",
      { userPoolId: "ap-southeast-2_7U6opGDwY" },
      "https://cognito-idp.ap-southeast-2.amazonaws.com/ap-southeast-2_7U6opGDwY",
    ],
    [
      "cognito, GovCloud",
      "cognito",
      { userPoolId: "us-gov-west-1_AbC" },
      "https://cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_AbC",
    ],
    [
      "cognito, European Sovereign Cloud",
      "cognito",
      { userPoolId: "eusc-de-east-1_AbC" },
      "https://cognito-idp.eusc-de-east-1.amazonaws.eu/eusc-de-east-1_AbC",
    ],
    ["auth0", "auth0", { domain: "Acme.EU.auth0.com" }, "https://acme.eu.auth0.com/"],
    ["okta", "okta", { issuer: "https://acme.okta.com" }, "https://acme.okta.com"],
    [
      "entra v2.0",
      "entra",
      { tenantId: "9122040D-6C67-4C5B-B112-36A304B66DAD" },
      "https://login.microsoftonline.com/9122040d-6c67-4c5b-b112-36a304b66dad/v2.0",
    ],
    [
      "entra v1.0",
      "entra",
      { tenantId: "9122040d-6c67-4c5b-b112-36a304b66dad", version: "1.0" },
      "https://sts.windows.net/9122040d-6c67-4c5b-b112-36a304b66dad/",
    ],
    [
      "keycloak, trailing slash on url",
      "keycloak",
      { url: "https://kc.acme.example/auth/", realm: "acme" },
      "https://kc.acme.example/auth/realms/acme",
    ],
    ["google", "google", {}, "https://accounts.google.com"],
    [
      "google, the short spelling as issuer",
      "google",
      { issuer: "accounts.google.com" },
      "accounts.google.com",
    ],
  ];
  for (const [name, preset, params, issuer] of cases) {
    test(name, () => assert.equal(presetIssuer(preset, params), issuer));
  }

  test("a user pool id without a region is refused with one sentence", () => {
    assert.throws(
      () => presetIssuer("cognito", { userPoolId: "west_AbC" }),
      (error: unknown) => error instanceof ProviderTokenError && /not a user pool id/.test(error.message),
    );
  });
});
