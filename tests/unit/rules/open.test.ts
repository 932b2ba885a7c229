import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { OPEN_POLICY_RULES as OPEN_RULES } from "../../../src/policy/open-plans.js";
import { compilePolicyRules } from "../../../src/policy/rule-policy.js";
import { ROUTED_METHODS } from "../../../src/rules/methods.js";
import type { RuleTarget } from "../../../src/rules/rules.js";

// The open rule set stands in for the compiled one in bundles whose configuration has no rules:
// any difference would change a policy, so every answer is compared with the compiler's.
describe("OPEN_RULES", () => {
  const compiled = compilePolicyRules({ routes: [], unmatchedRoutes: "allow" });
  const target = fc.oneof(
    fc.record({ method: fc.constantFrom(...ROUTED_METHODS, "TRACE", "get"), path: fc.string() }),
    fc.record({ routeKey: fc.constantFrom("$connect", "$default", "$disconnect", "GET /x") }),
    // Whatever a caller passes: decide() never throws and refuses what is not a target.
    fc.anything() as fc.Arbitrary<RuleTarget>,
  );

  it("decides every target and every claims value as compileRules with no routes does", () => {
    fc.assert(
      fc.property(fc.anything(), target, (claims, t) => {
        assert.deepEqual(OPEN_RULES.decide(claims, t), compiled.decide(claims, t));
      }),
      { numRuns: 500 },
    );
  });

  it("plans the same IAM resources, in both forms", () => {
    fc.assert(
      fc.property(fc.anything(), fc.boolean(), (claims, list) => {
        assert.deepEqual(OPEN_RULES.iamPlan(claims, { list }), compiled.iamPlan(claims, { list }));
        assert.deepEqual(OPEN_RULES.iamPlan(claims), compiled.iamPlan(claims));
      }),
      { numRuns: 200 },
    );
  });

  it("has no rules and no warnings, and is immutable", () => {
    assert.deepEqual(
      [OPEN_RULES.rules, OPEN_RULES.warnings, OPEN_RULES.unmatchedRoutes],
      [compiled.rules, compiled.warnings, compiled.unmatchedRoutes],
    );
    assert.ok(Object.isFrozen(OPEN_RULES) && Object.isFrozen(OPEN_RULES.iamPlan({}).allow));
  });
});
