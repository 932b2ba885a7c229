/** `gatepass:rules` for a configuration with rules: compiled at cold start, as `createAuthorizer` does. */
import { config } from "gatepass:config";
import { compileRules } from "../rules/rules.js";

// The configuration holds `routes` and `unmatchedRoutes`, what the compiler reads.
export const rules = compileRules(config);
