import type { RuleDecision, RuleTarget } from "./decisions.js";
import type { RoutedMethod } from "./methods.js";
import type { Requirement } from "./requirements.js";
import type { RoutePattern } from "./route-pattern.js";

export type { RuleDecision, RuleReason, RuleTarget } from "./decisions.js";

/**
 * A compile-time finding about IAM wildcards: where a cached policy cannot tell two routes apart.
 * Never a safety problem (the cached answer is then a Deny, never a wrong Allow), only lost exactness.
 */
export interface RuleWarning {
  /**
   * - `IAM_DENY_OVERLAP`: the IAM resource of `other` covers requests of `route`; a principal denied
   *   `other` but allowed `route` can get a (cached) 403 on `route`.
   * - `IAM_ALLOW_EXCESS`: with unmatched routes denied, the globs that trim the IAM resource of `route`
   *   down to its pattern also cover requests of `other` (or of `route` itself); while both are allowed,
   *   other requests of `route` are only allowed one exact path at a time, so they may get a cached 403.
   * - `IAM_RESOURCE_LONG`: the route's IAM resource may exceed 512 characters; it is then dropped
   *   (Allow) or shortened to a broader Deny.
   */
  readonly code: "IAM_DENY_OVERLAP" | "IAM_ALLOW_EXCESS" | "IAM_RESOURCE_LONG";
  readonly route: string;
  readonly other: string | null;
  readonly message: string;
}

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
 * IAM resource tails (what follows `arn:…:{apiId}/{stage}/`) for one principal, as computed by
 * {@link RuleSet.iamPlan}. `allow` and `deny` are lists of IAM globs; `deny` wins.
 */
export interface IamPlan {
  /**
   * `"stage"`: unmatched routes are allowed; `allow` covers every routable method on the stage, and
   * `deny` lists the resources of the rules the principal fails.
   * `"list"`: unmatched routes are denied; `allow` lists the resources of the rules the principal
   * passes and `deny` trims them back to exactly those rules.
   */
  readonly mode: "stage" | "list";
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

/** Compiled route rules; build one with {@link compileRules} at cold start and reuse it. */
export interface RuleSet {
  /** The rules in configuration order. */
  readonly rules: readonly CompiledRule[];
  readonly unmatchedRoutes: "allow" | "deny";
  /** Where IAM wildcards make cached policies inexact for these rules (see {@link RuleWarning}). */
  readonly warnings: readonly RuleWarning[];
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
   * The IAM resource plan for one principal (see {@link IamPlan}). `list: true` forces the allow-list
   * form even when unmatched routes are allowed (a safe fallback: it denies unmatched routes).
   * `scopeClaims`: as for {@link decide}.
   */
  iamPlan(
    claims: unknown,
    options?: { list?: boolean; scopeClaims?: readonly string[] | undefined },
  ): IamPlan;
}

/** Input of {@link compileRules}: the `routes` and `unmatchedRoutes` fields of the configuration. */
export interface RulesInput {
  /** Route rules (`RouteConfig` objects), validated here in depth [none]. */
  readonly routes?: readonly unknown[] | undefined;
  /** What happens on a route no rule matches ["allow"]. */
  readonly unmatchedRoutes?: "allow" | "deny" | undefined;
}
