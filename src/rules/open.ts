import { ALLOW_UNMATCHED, DENY_METHOD, DENY_NO_TARGET, type RuleTarget } from "./decisions.js";
import { isRoutedMethod } from "./methods.js";
import type { RuleSet } from "./types.js";

/**
 * The rule set of a configuration with no route rules and `unmatchedRoutes: "allow"`: every
 * authenticated principal may call every route. It answers exactly as
 * `compileRules({ routes: [], unmatchedRoutes: "allow" })` does (a test holds them equal), without
 * the rule compiler, so a Lambda bundle whose embedded configuration has no rules leaves it out.
 */

export const OPEN_RULES: RuleSet = Object.freeze({
  rules: Object.freeze([]),
  unmatchedRoutes: "allow",
  unmatchedMethods: Object.freeze([]),
  decide: (_claims: unknown, target: RuleTarget) => {
    const t = target as { method?: unknown; path?: unknown; routeKey?: unknown } | null;
    if (t === null || typeof t !== "object") return DENY_NO_TARGET;
    if (typeof t.method === "string" && typeof t.path === "string")
      return isRoutedMethod(t.method) ? ALLOW_UNMATCHED : DENY_METHOD;
    return typeof t.routeKey === "string" ? ALLOW_UNMATCHED : DENY_NO_TARGET;
  },
  rank: () => -1,
  select: () => -1,
});
