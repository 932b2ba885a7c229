/**
 * `gatepass:rules` for a configuration with no route rules and `unmatchedRoutes: "allow"`: the open
 * rule set, which answers as the compiler does for no rules, without the compiler or the IAM planner
 * in the bundle.
 */
export { OPEN_POLICY_RULES as rules } from "../policy/open-plans.js";
