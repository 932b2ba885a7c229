import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ConfigError } from "../../../src/errors.js";
import { checkRequirement, compileRequirement, readClaim } from "../../../src/rules/requirements.js";

const passes = (rule: Record<string, unknown>, claims: Record<string, unknown>) =>
  checkRequirement(compileRequirement(rule, "routes[0]"), claims) === null;

/** Whether the claims grant `scope`: a rule that needs that one scope passes. */
const hasScope = (claims: Record<string, unknown>, scope: string) => passes({ scopes: [scope] }, claims);

describe("hasScope", () => {
  it("reads a space-separated scope string by whole words", () => {
    const claims = { scope: "orders:read  orders:write profile" };
    assert.equal(hasScope(claims, "orders:read"), true);
    assert.equal(hasScope(claims, "orders:write"), true);
    assert.equal(hasScope(claims, "profile"), true);
    assert.equal(hasScope(claims, "orders"), false);
    assert.equal(hasScope({ scope: "orders:readwrite" }, "orders:read"), false);
    assert.equal(hasScope({ scope: "xorders:read" }, "orders:read"), false);
  });

  it("reads scp as an array or a string, and scope as an array", () => {
    assert.equal(hasScope({ scp: ["admin", "user"] }, "user"), true);
    assert.equal(hasScope({ scp: "admin user" }, "user"), true);
    assert.equal(hasScope({ scope: ["a", "b"] }, "b"), true);
    assert.equal(hasScope({ scp: ["admin user"] }, "user"), false);
  });

  it("ignores other types and inherited properties", () => {
    assert.equal(hasScope({ scope: 42 }, "42"), false);
    assert.equal(hasScope({ scope: { a: 1 } }, "a"), false);
    assert.equal(hasScope({}, "constructor"), false);
    assert.equal(hasScope(Object.create({ scope: "a" }), "a"), false);
  });
});

describe("claim requirements", () => {
  const cases: Array<[string, unknown, unknown, boolean]> = [
    ["a scalar equals", "admin", "admin", true],
    ["a scalar is contained in an array claim", "admin", ["user", "admin"], true],
    ["a scalar compares strictly", 1, "1", false],
    ["a scalar against an absent claim", "admin", undefined, false],
    ["a list is one-of", ["a", "b"], "b", true],
    ["a list is contains-any", ["a", "b"], ["c", "b"], true],
    ["a list with no common value", ["a", "b"], ["c"], false],
    ["anyOf", { anyOf: ["a", "b"] }, ["b"], true],
    ["allOf needs every value", { allOf: ["a", "b"] }, ["b", "a", "c"], true],
    ["allOf missing one", { allOf: ["a", "b"] }, ["a"], false],
    ["allOf of one on a scalar", { allOf: ["a"] }, "a", true],
    ["equals is exact", { equals: "a" }, "a", true],
    ["equals does not look inside arrays", { equals: "a" }, ["a"], false],
    ["contains needs an array", { contains: "a" }, ["a", "b"], true],
    ["contains refuses a scalar", { contains: "a" }, "a", false],
    ["booleans", true, true, true],
    ["objects hold nothing", "a", { a: "a" }, false],
    ["null holds nothing", "a", null, false],
  ];
  for (const [name, requirement, value, expected] of cases) {
    it(`${name}: ${JSON.stringify(requirement)} vs ${JSON.stringify(value)} → ${expected}`, () => {
      assert.equal(
        passes({ claims: { groups: requirement } }, value === undefined ? {} : { groups: value }),
        expected,
      );
    });
  }

  it("reads claim names verbatim, own properties only", () => {
    assert.equal(passes({ claims: { "cognito:groups": "admin" } }, { "cognito:groups": ["admin"] }), true);
    assert.equal(
      passes({ claims: { "https://example.com/role": "x" } }, { "https://example.com/role": "x" }),
      true,
    );
    // Inherited members never count as claims.
    assert.equal(readClaim({}, "constructor"), undefined);
    assert.equal(readClaim({}, "__proto__"), undefined);
    const parsed = JSON.parse('{"__proto__": {"groups": "admin"}, "sub": "u"}') as Record<string, unknown>;
    assert.equal(passes({ claims: { groups: "admin" } }, parsed), false);
    // A claim really named "__proto__" (own property, as JSON.parse makes it) is read like any other.
    const rule = JSON.parse('{"claims": {"__proto__": {"contains": "x"}}}') as Record<string, unknown>;
    assert.equal(passes(rule, JSON.parse('{"__proto__": ["x"]}')), true);
    assert.equal(passes(rule, {}), false);
  });

  it("checks scopes before claims and names what is missing, never claim values", () => {
    const requirement = compileRequirement(
      { scopes: ["a", "b", "c"], claims: { tenant: "t1" } },
      "routes[0]",
    );
    assert.deepEqual(checkRequirement(requirement, { scope: "b", tenant: "secret-value" }), {
      reason: "ERR_SCOPE_MISSING",
      detail: "missing scopes a, c",
    });
    const failure = checkRequirement(requirement, { scope: "a b c", tenant: "secret-value" });
    assert.equal(failure?.reason, "ERR_CLAIM_MISMATCH");
    assert.match(failure!.detail, /tenant/);
    assert.doesNotMatch(failure!.detail, /secret-value/);
  });

  it("supports scopesMode any", () => {
    assert.equal(passes({ scopes: ["a", "b"], scopesMode: "any" }, { scope: "b" }), true);
    assert.equal(passes({ scopes: ["a", "b"], scopesMode: "any" }, { scope: "c" }), false);
    assert.equal(passes({ scopes: ["a", "b"] }, { scope: "b" }), false);
  });

  it("gives equal keys to equivalent requirements", () => {
    const key = (rule: Record<string, unknown>) => compileRequirement(rule, "r").key;
    assert.equal(key({ scopes: ["a", "b"] }), key({ scopes: ["b", "a"] }));
    assert.equal(key({ claims: { x: 1, y: 2 } }), key({ claims: { y: 2, x: 1 } }));
    assert.notEqual(key({ scopes: ["a", "b"] }), key({ scopes: ["a", "b"], scopesMode: "any" }));
    assert.equal(key({ allow: true }), "open");
  });

  it("never throws on any JSON claims", () => {
    const requirement = compileRequirement(
      {
        scopes: ["a"],
        scopesMode: "any",
        claims: { groups: { allOf: ["x", 1, true] }, sub: { equals: "u" } },
      },
      "r",
    );
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom("scope", "scp", "groups", "sub", "__proto__", "constructor"),
          fc.jsonValue(),
        ),
        (claims) => {
          const result = checkRequirement(requirement, claims);
          assert.ok(result === null || typeof result.detail === "string");
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("compileRequirement errors", () => {
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{}, "routes[3]", /needs at least one requirement/],
    [{ scopes: [] }, "routes[3].scopes", /empty list/],
    [{ scopes: "orders:read" }, "routes[3].scopes", /non-empty array/],
    [{ scopes: ["a", ""] }, "routes[3].scopes[1]", /non-empty scope name/],
    [{ scopes: ["a", 7] }, "routes[3].scopes[1]", /non-empty scope name/],
    [{ scopes: ["a b"] }, "routes[3].scopes[0]", /can never match/],
    [{ scopes: ["a"], scopesMode: "some" }, "routes[3].scopesMode", /"all" or "any"/],
    [{ scopesMode: "any", claims: { a: 1 } }, "routes[3].scopesMode", /without "scopes"/],
    [{ claims: [] }, "routes[3].claims", /expected an object/],
    [{ claims: {} }, "routes[3].claims", /at least one claim/],
    [{ claims: { "": "x" } }, "routes[3].claims", /claim name is empty/],
    [{ claims: { sub: null } }, "routes[3].claims.sub", /null can never match/],
    [{ claims: { groups: [] } }, "routes[3].claims.groups", /empty list can never match/],
    [{ claims: { groups: ["a", { b: 1 }] } }, "routes[3].claims.groups[1]", /string, number or boolean/],
    [{ claims: { groups: { oneOf: ["a"] } } }, "routes[3].claims.groups.oneOf", /unknown operator/],
    [
      { claims: { groups: { anyOf: ["a"], allOf: ["b"] } } },
      "routes[3].claims.groups",
      /exactly one operator/,
    ],
    [{ claims: { groups: {} } }, "routes[3].claims.groups", /exactly one operator/],
    [{ claims: { groups: { anyOf: [] } } }, "routes[3].claims.groups.anyOf", /empty list/],
    [{ claims: { groups: { allOf: "a" } } }, "routes[3].claims.groups.allOf", /array/],
    [
      { claims: { groups: { equals: ["a"] } } },
      "routes[3].claims.groups.equals",
      /string, number or boolean/,
    ],
    [{ allow: false }, "routes[3].allow", /expected true/],
    [{ allow: "yes" }, "routes[3].allow", /expected true/],
    [{ allow: true, scopes: ["a"] }, "routes[3].allow", /cannot be combined/],
  ];
  for (const [rule, field, message] of cases) {
    it(`${JSON.stringify(rule)} → ${field}`, () => {
      assert.throws(
        () => compileRequirement(rule, "routes[3]"),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.equal(error.field, field);
          assert.match(error.detail, message);
          return true;
        },
      );
    });
  }
});
