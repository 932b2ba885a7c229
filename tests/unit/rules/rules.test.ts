import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ConfigError } from "../../../src/errors.js";
import { compilePolicyRules } from "../../../src/policy/rule-policy.js";
import { MAX_ROUTES, type RuleTarget } from "../../../src/rules/rules.js";

const reader = { sub: "u1", scope: "orders:read" };
const admin = { sub: "u2", scope: "orders:read orders:write", groups: ["admin"] };
const nobody = { sub: "u3" };

describe("compileRules: configuration errors name the field", () => {
  const cases: Array<[unknown, unknown, string, RegExp]> = [
    ["GET /a", "allow", "routes", /array of route rules/],
    [[], "maybe", "unmatchedRoutes", /"allow" or "deny"/],
    [["GET /a"], "allow", "routes[0]", /expected an object/],
    [[{ route: "GET /a", allow: true }, null], "allow", "routes[1]", /expected an object/],
    [[{ route: "GET /a", scope: ["x"] }], "allow", "routes[0].scope", /unknown field/],
    [[{ route: 7, allow: true }], "allow", "routes[0].route", /expected a route/],
    [[{ scopes: ["a"] }], "allow", "routes[0].route", /expected a route/],
    [[{ route: "FETCH /a", allow: true }], "allow", "routes[0].route", /unknown method/],
    [[{ route: "GET /{proxy+}/a", allow: true }], "allow", "routes[0].route", /must be the last segment/],
    [[{ route: "GET a", allow: true }], "allow", "routes[0].route", /must start with/],
    [
      [
        { route: "GET /a/{id}", allow: true },
        { route: "get /a/{other}", scopes: ["x"] },
      ],
      "allow",
      "routes[1].route",
      /duplicates routes\[0\]/,
    ],
    [
      [
        { route: "$connect", allow: true },
        { route: "$connect", scopes: ["x"] },
      ],
      "allow",
      "routes[1].route",
      /duplicates routes\[0\]/,
    ],
    [
      [
        { route: "GET /a", allow: true },
        { route: "GET /b", scopes: [] },
      ],
      "allow",
      "routes[1].scopes",
      /empty list/,
    ],
    [[{ route: "GET /a", scopes: ["a b"] }], "allow", "routes[0].scopes[0]", /can never match/],
    [[{ route: "GET /a", claims: { g: [] } }], "allow", "routes[0].claims.g", /can never match/],
    [[{ route: "GET /a" }], "allow", "routes[0]", /needs at least one requirement/],
  ];
  for (const [routes, unmatchedRoutes, field, message] of cases) {
    it(`${field}: ${message.source}`, () => {
      assert.throws(
        () =>
          compilePolicyRules({ routes: routes as unknown[], unmatchedRoutes: unmatchedRoutes as "allow" }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError, String(error));
          assert.equal(error.field, field);
          assert.match(error.detail, message);
          assert.equal(error.message.split("\n").length, 1);
          return true;
        },
      );
    });
  }

  it(`refuses more than ${MAX_ROUTES} rules`, () => {
    const routes = Array.from({ length: MAX_ROUTES + 1 }, (_, i) => ({ route: `GET /r${i}`, allow: true }));
    assert.throws(() => compilePolicyRules({ routes }), new RegExp(`at most ${MAX_ROUTES} `));
  });

  it("defaults to no rules and unmatched routes allowed", () => {
    const ruleSet = compilePolicyRules({});
    assert.equal(ruleSet.unmatchedRoutes, "allow");
    assert.deepEqual(ruleSet.decide(nobody, { method: "GET", path: "/x" }), {
      allowed: true,
      route: null,
      reason: null,
    });
  });
});

describe("decide", () => {
  const ruleSet = compilePolicyRules({
    routes: [
      { route: "ANY /admin/{proxy+}", claims: { groups: ["admin"] } },
      { route: "GET /orders/{id}", scopes: ["orders:read"] },
      { route: "GET /orders/mine", allow: true },
      { route: "POST /orders", scopes: ["orders:write"] },
      { route: "$connect", scopes: ["ws"] },
    ],
    unmatchedRoutes: "allow",
  });

  it("picks the most specific rule, not the first listed", () => {
    assert.deepEqual(ruleSet.decide(nobody, { method: "GET", path: "/orders/mine" }), {
      allowed: true,
      route: "GET /orders/mine",
      reason: null,
    });
    assert.deepEqual(ruleSet.decide(nobody, { method: "GET", path: "/orders/7" }), {
      allowed: false,
      route: "GET /orders/{id}",
      reason: "ERR_SCOPE_MISSING",
      detail: "missing scope orders:read",
    });
    assert.equal(ruleSet.decide(reader, { method: "GET", path: "/orders/7" }).allowed, true);
  });

  it("reports claim mismatches by claim name only", () => {
    const decision = ruleSet.decide({ groups: ["users"] }, { method: "DELETE", path: "/admin/users/1" });
    assert.equal(decision.allowed, false);
    assert.equal(decision.route, "ANY /admin/{proxy+}");
    assert.equal(decision.reason, "ERR_CLAIM_MISMATCH");
    assert.doesNotMatch(decision.detail ?? "", /users/);
    assert.equal(ruleSet.decide(admin, { method: "DELETE", path: "/admin/users/1" }).allowed, true);
  });

  it("lets unmatched routes through with unmatchedRoutes allow", () => {
    assert.deepEqual(ruleSet.decide(nobody, { method: "GET", path: "/health" }), {
      allowed: true,
      route: null,
      reason: null,
    });
  });

  it("denies unmatched requests inside the IAM resource of a rule the principal fails", () => {
    // GET/orders/* (the resource of GET /orders/{id}) covers /orders/7/notes: a cached policy cannot tell them apart.
    const decision = ruleSet.decide(nobody, { method: "GET", path: "/orders/7/notes" });
    assert.equal(decision.allowed, false);
    assert.equal(decision.route, "GET /orders/{id}");
    assert.match(decision.detail ?? "", /IAM resource/);
    assert.equal(ruleSet.decide(reader, { method: "GET", path: "/orders/7/notes" }).allowed, true);
    // /admin/ is not matched by {proxy+} (empty) but lies in GET/admin/*.
    assert.equal(ruleSet.decide(nobody, { method: "GET", path: "/admin/" }).allowed, false);
  });

  it("refuses methods API Gateway does not route", () => {
    for (const method of ["PROPFIND", "get", "ANY", ""]) {
      const decision = ruleSet.decide(admin, { method, path: "/health" });
      assert.equal(decision.allowed, false);
      assert.equal(decision.reason, "ERR_ROUTE_NOT_ALLOWED");
    }
  });

  it("decides $connect by its rule", () => {
    assert.deepEqual(ruleSet.decide({ scope: "ws" }, { routeKey: "$connect" }), {
      allowed: true,
      route: "$connect",
      reason: null,
    });
    assert.equal(ruleSet.decide(nobody, { routeKey: "$connect" }).reason, "ERR_SCOPE_MISSING");
  });

  it("with unmatchedRoutes deny, only rules open routes", () => {
    const strict = compilePolicyRules({
      routes: [{ route: "GET /a", allow: true }],
      unmatchedRoutes: "deny",
    });
    assert.equal(strict.decide(nobody, { method: "GET", path: "/a" }).allowed, true);
    assert.deepEqual(strict.decide(nobody, { method: "GET", path: "/b" }), {
      allowed: false,
      route: null,
      reason: "ERR_ROUTE_NOT_ALLOWED",
      detail: 'no rule matches the route and unmatchedRoutes is "deny"',
    });
    assert.equal(strict.decide(nobody, { routeKey: "$connect" }).allowed, false);
  });

  it("uses a $default rule for everything no other rule matches", () => {
    const withDefault = compilePolicyRules({
      routes: [
        { route: "GET /public", allow: true },
        { route: "$default", scopes: ["api"] },
      ],
      unmatchedRoutes: "allow",
    });
    assert.equal(withDefault.decide(nobody, { method: "GET", path: "/public" }).allowed, true);
    assert.deepEqual(withDefault.decide(nobody, { method: "GET", path: "/x" }), {
      allowed: false,
      route: "$default",
      reason: "ERR_SCOPE_MISSING",
      detail: "missing scope api",
    });
    assert.deepEqual(withDefault.decide({ scope: "api" }, { method: "GET", path: "/x" }), {
      allowed: true,
      route: "$default",
      reason: null,
    });
    assert.equal(withDefault.decide(nobody, { routeKey: "$connect" }).allowed, false);
  });

  describe("HTTP API route keys", () => {
    it("an exact route key is decided by its rule", () => {
      assert.deepEqual(ruleSet.decide(reader, { routeKey: "GET /orders/{id}" }), {
        allowed: true,
        route: "GET /orders/{id}",
        reason: null,
      });
    });

    it("a route key also needs the more specific rules that may win some of its requests", () => {
      const rules = compilePolicyRules({
        routes: [
          { route: "GET /files/{name}", allow: true },
          { route: "GET /files/secret", scopes: ["secret"] },
        ],
      });
      const decision = rules.decide(nobody, { routeKey: "GET /files/{name}" });
      assert.equal(decision.allowed, false);
      assert.equal(decision.route, "GET /files/secret");
      assert.equal(rules.decide({ scope: "secret" }, { routeKey: "GET /files/{name}" }).allowed, true);
    });

    it("a route key no rule covers needs the unmatched answer and every rule it may reach", () => {
      assert.equal(ruleSet.decide(nobody, { routeKey: "GET /health" }).allowed, true);
      // ANY /{proxy+} reaches /orders/7 and /admin/x.
      assert.equal(ruleSet.decide(reader, { routeKey: "ANY /{proxy+}" }).allowed, false);
      assert.equal(ruleSet.decide(admin, { routeKey: "ANY /{proxy+}" }).allowed, true);
    });

    it("$default and unknown route keys need every HTTP rule", () => {
      assert.equal(ruleSet.decide(reader, { routeKey: "$default" }).allowed, false);
      assert.equal(ruleSet.decide(admin, { routeKey: "$default" }).allowed, true);
      assert.equal(ruleSet.decide(admin, { routeKey: "sendMessage" }).allowed, true);
      assert.equal(ruleSet.decide(reader, { routeKey: "sendMessage" }).allowed, false);
    });
  });

  it("never throws, whatever the claims or target", () => {
    const target = fc.oneof(
      fc.record({ method: fc.constantFrom("GET", "POST", "ANY", "x"), path: fc.string() }),
      fc.record({
        routeKey: fc.oneof(
          fc.string(),
          fc.constantFrom("$connect", "$default", "GET /orders/{id}", "ANY /{proxy+}"),
        ),
      }),
      fc.anything(),
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything()), target, (claims, t) => {
        const decision = ruleSet.decide(claims, t as RuleTarget);
        assert.equal(typeof decision.allowed, "boolean");
        assert.ok(decision.allowed ? decision.reason === null : decision.reason !== null);
      }),
      { numRuns: 3000 },
    );
  });

  it("fails closed when claims cannot be read", () => {
    const hostile = new Proxy(
      {},
      {
        getOwnPropertyDescriptor() {
          throw new Error("boom");
        },
      },
    );
    const decision = ruleSet.decide(hostile, { method: "GET", path: "/orders/7" });
    assert.equal(decision.allowed, false);
  });
});

describe("warnings", () => {
  it("flags rules an IAM resource of another rule covers", () => {
    const ruleSet = compilePolicyRules({
      routes: [
        { route: "GET /orders/{id}", scopes: ["orders:read"] },
        { route: "GET /orders/mine", allow: true },
      ],
    });
    assert.deepEqual(
      ruleSet.warnings.map((w) => [w.code, w.route, w.other]),
      [["IAM_DENY_OVERLAP", "GET /orders/mine", "GET /orders/{id}"]],
    );
  });

  it("flags allow-list trimming that hits another rule when unmatched routes are denied", () => {
    const ruleSet = compilePolicyRules({
      routes: [
        { route: "GET /orders/{id}", scopes: ["orders:read"] },
        { route: "GET /orders/{id}/items", scopes: ["orders:read"] },
      ],
      unmatchedRoutes: "deny",
    });
    assert.deepEqual(
      ruleSet.warnings.map((w) => [w.code, w.route, w.other]),
      [["IAM_ALLOW_EXCESS", "GET /orders/{id}", "GET /orders/{id}/items"]],
    );
  });

  it("stays silent for rules IAM can tell apart", () => {
    const ruleSet = compilePolicyRules({
      routes: [
        { route: "GET /orders", scopes: ["orders:list"] },
        { route: "GET /orders/{id}", scopes: ["orders:read"] },
        { route: "POST /orders", scopes: ["orders:write"] },
        { route: "ANY /admin/{proxy+}", claims: { groups: ["admin"] } },
        { route: "$connect", allow: true },
      ],
      unmatchedRoutes: "deny",
    });
    assert.deepEqual(ruleSet.warnings, []);
  });

  it("flags resources that may exceed 512 characters", () => {
    const ruleSet = compilePolicyRules({ routes: [{ route: `GET /${"x".repeat(300)}`, allow: true }] });
    assert.deepEqual(
      ruleSet.warnings.map((w) => w.code),
      ["IAM_RESOURCE_LONG"],
    );
  });
});

describe("iamPlan: per-call work does not grow with the rules", () => {
  /** Claims whose `scope` counts its reads. */
  function counted(scope: string) {
    const claims = { sub: "u1" } as Record<string, unknown>;
    let reads = 0;
    Object.defineProperty(claims, "scope", {
      enumerable: true,
      get() {
        reads++;
        return scope;
      },
    });
    return { claims, reads: () => reads };
  }
  const routes = Array.from({ length: 1000 }, (_, i) => ({
    route: `GET /r${i}/{id}`,
    scopes: [i % 2 === 0 ? "even" : "odd"],
  }));

  it("checks each distinct requirement once for a principal not seen before", () => {
    const ruleSet = compilePolicyRules({ routes });
    const c = counted("even");
    ruleSet.iamPlan(c.claims);
    // The projection reads `scope` once; each of the two distinct requirements once more (twice for
    // the one that fails: its detail lists the scopes missing).
    assert.ok(c.reads() <= 4, `${c.reads()} reads of scope`);
  });

  it("reads only the projection for a principal whose read claims were seen before", () => {
    const ruleSet = compilePolicyRules({ routes });
    const first = ruleSet.iamPlan({ sub: "u0", scope: "even", email: "a@example.com" });
    const c = counted("even");
    assert.equal(ruleSet.iamPlan(c.claims), first);
    assert.equal(c.reads(), 1);
  });
});
