import type { RuleDecision } from "./rules.js";

/**
 * What every rule set shares: the methods API Gateway routes and the decisions that do not depend
 * on a rule. Kept apart from the rule compiler so the open rule set (rules/open.ts) needs nothing else.
 */

/** The HTTP methods API Gateway routes; `ANY` in a pattern stands for exactly these. */
export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
/** One of {@link HTTP_METHODS}. */
export type HttpMethod = (typeof HTTP_METHODS)[number];

const METHOD_SET: ReadonlySet<string> = new Set(HTTP_METHODS);

/** True for one of {@link HTTP_METHODS} (exact, upper case). */
export function isHttpMethod(method: string): method is HttpMethod {
  return METHOD_SET.has(method);
}

const freeze = <T extends object>(value: T): T => Object.freeze(value);

export const DENY_METHOD: RuleDecision = freeze({
  allowed: false,
  route: null,
  reason: "ERR_ROUTE_NOT_ALLOWED",
  detail: "the request method is not one API Gateway routes",
});
export const DENY_UNMATCHED: RuleDecision = freeze({
  allowed: false,
  route: null,
  reason: "ERR_ROUTE_NOT_ALLOWED",
  detail: 'no rule matches the route and unmatchedRoutes is "deny"',
});
export const ALLOW_UNMATCHED: RuleDecision = freeze({ allowed: true, route: null, reason: null });
export const DENY_NO_TARGET: RuleDecision = freeze({
  allowed: false,
  route: null,
  reason: "ERR_ROUTE_NOT_ALLOWED",
  detail: "no method and path or route key to decide",
});
