import { ROUTED_METHODS } from "../rules/methods.js";
import { OPEN_RULES } from "../rules/open.js";
import type { IamPlan, PolicyRules } from "./iam-types.js";

/**
 * The IAM side of the open rule set (`rules/open.ts`: no route rules, `unmatchedRoutes: "allow"`):
 * the plans `compilePolicyRules({ routes: [] })` gives every principal (a test holds them equal),
 * without the IAM planner, so a Lambda bundle whose embedded configuration has no rules leaves it out.
 */

/** Every routable method, then `$connect`: what unmatched routes allow. */
const STAGE_ALLOW = [...ROUTED_METHODS.map((method) => `${method}/*`), "$connect"];

const STAGE_PLAN: IamPlan = Object.freeze({
  mode: "stage",
  allow: Object.freeze(STAGE_ALLOW),
  deny: Object.freeze([]),
});
// The allow-list form (the policy builder's fallback) allows only what a rule allows: no HTTP
// route, and `$connect`, which unmatched routes allow.
const LIST_PLAN: IamPlan = Object.freeze({
  mode: "list",
  allow: Object.freeze(["$connect"]),
  deny: Object.freeze([]),
});

export const OPEN_POLICY_RULES: PolicyRules = Object.freeze({
  rules: OPEN_RULES.rules,
  unmatchedRoutes: OPEN_RULES.unmatchedRoutes,
  unmatchedMethods: OPEN_RULES.unmatchedMethods,
  warnings: Object.freeze([]),
  decide: OPEN_RULES.decide,
  iamPlan: (_claims: unknown, options?: { list?: boolean }) =>
    options?.list === true ? LIST_PLAN : STAGE_PLAN,
});
