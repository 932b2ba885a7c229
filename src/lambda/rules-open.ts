/**
 * `gatepass:rules` for a configuration with no route rules and `unmatchedRoutes: "allow"`: the open
 * rule set, which answers as the compiler does for no rules, without the compiler in the bundle.
 */
export { OPEN_RULES as rules } from "../rules/open.js";
