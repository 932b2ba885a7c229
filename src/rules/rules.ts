import { ConfigError } from "../errors.js";
import { unknownField } from "../util/closest.js";
import { compileRequirement } from "./requirements.js";
import { parseRoutePattern } from "./route-pattern.js";
import { CompiledRuleSet } from "./rule-set.js";
import type { CompiledRule, RuleSet, RulesInput } from "./types.js";

/**
 * Route rules: `compileRules` validates the `routes` and `unmatchedRoutes` fields of the
 * configuration and builds the {@link RuleSet} (decisions in `rule-set.ts`; the IAM plans and
 * warnings are computed from it by `policy/rule-policy.ts`). The types of the rule set are in
 * `types.ts`, re-exported here.
 */

export type {
  CompiledRule,
  RuleDecision,
  RuleReason,
  RuleSet,
  RulesInput,
  RuleTarget,
  UnmatchedMethods,
} from "./types.js";

/**
 * The most route rules accepted. The compile-time overlap analysis (policy/overlaps.ts) only compares
 * rules that can meet and has a work budget of its own (a rule set that overlaps too much is refused).
 */
export const MAX_ROUTES = 1000;

const RULE_KEYS = ["route", "scopes", "scopesMode", "claims", "allow"];

const show = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

const freeze = <T extends object>(value: T): T => Object.freeze(value);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Validates and compiles route rules. Throws a `ConfigError` naming the field for: a rule that is not
 * an object, an unknown field (`routes[3].scope`), a malformed pattern or unknown method
 * (`routes[3].route`), `{proxy+}` not last, a duplicate route (same method and shape, parameter names
 * ignored), an empty or malformed `scopes` list, a bad `scopesMode`, a claim requirement that can
 * never match, `allow` other than `true`, a rule without requirements, or a bad `unmatchedRoutes`.
 *
 * @example
 * const ruleSet = compileRules({
 *   routes: [
 *     { route: "GET /orders/{id}", scopes: ["orders:read"] },
 *     { route: "ANY /admin/{proxy+}", claims: { groups: ["admin"] } },
 *   ],
 *   unmatchedRoutes: "allow",
 * });
 */
export function compileRules(input: RulesInput): RuleSet {
  const unmatched = input.unmatchedRoutes ?? "allow";
  if (unmatched !== "allow" && unmatched !== "deny") {
    throw new ConfigError("unmatchedRoutes", `expected "allow" or "deny", got ${show(unmatched)}.`);
  }
  const routes = input.routes ?? [];
  if (!Array.isArray(routes))
    throw new ConfigError("routes", `expected an array of route rules, got ${show(routes)}.`);
  if (routes.length > MAX_ROUTES)
    throw new ConfigError("routes", `at most ${MAX_ROUTES} route rules are supported, got ${routes.length}.`);
  const rules: CompiledRule[] = [];
  const seen = new Map<string, CompiledRule>();
  routes.forEach((raw: unknown, index) => {
    const field = `routes[${index}]`;
    if (!isRecord(raw))
      throw new ConfigError(
        field,
        `expected an object such as {"route": "GET /orders/{id}", "scopes": ["orders:read"]}, got ${show(raw)}.`,
      );
    for (const key of Object.keys(raw)) {
      if (!RULE_KEYS.includes(key)) throw new ConfigError(`${field}.${key}`, unknownField(key, RULE_KEYS));
    }
    const pattern = parseRoutePattern(raw.route, `${field}.route`);
    const requirement = compileRequirement(raw, field);
    const identity = pattern.kind === "http" ? pattern.shape : pattern.text;
    const earlier = seen.get(identity);
    if (earlier) {
      throw new ConfigError(
        `${field}.route`,
        `${show(pattern.text)} duplicates ${earlier.field} (${show(earlier.route)}); one route, one rule.`,
      );
    }
    const rule: CompiledRule = freeze({ index, field, route: pattern.text, pattern, requirement });
    seen.set(identity, rule);
    rules.push(rule);
  });
  return new CompiledRuleSet(rules, unmatched);
}
