import type { RuleSet } from "../rules/types.js";
import { IamPlanner } from "./iam-plan.js";
import type { PolicyRules } from "./iam-types.js";
import type { OverlapInput, Overlaps } from "./overlaps.js";

/**
 * A rule set given its IAM side, without the overlap analysis or the rule compiler as imports: the
 * caller passes the analysis, so that a Lambda bundle whose rule set has no HTTP rules carries
 * neither (see `lambda/rules-none.ts`).
 */

const NO_CLAIMS: Record<string, unknown> = Object.freeze(Object.create(null));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A rule set with its IAM side: its own `decide`, `rules`, … and the plans and warnings computed
 * from it once, with `analyse` (`analyseOverlaps`, or `noHttpRules` for a rule set without HTTP
 * rules). Throws a `ConfigError` (field `routes`) when the rules overlap too much to analyse.
 */
export function withIamPlans(
  ruleSet: RuleSet,
  analyse: (items: readonly OverlapInput[]) => Overlaps,
): PolicyRules {
  const planner = new IamPlanner(ruleSet, analyse);
  return Object.freeze({
    rules: ruleSet.rules,
    unmatchedRoutes: ruleSet.unmatchedRoutes,
    unmatchedMethods: ruleSet.unmatchedMethods,
    warnings: planner.warnings,
    decide: ruleSet.decide.bind(ruleSet),
    iamPlan: (claims: unknown, options?: { list?: boolean; scopeClaims?: readonly string[] | undefined }) =>
      planner.plan(isRecord(claims) ? claims : NO_CLAIMS, options),
  });
}
