import type { RuleDecision, RuleTarget } from "./decisions.js";
import type { RoutedMethod } from "./methods.js";
import type { Requirement } from "./requirements.js";
import type { RoutePattern } from "./route-pattern.js";

export type { RuleDecision, RuleReason, RuleTarget } from "./decisions.js";

/**
 * Methods of a rule's path that no rule decides: requests such as `POST /orders/{id}` next to a
 * rule for `GET /orders/{id}` only. They are left to the unmatched-route answer, which is an allow
 * here (`unmatchedRoutes: "allow"`, or an open `$default` rule): any authenticated principal may call
 * them. API Gateway's semantics, kept; said at cold start so that it is never silent.
 */
export interface UnmatchedMethods {
  /** The path as written in the rules (`/orders/{id}`). */
  readonly path: string;
  /** The methods no rule decides on that path, in {@link ROUTED_METHODS} order. */
  readonly methods: readonly RoutedMethod[];
  /** What decides them: `unmatchedRoutes` or the `$default` rule. */
  readonly decidedBy: "unmatchedRoutes" | "$default";
}

/** One validated rule. */
export interface CompiledRule {
  /** Position in `routes`. */
  readonly index: number;
  /** `routes[3]`. */
  readonly field: string;
  /** The normalized pattern text. */
  readonly route: string;
  readonly pattern: RoutePattern;
  readonly requirement: Requirement;
}

/**
 * Compiled route rules; build one with `compileRules` at cold start and reuse it. It decides; the
 * IAM side (plans, warnings) is computed from it by `policy/rule-policy.ts`.
 */
export interface RuleSet {
  /** The rules in configuration order. */
  readonly rules: readonly CompiledRule[];
  readonly unmatchedRoutes: "allow" | "deny";
  /** Rule paths with methods left to an allowing unmatched-route answer (see {@link UnmatchedMethods}). */
  readonly unmatchedMethods: readonly UnmatchedMethods[];
  /**
   * Decides one target for one principal. Never throws: any claims value is accepted (a non-object
   * counts as no claims), and an unexpected failure denies. `scopeClaims`: the claims `scopes` rules
   * read (the token's issuer's `scopeClaims`) [`["scope", "scp"]`].
   *
   * @example
   * ruleSet.decide({ sub: "u1", scope: "orders:read" }, { method: "GET", path: "/orders/7" })
   * // { allowed: true, route: "GET /orders/{id}", reason: null }
   */
  decide(claims: unknown, target: RuleTarget, scopeClaims?: readonly string[]): RuleDecision;
  /**
   * The position of rule `index` among the HTTP rules in specificity order (most specific first), or
   * -1 for `$connect` and `$default`.
   */
  rank(index: number): number;
  /** The index of the rule REST route selection picks for `method path`, or -1 when none matches. */
  select(method: string, path: string): number;
}

/** Input of {@link compileRules}: the `routes` and `unmatchedRoutes` fields of the configuration. */
export interface RulesInput {
  /** Route rules (`RouteConfig` objects), validated here in depth [none]. */
  readonly routes?: readonly unknown[] | undefined;
  /** What happens on a route no rule matches ["allow"]. */
  readonly unmatchedRoutes?: "allow" | "deny" | undefined;
}
