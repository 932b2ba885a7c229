/** `gatepass:rules` for a configuration with rules: compiled at cold start, as `createAuthorizer` does. */
import { config } from "gatepass:config";
import { compilePolicyRules } from "../policy/rule-policy.js";

// The configuration holds `routes` and `unmatchedRoutes`, what the compiler reads.
export const rules = compilePolicyRules(config);
