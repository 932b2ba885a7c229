import {
  ALLOW_UNMATCHED,
  DENY_METHOD,
  DENY_NO_TARGET,
  DENY_UNMATCHED,
  type RuleDecision,
  type RuleTarget,
} from "./decisions.js";
import { intersects, type LanguageToken } from "./languages.js";
import { isRoutedMethod, ROUTED_METHODS, type RoutedMethod } from "./methods.js";
import { checkRequirement, DEFAULT_SCOPE_CLAIMS, type RequirementFailure } from "./requirements.js";
import {
  compareSpecificity,
  coversPattern,
  createRouteMatcher,
  type HttpRoutePattern,
  methodsMeet,
  parseRoutePattern,
  pathLanguage,
  patternMethods,
  type RouteMatcher,
  type RoutePattern,
} from "./route-pattern.js";
import type { CompiledRule, RuleSet, UnmatchedMethods } from "./types.js";
import { hasZone, ZoneIndex, zoneLanguage } from "./zones.js";

/**
 * The decision engine of a rule set: route rules compiled once at cold start, then asked per request
 * whether a principal may call a route ({@link RuleSet.decide}). Which IAM resources describe
 * everything it may call is computed from the same rules on the policy side (`policy/rule-policy.ts`).
 *
 * Decision semantics, for a request `METHOD /path`:
 * 1. A method outside {@link ROUTED_METHODS} is denied (`ERR_ROUTE_NOT_ALLOWED`): API Gateway routes
 *    no other, and an unknown verb must not slip past `ANY` rules.
 * 2. Otherwise the matching rule API Gateway's route selection would pick decides (`selection` of the
 *    target, REST's by default; see `createRouteMatcher`, the same selection the local gateway
 *    routes with): allowed when the claims meet its requirement, else `ERR_SCOPE_MISSING` /
 *    `ERR_CLAIM_MISMATCH`.
 * 3. With no matching rule, the `$default` rule decides if there is one, else `unmatchedRoutes`
 *    (`"allow"`: any authenticated principal; `"deny"`: `ERR_ROUTE_NOT_ALLOWED`).
 * 4. One refinement of 3, so that a cached IAM policy and a fresh decision always agree: an unmatched
 *    request that falls inside the IAM resource of a rule the principal fails is denied by that rule.
 *    IAM's `*` spans `/`, so the resource of `GET /orders/{id}` is `GET/orders/*`, which also covers
 *    the unmatched `GET /orders/1/notes`; a policy that denies the former necessarily denies the latter.
 *    In practice: sub-paths of a protected `{param}` or `{proxy+}` route inherit its protection. The
 *    rules read that resource in route terms, as the rule's zone (`zones.ts`).
 *
 * Route-key targets: `$connect` is decided by a `$connect` rule, else as in 3. An HTTP API route key
 * such as `GET /orders/{id}` stands for all the requests that route serves; it is allowed only if
 * every rule that could decide one of those requests (under HTTP API route selection) allows
 * (conservative). `$default` and any other route key say nothing about the path, so they are
 * allowed only if every HTTP rule and the unmatched-route answer allow. The answer for a route key
 * is therefore the same for every request of that route: what an answer cached per route key needs
 * (HTTP API simple responses). Otherwise, pass `{ method, path }` taken from the method/route ARN.
 */

const TEMPLATE_CACHE_MAX = 256;

const freeze = <T extends object>(value: T): T => Object.freeze(value);

const DENY_ERROR: RuleDecision = freeze({
  allowed: false,
  route: null,
  reason: "ERR_ROUTE_NOT_ALLOWED",
  detail: "the rules could not be evaluated",
});

const NO_CLAIMS: Record<string, unknown> = freeze(Object.create(null));

/** Per-rule data for HTTP patterns: the pattern, and the languages of its requests and of its zone. */
interface HttpEntry {
  readonly index: number;
  readonly pattern: HttpRoutePattern;
  readonly methods: readonly RoutedMethod[];
  readonly language: LanguageToken[];
  /** The zone (see `zones.ts`): what the rule's IAM resource covers. */
  readonly zoneLanguage: LanguageToken[];
}

interface TemplatePlan {
  /** Rules to check, most specific first; all must allow. */
  readonly rules: readonly number[];
  /** The rule that covers the whole template, or -1. */
  readonly cover: number;
  /** Whether the unmatched-route answer (`$default` or `unmatchedRoutes`) must also allow. */
  readonly catchAll: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A {@link RuleSet} over rules validated by `compileRules`. */
export class CompiledRuleSet implements RuleSet {
  readonly rules: readonly CompiledRule[];
  readonly unmatchedRoutes: "allow" | "deny";
  readonly unmatchedMethods: readonly UnmatchedMethods[];

  readonly #http: HttpEntry[] = [];
  /** Rule index → its specificity rank among the HTTP rules (-1 for the others). */
  readonly #rank: Int32Array;
  /** Rule index → its HTTP entry (undefined for `$connect` / `$default`). */
  readonly #httpByRule: Array<HttpEntry | undefined>;
  /** HTTP rule indices, most specific first. */
  readonly #byRank: number[];
  /** HTTP rule indices in HTTP API route selection order (full matches before greedy ones). */
  readonly #byHttpRank: number[];
  /** The matcher with HTTP API route selection (slots as {@link #matcher}). */
  readonly #httpMatcher: RouteMatcher;
  readonly #matcher: RouteMatcher;
  /** Matcher slot → rule index. */
  readonly #matcherRules: number[];
  /** For unmatched requests: the rules whose zone (IAM resource) is wider than their path. */
  readonly #zones: ZoneIndex;
  readonly #defaultIndex: number;
  readonly #connectIndex: number;
  readonly #allowDecisions: RuleDecision[];
  readonly #templates = new Map<string, TemplatePlan>();

  constructor(rules: CompiledRule[], unmatched: "allow" | "deny") {
    this.rules = freeze(rules);
    this.unmatchedRoutes = unmatched;
    this.#defaultIndex = rules.findIndex((r) => r.pattern.kind === "default");
    this.#connectIndex = rules.findIndex((r) => r.pattern.kind === "key");
    this.#allowDecisions = rules.map((r) => freeze({ allowed: true, route: r.route, reason: null }));
    this.#httpByRule = new Array(rules.length);

    const httpRules = rules.filter((r) => r.pattern.kind === "http");
    this.#matcherRules = httpRules.map((r) => r.index);
    this.#matcher = createRouteMatcher(httpRules.map((r) => r.pattern as HttpRoutePattern));
    this.#byRank = httpRules
      .map((r) => r.index)
      .sort((a, b) =>
        compareSpecificity(rules[a]!.pattern as HttpRoutePattern, rules[b]!.pattern as HttpRoutePattern),
      );
    this.#httpMatcher = createRouteMatcher(
      httpRules.map((r) => r.pattern as HttpRoutePattern),
      "http",
    );
    // compareSelection(…, "http"): full matches first, each part in specificity order.
    const greedy = (i: number) => (rules[i]!.pattern as HttpRoutePattern).segments.at(-1)?.kind === "proxy";
    this.#byHttpRank = [...this.#byRank.filter((i) => !greedy(i)), ...this.#byRank.filter(greedy)];
    const rank = new Int32Array(rules.length).fill(-1);
    this.#byRank.forEach((ruleIndex, r) => {
      rank[ruleIndex] = r;
    });

    for (const rule of httpRules) {
      const pattern = rule.pattern as HttpRoutePattern;
      const entry: HttpEntry = {
        index: rule.index,
        pattern,
        methods: patternMethods(pattern),
        language: pathLanguage(pattern),
        zoneLanguage: zoneLanguage(pattern),
      };
      this.#http.push(entry);
      this.#httpByRule[rule.index] = entry;
    }
    this.#zones = new ZoneIndex(
      this.#http.filter((e) => hasZone(e.pattern)),
      rank,
    );

    this.#rank = rank;
    this.unmatchedMethods = freeze(this.#unmatchedMethods());
  }

  /**
   * For each rule path, the methods whose requests fall to the catch-all when it allows. Probed with
   * one request per method whose parameters are `{}`, a segment no literal can equal: a rule that
   * matches it decides every request of that method and path shape, up to `{proxy+}` lengths.
   */
  #unmatchedMethods(): UnmatchedMethods[] {
    const defaultRule = this.#defaultIndex >= 0 ? this.rules[this.#defaultIndex]! : null;
    if (defaultRule === null ? this.unmatchedRoutes !== "allow" : !defaultRule.requirement.open) return [];
    const decidedBy = defaultRule === null ? "unmatchedRoutes" : "$default";
    const out: UnmatchedMethods[] = [];
    const seen = new Set<string>();
    for (const entry of this.#http) {
      const probe =
        entry.pattern.segments.length === 0
          ? "/"
          : entry.pattern.segments.map((seg) => `/${seg.kind === "literal" ? seg.value : "{}"}`).join("");
      if (seen.has(probe)) continue;
      seen.add(probe);
      const methods = ROUTED_METHODS.filter((m) => this.#matcher.match(m, probe) < 0);
      if (methods.length === 0) continue;
      out.push(freeze({ path: entry.pattern.path, methods: freeze(methods), decidedBy }));
    }
    return out;
  }

  decide(claims: unknown, target: RuleTarget, scopeClaims?: readonly string[]): RuleDecision {
    try {
      const c = isRecord(claims) ? claims : NO_CLAIMS;
      const sc = scopeClaims ?? DEFAULT_SCOPE_CLAIMS;
      const t = target as {
        method?: unknown;
        path?: unknown;
        routeKey?: unknown;
        selection?: unknown;
      } | null;
      if (t === null || typeof t !== "object") return DENY_NO_TARGET;
      if (typeof t.method === "string" && typeof t.path === "string")
        return this.#decideRequest(
          c,
          t.method,
          t.path,
          t.selection === "http" ? this.#httpMatcher : this.#matcher,
          sc,
        );
      if (typeof t.routeKey === "string") return this.#decideRouteKey(c, t.routeKey, sc);
      return DENY_NO_TARGET;
    } catch {
      // Claims are plain JSON, so this is unreachable in practice; fail closed all the same.
      return DENY_ERROR;
    }
  }

  #verdict(index: number, claims: Record<string, unknown>, sc: readonly string[]): RuleDecision {
    const rule = this.rules[index]!;
    const failure = checkRequirement(rule.requirement, claims, sc);
    return failure === null ? this.#allowDecisions[index]! : denial(rule.route, failure);
  }

  #catchAll(claims: Record<string, unknown>, sc: readonly string[]): RuleDecision {
    if (this.#defaultIndex >= 0) return this.#verdict(this.#defaultIndex, claims, sc);
    return this.unmatchedRoutes === "allow" ? ALLOW_UNMATCHED : DENY_UNMATCHED;
  }

  #decideRequest(
    claims: Record<string, unknown>,
    method: string,
    path: string,
    matcher: RouteMatcher,
    sc: readonly string[],
  ): RuleDecision {
    if (!isRoutedMethod(method)) return DENY_METHOD;
    const slot = matcher.match(method, path);
    if (slot >= 0) return this.#verdict(this.#matcherRules[slot]!, claims, sc);
    const base = this.#catchAll(claims, sc);
    if (!base.allowed) return base;
    const zones = this.#zones.find(method, path);
    if (zones.length > 0) {
      for (let i = 0; i < zones.length; i++) {
        const rule = this.rules[zones[i]!]!;
        const failure = checkRequirement(rule.requirement, claims, sc);
        if (failure !== null) {
          return freeze({
            allowed: false,
            route: rule.route,
            reason: failure.reason,
            detail: `${failure.detail} (no rule matches, but the request falls under the IAM resource of ${rule.route})`,
          });
        }
      }
    }
    return base;
  }

  #decideRouteKey(claims: Record<string, unknown>, routeKey: string, sc: readonly string[]): RuleDecision {
    const plan = this.#templatePlan(routeKey);
    for (const index of plan.rules) {
      const decision = this.#verdict(index, claims, sc);
      if (!decision.allowed) return decision;
    }
    if (plan.catchAll) {
      const base = this.#catchAll(claims, sc);
      if (!base.allowed) return base;
      if (plan.cover < 0) return base;
    }
    return plan.cover >= 0 ? this.#allowDecisions[plan.cover]! : ALLOW_UNMATCHED;
  }

  #templatePlan(routeKey: string): TemplatePlan {
    const cached = this.#templates.get(routeKey);
    if (cached) return cached;
    const plan = this.#computeTemplatePlan(routeKey);
    if (this.#templates.size < TEMPLATE_CACHE_MAX) this.#templates.set(routeKey, plan);
    return plan;
  }

  #computeTemplatePlan(routeKey: string): TemplatePlan {
    // Route keys name HTTP API routes: the rules that may decide their requests follow HTTP API selection.
    const byRank = this.#byHttpRank;
    const everything: TemplatePlan = { rules: byRank, cover: -1, catchAll: true };
    if (routeKey === "$connect") {
      return this.#connectIndex >= 0
        ? { rules: [this.#connectIndex], cover: this.#connectIndex, catchAll: false }
        : { rules: [], cover: -1, catchAll: true };
    }
    let template: RoutePattern;
    try {
      template = parseRoutePattern(routeKey);
    } catch {
      return everything;
    }
    if (template.kind !== "http") return everything;
    const cover = byRank.find((i) => coversPattern(this.#httpByRule[i]!.pattern, template)) ?? -1;
    const language = pathLanguage(template);
    const relevant: number[] = [];
    for (const index of byRank) {
      const entry = this.#httpByRule[index]!;
      if (index === cover) {
        relevant.push(index);
        break; // less specific rules never decide a request of a covered template
      }
      if (!methodsMeet(entry.pattern.method, template.method)) continue;
      // With a cover, only rules that may win some of its requests; without one, also the zones.
      const other = cover >= 0 ? entry.language : entry.zoneLanguage;
      if (intersects(language, other)) relevant.push(index);
    }
    return { rules: relevant, cover, catchAll: cover < 0 };
  }

  rank(index: number): number {
    return this.#rank[index] ?? -1;
  }

  select(method: string, path: string): number {
    const slot = this.#matcher.match(method, path);
    return slot === -1 ? -1 : this.#matcherRules[slot]!;
  }
}

function denial(route: string, failure: RequirementFailure): RuleDecision {
  return { allowed: false, route, reason: failure.reason, detail: failure.detail };
}
