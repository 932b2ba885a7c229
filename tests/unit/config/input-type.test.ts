/**
 * `GatepassConfigInput`, the input type generated from the table of fields: a configuration
 * written in TypeScript is checked by the compiler (`npm test` typechecks this file: each
 * `@ts-expect-error` below fails the typecheck if the mistake compiles), and is accepted as is by
 * `createAuthorizer`, `createVerifier` and `parseConfig`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  createAuthorizer,
  createVerifier,
  type GatepassConfigInput,
  parseConfig,
} from "../../../src/index.js";

const SECRET = "s3cr3t-value-that-is-long-enough-for-hs256!";

const config: GatepassConfigInput = {
  $schema: "./node_modules/gatepass/schema/gatepass.config.schema.json",
  issuers: [{ issuer: "https://login.test/", audience: null, secret: SECRET, algorithms: ["HS256"] }],
  tokenSources: ["header:authorization", "cookie:session"],
  routes: [{ route: "GET /orders/{id}", scopes: ["orders:read"], scopesMode: "any" }],
  unmatchedRoutes: "deny",
  context: { claims: ["sub"] },
  dev: { api: "http-v2-simple", cors: false },
};

// Mistakes the compiler refuses in a typed configuration.
const mistakes: GatepassConfigInput[] = [
  // @ts-expect-error a misspelt field (audiance)
  { issuers: [{ secret: SECRET, audiance: "a" }] },
  // @ts-expect-error a token source without its kind
  { issuers: [{ secret: SECRET }], tokenSources: ["authorization"] },
  // @ts-expect-error an algorithm gatepass does not verify
  { issuers: [{ secret: SECRET, algorithms: ["none"] }] },
  // @ts-expect-error unmatchedRoutes is "allow" or "deny"
  { issuers: [{ secret: SECRET }], unmatchedRoutes: true },
  // @ts-expect-error issuers is required
  { routes: [] },
];

describe("GatepassConfigInput", () => {
  test("a typed configuration is accepted by createAuthorizer, createVerifier and parseConfig", () => {
    const parsed = parseConfig(config);
    assert.equal(parsed.unmatchedRoutes, "deny");
    assert.equal(typeof createAuthorizer(config, { sharedKeyCache: false }), "function");
    assert.equal(typeof createVerifier(config, { sharedKeyCache: false }).verify, "function");
    // A validated configuration is accepted too (it passes through unchanged).
    assert.equal(parseConfig(parsed), parsed);
  });

  test("the mistakes the compiler refuses are refused at run time too", () => {
    for (const doc of mistakes) assert.throws(() => parseConfig(doc));
  });
});
