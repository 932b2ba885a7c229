import { ALLOW_UNMATCHED, DENY_METHOD, DENY_NO_TARGET, type RuleTarget } from "./decisions.js";
import { isRoutedMethod, ROUTED_METHODS } from "./methods.js";
import type { IamPlan, RuleSet } from "./types.js";

/**
 * The rule set of a configuration with no route rules and `unmatchedRoutes: "allow"`: every
 * authenticated principal may call every route. It answers exactly as
 * `compileRules({ routes: [], unmatchedRoutes: "allow" })` does (a test holds them equal), without
 * the rule compiler, so a Lambda bundle whose embedded configuration has no rules leaves it out.
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

export const OPEN_RULES: RuleSet = Object.freeze({
  rules: Object.freeze([]),
  unmatchedRoutes: "allow",
  warnings: Object.freeze([]),
  unmatchedMethods: Object.freeze([]),
  decide: (_claims: unknown, target: RuleTarget) => {
    const t = target as { method?: unknown; path?: unknown; routeKey?: unknown } | null;
    if (t === null || typeof t !== "object") return DENY_NO_TARGET;
    if (typeof t.method === "string" && typeof t.path === "string")
      return isRoutedMethod(t.method) ? ALLOW_UNMATCHED : DENY_METHOD;
    return typeof t.routeKey === "string" ? ALLOW_UNMATCHED : DENY_NO_TARGET;
  },
  iamPlan: (_claims: unknown, options?: { list?: boolean }) =>
    options?.list === true ? LIST_PLAN : STAGE_PLAN,
});
