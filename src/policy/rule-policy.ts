import { compileRules } from "../rules/rules.js";
import type { RulesInput } from "../rules/types.js";
import type { PolicyRules } from "./iam-types.js";
import { analyseOverlaps } from "./overlaps.js";
import { withIamPlans } from "./rule-plans.js";

/**
 * The seam between the rules and IAM: `rules/` compiles and decides; this module adds what a policy
 * needs of a rule set (its IAM plans and warnings, `iam-plan.ts`, through `rule-plans.ts`), computed
 * from the compiled rules, their route patterns, their specificity and requirement verdicts, which
 * the rule set exposes.
 */

export type { IamPlan, PolicyRules, RuleWarning } from "./iam-types.js";
export { withIamPlans } from "./rule-plans.js";

/**
 * `compileRules` (validation and decisions) then {@link withIamPlans}: the rule set the authorizer
 * uses. Throws a `ConfigError` naming the field.
 *
 * @example
 * const ruleSet = compilePolicyRules({ routes: [{ route: "GET /orders/{id}", scopes: ["orders:read"] }] });
 * ruleSet.iamPlan({ scope: "orders:read" }); // { mode: "stage", allow: ["GET/*", …], deny: [] }
 */
export function compilePolicyRules(input: RulesInput): PolicyRules {
  return withIamPlans(compileRules(input), analyseOverlaps);
}
