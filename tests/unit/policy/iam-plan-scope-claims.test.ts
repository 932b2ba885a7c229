import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compilePolicyRules } from "../../../src/policy/rule-policy.js";

/**
 * Remembered IAM plans and an issuer's own `scopeClaims` (Auth0's `permissions`): a plan remembered
 * for one set of scope claims must never answer for another, whichever is asked first.
 */
describe("iamPlan: remembered plans and scopeClaims", () => {
  const routes = [
    { route: "GET /orders/{id}", scopes: ["orders:read"] },
    { route: "DELETE /orders/{id}", scopes: ["orders:delete"] },
  ];
  const claims = { sub: "u1", permissions: ["orders:read"] };

  for (const order of ["default first", "permissions first"] as const) {
    it(`the same claims get the plan of their scope claims (${order})`, () => {
      const rules = compilePolicyRules({ routes, unmatchedRoutes: "deny" });
      const asDefault = () => rules.iamPlan(claims);
      const asAuth0 = () => rules.iamPlan(claims, { scopeClaims: ["scope", "scp", "permissions"] });
      const [first, second] = order === "default first" ? [asDefault, asAuth0] : [asAuth0, asDefault];
      first();
      second();
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(asDefault().allow, [], "scope and scp grant nothing here");
        assert.deepEqual(asAuth0().allow, ["GET/orders/*"], "permissions grant orders:read");
      }
    });
  }

  it("the claim names are part of what is remembered, not only their values", () => {
    const rules = compilePolicyRules({ routes, unmatchedRoutes: "deny" });
    const both = { sub: "u1", permissions: ["orders:read"], roles: ["orders:delete"] };
    assert.deepEqual(rules.iamPlan(both, { scopeClaims: ["permissions"] }).allow, ["GET/orders/*"]);
    assert.deepEqual(rules.iamPlan(both, { scopeClaims: ["roles"] }).allow, ["DELETE/orders/*"]);
  });
});
