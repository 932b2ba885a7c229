import type { RuleReasonCode } from "../errors.js";
import type { RouteSelection } from "./route-pattern.js";

/**
 * What every rule set shares: what a decision is, and the decisions that do not depend on a rule.
 * Kept apart from the rule compiler so the open rule set (rules/open.ts) needs nothing else.
 */

/**
 * What to decide: a concrete request (with the route selection of its API type, `"rest"` by
 * default), or a route key (WebSocket `$connect`, HTTP API `routeKey`).
 */
export type RuleTarget =
  | { method: string; path: string; selection?: RouteSelection | undefined }
  | { routeKey: string };

/** Why a decision denies: scopes missing, a claim requirement failed, or no rule opens the route (all 403). */
export type RuleReason = RuleReasonCode;

/** The answer for one principal and one target. Decisions may be shared, frozen objects: do not mutate. */
export interface RuleDecision {
  readonly allowed: boolean;
  /** The pattern that decided (normalized, e.g. `"GET /orders/{id}"`), `"$default"`, or `null` when none. */
  readonly route: string | null;
  readonly reason: RuleReason | null;
  /** Short and safe to log: names scopes or claims, never a claim's value. */
  readonly detail?: string;
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
