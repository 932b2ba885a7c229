import type { RuleSet } from "../rules/types.js";

/** The IAM side of a rule set: what its compile-time analysis finds, and the plan of one principal. */

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
 * IAM resource tails (what follows `arn:…:{apiId}/{stage}/`) for one principal, as computed by
 * {@link PolicyRules.iamPlan}. `allow` and `deny` are lists of IAM globs; `deny` wins.
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

/**
 * A rule set with its IAM side: the decisions of `rules/`, plus the IAM plan per principal and the
 * warnings of the overlap analysis (the specificity and selection a plan reads stay with the rule
 * set). Build one with `compilePolicyRules` (or `withIamPlans`).
 */
export interface PolicyRules extends Omit<RuleSet, "rank" | "select"> {
  /** Where IAM wildcards make cached policies inexact for these rules (see {@link RuleWarning}). */
  readonly warnings: readonly RuleWarning[];
  /**
   * The IAM resource plan for one principal (see {@link IamPlan}). `list: true` forces the allow-list
   * form even when unmatched routes are allowed (a safe fallback: it denies unmatched routes).
   * `scopeClaims`: as for `decide`.
   */
  iamPlan(
    claims: unknown,
    options?: { list?: boolean; scopeClaims?: readonly string[] | undefined },
  ): IamPlan;
}
