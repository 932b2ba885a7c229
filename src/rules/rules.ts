import { ConfigError } from "../errors.js";
import {
  ALLOW_UNMATCHED,
  DENY_METHOD,
  DENY_NO_TARGET,
  DENY_UNMATCHED,
  type RuleDecision,
  type RuleTarget,
} from "./decisions.js";
import { globTokens, hasWildcard, intersects, type LanguageToken, matchIamGlob } from "./iam-glob.js";
import { isRoutedMethod, ROUTED_METHODS, type RoutedMethod } from "./methods.js";
import { analyseOverlaps } from "./overlaps.js";
import {
  checkRequirement,
  compileRequirement,
  type Requirement,
  type RequirementFailure,
} from "./requirements.js";
import {
  compareSpecificity,
  coversPattern,
  createRouteMatcher,
  excessPathGlobs,
  type HttpRoutePattern,
  iamPathGlob,
  methodsMeet,
  parseRoutePattern,
  pathLanguage,
  patternMethods,
  type RouteMatcher,
  type RoutePattern,
} from "./route-pattern.js";

export type { RuleDecision, RuleReason, RuleTarget } from "./decisions.js";

/**
 * The rule set: route rules compiled once at cold start, then asked per request whether a principal
 * may call a route ({@link RuleSet.decide}) and which IAM resources describe everything it may call
 * ({@link RuleSet.iamPlan}, used by `policy/build.ts`).
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
 *    In practice: sub-paths of a protected `{param}` or `{proxy+}` route inherit its protection.
 *
 * Route-key targets: `$connect` is decided by a `$connect` rule, else as in 3. An HTTP API route key
 * such as `GET /orders/{id}` stands for all the requests that route serves; it is allowed only if
 * every rule that could decide one of those requests (under HTTP API route selection) allows
 * (conservative). `$default` and any other route key say nothing about the path, so they are
 * allowed only if every HTTP rule and the unmatched-route answer allow. The answer for a route key
 * is therefore the same for every request of that route: what an answer cached per route key needs
 * (HTTP API simple responses). Otherwise, pass `{ method, path }` taken from the method/route ARN.
 */

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
   * counts as no claims), and an unexpected failure denies.
   *
   * @example
   * ruleSet.decide({ sub: "u1", scope: "orders:read" }, { method: "GET", path: "/orders/7" })
   * // { allowed: true, route: "GET /orders/{id}", reason: null }
   */
  decide(claims: unknown, target: RuleTarget): RuleDecision;
  /**
   * The IAM resource plan for one principal (see {@link IamPlan}). `list: true` forces the allow-list
   * form even when unmatched routes are allowed (a safe fallback: it denies unmatched routes).
   */
  iamPlan(claims: unknown, options?: { list?: boolean }): IamPlan;
}

/** Input of {@link compileRules}: the `routes` and `unmatchedRoutes` fields of the configuration. */
export interface RulesInput {
  /** Route rules (`RouteConfig` objects), validated here in depth [none]. */
  readonly routes?: readonly unknown[] | undefined;
  /** What happens on a route no rule matches ["allow"]. */
  readonly unmatchedRoutes?: "allow" | "deny" | undefined;
}

/**
 * The most route rules accepted. The compile-time overlap analysis only compares rules that can meet
 * and has a work budget of its own (a rule set that overlaps too much is refused, see `overlaps.ts`).
 */
export const MAX_ROUTES = 1000;

const RULE_KEYS = ["route", "scopes", "scopesMode", "claims", "allow"];

/** IAM resources longer than this many characters are refused by API Gateway. */
const MAX_RESOURCE = 512;
/**
 * The longest `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/` that `parseArn`
 * accepts (partition ≤ 32, region ≤ 32, API id ≤ 64, stage ≤ 128 characters).
 */
const MAX_PREFIX = 290;

const TEMPLATE_CACHE_MAX = 256;
const PLAN_CACHE_MAX = 256;

const show = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

const freeze = <T extends object>(value: T): T => Object.freeze(value);

const DENY_ERROR: RuleDecision = freeze({
  allowed: false,
  route: null,
  reason: "ERR_ROUTE_NOT_ALLOWED",
  detail: "the rules could not be evaluated",
});

const NO_CLAIMS: Record<string, unknown> = freeze(Object.create(null));

/** Per-rule data for HTTP patterns: specificity rank, IAM translations and their relations. */
interface HttpEntry {
  readonly index: number;
  readonly pattern: HttpRoutePattern;
  readonly methods: readonly RoutedMethod[];
  readonly pathGlob: string;
  readonly language: LanguageToken[];
  readonly globLanguage: LanguageToken[];
  readonly excessWild: string[];
  /** `GET/orders/*` for each method. */
  readonly allowTails: string[];
  /** Excess globs with a wildcard, for each method. */
  readonly excessWildTails: string[];
  /** Excess globs without wildcards, each with the rule that decides that one request (-1: none). */
  readonly excessLiteralTails: Array<{ tail: string; decider: number }>;
  /** Rules whose requests the excess globs also cover (this rule itself included when so). */
  readonly excessHits: number[];
  /** Less specific rules sharing requests with this one: if one of them is allowed broadly, deny this one's resource. */
  readonly denyGuards: number[];
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

/**
 * Validates and compiles route rules. Throws a `ConfigError` naming the field for: a rule that is not
 * an object, an unknown field (`routes[3].scope`), a malformed pattern or unknown method
 * (`routes[3].route`), `{proxy+}` not last, a duplicate route (same method and shape, parameter names
 * ignored), an empty or malformed `scopes` list, a bad `scopesMode`, a claim requirement that can
 * never match, `allow` other than `true`, a rule without requirements, or a bad `unmatchedRoutes`.
 *
 * Also analyses, once, how the rules' IAM resources overlap (see {@link RuleSet.warnings}).
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
      if (!RULE_KEYS.includes(key))
        throw new ConfigError(`${field}.${key}`, `unknown field (expected one of: ${RULE_KEYS.join(", ")}).`);
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

class CompiledRuleSet implements RuleSet {
  readonly rules: readonly CompiledRule[];
  readonly unmatchedRoutes: "allow" | "deny";
  readonly warnings: readonly RuleWarning[];
  readonly unmatchedMethods: readonly UnmatchedMethods[];

  readonly #http: HttpEntry[] = [];
  /** Rule index → its HTTP entry (undefined for `$connect` / `$default`). */
  readonly #httpByRule: Array<HttpEntry | undefined>;
  /** HTTP rule indices, most specific first. */
  readonly #byRank: number[];
  /** HTTP rule indices in HTTP API route selection order (full matches before greedy ones). */
  readonly #byHttpRank: number[];
  /** The matcher with HTTP API route selection (slots as {@link #matcher}). */
  readonly #httpMatcher: RouteMatcher;
  readonly #rank: Int32Array;
  readonly #matcher: RouteMatcher;
  /** Matcher slot → rule index. */
  readonly #matcherRules: number[];
  /** For unmatched requests: per method, the rules whose IAM resource has a wildcard. */
  readonly #zones = new Map<string, Array<{ index: number; pathGlob: string }>>();
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
    this.#rank = new Int32Array(rules.length).fill(-1);
    this.#byRank.forEach((ruleIndex, rank) => {
      this.#rank[ruleIndex] = rank;
    });

    for (const rule of httpRules) {
      const pattern = rule.pattern as HttpRoutePattern;
      const methods = patternMethods(pattern);
      const pathGlob = iamPathGlob(pattern);
      const excess = excessPathGlobs(pattern);
      const excessWild = excess.filter(hasWildcard);
      const excessLiteral = excess.filter((g) => !hasWildcard(g));
      const entry: HttpEntry = {
        index: rule.index,
        pattern,
        methods,
        pathGlob,
        language: pathLanguage(pattern),
        globLanguage: globTokens(pathGlob),
        excessWild,
        allowTails: methods.map((m) => m + pathGlob),
        excessWildTails: methods.flatMap((m) => excessWild.map((g) => m + g)),
        excessLiteralTails: methods.flatMap((m) =>
          excessLiteral.map((g) => {
            const slot = this.#matcher.match(m, g);
            return { tail: m + g, decider: slot === -1 ? -1 : this.#matcherRules[slot]! };
          }),
        ),
        excessHits: [],
        denyGuards: [],
      };
      this.#http.push(entry);
      this.#httpByRule[rule.index] = entry;
    }
    for (const index of this.#byRank) {
      const entry = this.#httpByRule[index]!;
      if (!entry.pathGlob.includes("*")) continue;
      for (const m of entry.methods) {
        let list = this.#zones.get(m);
        if (!list) {
          list = [];
          this.#zones.set(m, list);
        }
        list.push({ index, pathGlob: entry.pathGlob });
      }
    }
    this.warnings = freeze(this.#analyse());
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

  /** Fills `excessHits` and `denyGuards`, and returns the warnings. */
  #analyse(): RuleWarning[] {
    const rules = this.rules;
    const http = this.#http;
    const found = analyseOverlaps(
      http.map((e) => {
        const requirement = rules[e.index]!.requirement;
        return {
          pattern: e.pattern,
          pathGlob: e.pathGlob,
          excessWild: e.excessWild,
          rank: this.#rank[e.index]!,
          open: requirement.open,
          key: requirement.key,
        };
      }),
    );
    http.forEach((e, i) => {
      for (const p of found.denyGuards[i]!) e.denyGuards.push(http[p]!.index);
      for (const q of found.excessHits[i]!) e.excessHits.push(http[q]!.index);
    });

    const warnings: RuleWarning[] = [];
    // Which policy forms are in use: "stage" when the unmatched-route answer can be allow, "list" when it can be deny.
    const defaultRule = this.#defaultIndex >= 0 ? rules[this.#defaultIndex]! : null;
    const stageForm = defaultRule !== null || this.unmatchedRoutes === "allow";
    const listForm =
      this.unmatchedRoutes === "deny" || (defaultRule !== null && !defaultRule.requirement.open);
    for (let i = 0; i < found.overlaps.length; i += 2) {
      const p = http[found.overlaps[i]!]!;
      const q = http[found.overlaps[i + 1]!]!;
      // The list form denies q's resource only when a less specific rule could be allowed broadly.
      if (!stageForm && q.denyGuards.length === 0) continue;
      warnings.push({
        code: "IAM_DENY_OVERLAP",
        route: p.pattern.text,
        other: q.pattern.text,
        message: `requests to ${p.pattern.text} also fall under ${q.pattern.method === "ANY" ? "*" : q.pattern.method}${q.pathGlob}, the IAM resource of ${q.pattern.text} (IAM's * spans "/"): a principal denied ${q.pattern.text} but allowed ${p.pattern.text} may get 403 on ${p.pattern.text}.`,
      });
    }
    for (const p of this.#http) {
      if (listForm) {
        // Built once per rule: the warnings of one rule share it.
        const trims = p.excessHits.length > 0 ? p.excessWild.join(", ") : "";
        for (const hit of p.excessHits) {
          const other = rules[hit]!.route;
          warnings.push({
            code: "IAM_ALLOW_EXCESS",
            route: p.pattern.text,
            other,
            message:
              hit === p.index
                ? `IAM wildcards cannot describe ${p.pattern.text} exactly: with unmatched routes denied, a cached policy allows it only for the exact path that was authorized, so other requests to it may get 403.`
                : `the IAM globs that trim ${p.pattern.text}'s resource (${trims}) also cover requests of ${other}: with unmatched routes denied and both allowed, a cached policy allows ${p.pattern.text} only for the exact path that was authorized, so other requests to it may get 403.`,
          });
        }
      }
      const longest = Math.max(
        ...p.allowTails.map((t) => t.length),
        ...p.excessWildTails.map((t) => t.length),
        ...p.excessLiteralTails.map((x) => x.tail.length),
      );
      if (longest > MAX_RESOURCE - MAX_PREFIX) {
        warnings.push({
          code: "IAM_RESOURCE_LONG",
          route: p.pattern.text,
          other: null,
          message: `the IAM resource of ${p.pattern.text} may exceed ${MAX_RESOURCE} characters; it is then left out of Allow statements or shortened to a broader Deny.`,
        });
      }
    }
    return warnings;
  }

  decide(claims: unknown, target: RuleTarget): RuleDecision {
    try {
      const c = isRecord(claims) ? claims : NO_CLAIMS;
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
        );
      if (typeof t.routeKey === "string") return this.#decideRouteKey(c, t.routeKey);
      return DENY_NO_TARGET;
    } catch {
      // Claims are plain JSON, so this is unreachable in practice; fail closed all the same.
      return DENY_ERROR;
    }
  }

  #verdict(index: number, claims: Record<string, unknown>): RuleDecision {
    const rule = this.rules[index]!;
    const failure = checkRequirement(rule.requirement, claims);
    return failure === null ? this.#allowDecisions[index]! : denial(rule.route, failure);
  }

  #catchAll(claims: Record<string, unknown>): RuleDecision {
    if (this.#defaultIndex >= 0) return this.#verdict(this.#defaultIndex, claims);
    return this.unmatchedRoutes === "allow" ? ALLOW_UNMATCHED : DENY_UNMATCHED;
  }

  #decideRequest(
    claims: Record<string, unknown>,
    method: string,
    path: string,
    matcher: RouteMatcher,
  ): RuleDecision {
    if (!isRoutedMethod(method)) return DENY_METHOD;
    const slot = matcher.match(method, path);
    if (slot >= 0) return this.#verdict(this.#matcherRules[slot]!, claims);
    const base = this.#catchAll(claims);
    if (!base.allowed) return base;
    const zones = this.#zones.get(method);
    if (zones !== undefined) {
      for (let i = 0; i < zones.length; i++) {
        const zone = zones[i]!;
        if (!matchIamGlob(zone.pathGlob, path)) continue;
        const rule = this.rules[zone.index]!;
        const failure = checkRequirement(rule.requirement, claims);
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

  #decideRouteKey(claims: Record<string, unknown>, routeKey: string): RuleDecision {
    const plan = this.#templatePlan(routeKey);
    for (const index of plan.rules) {
      const decision = this.#verdict(index, claims);
      if (!decision.allowed) return decision;
    }
    if (plan.catchAll) {
      const base = this.#catchAll(claims);
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
      // With a cover, only rules that may win some of its requests; without one, also the IAM zones.
      const other = cover >= 0 ? entry.language : entry.globLanguage;
      if (intersects(language, other)) relevant.push(index);
    }
    return { rules: relevant, cover, catchAll: cover < 0 };
  }

  /** 1 when the principal passes rule i; a rule that cannot be evaluated counts as failed. */
  #verdicts(claims: Record<string, unknown>): Uint8Array {
    const out = new Uint8Array(this.rules.length);
    for (let i = 0; i < out.length; i++) {
      try {
        out[i] = checkRequirement(this.rules[i]!.requirement, claims) === null ? 1 : 0;
      } catch {
        out[i] = 0;
      }
    }
    return out;
  }

  /**
   * Plans by verdict vector: a plan depends only on which rules the principal passes, and most
   * principals share a handful of vectors, so each is planned once. Bounded; plans are frozen.
   */
  readonly #plans = new Map<string, IamPlan>();

  iamPlan(claims: unknown, options?: { list?: boolean }): IamPlan {
    const c = isRecord(claims) ? claims : NO_CLAIMS;
    const v = this.#verdicts(c);
    const key = `${options?.list === true ? "L" : "S"}${v.join("")}`;
    let plan = this.#plans.get(key);
    if (plan === undefined) {
      if (this.#plans.size >= PLAN_CACHE_MAX) this.#plans.clear();
      plan = this.#plan(v, options);
      Object.freeze(plan.allow);
      Object.freeze(plan.deny);
      this.#plans.set(key, Object.freeze(plan));
    }
    return plan;
  }

  #plan(v: Uint8Array, options?: { list?: boolean }): IamPlan {
    const catchAllAllowed =
      this.#defaultIndex >= 0 ? v[this.#defaultIndex] === 1 : this.unmatchedRoutes === "allow";
    const connectAllowed = this.#connectIndex >= 0 ? v[this.#connectIndex] === 1 : catchAllAllowed;
    const allow: string[] = [];
    const deny: string[] = [];
    if (catchAllAllowed && options?.list !== true) {
      // Every routable method, not `…/{stage}/*`: the latter would also allow route keys such as
      // `$default` and unknown verbs, which decide() refuses.
      for (const m of ROUTED_METHODS) allow.push(`${m}/*`);
      if (connectAllowed) allow.push("$connect");
      for (const entry of this.#http) if (v[entry.index] === 0) deny.push(...entry.allowTails);
      return { mode: "stage", allow, deny };
    }
    if (connectAllowed) allow.push("$connect");
    const broad = new Uint8Array(this.rules.length);
    for (const entry of this.#http) {
      if (v[entry.index] === 0) continue;
      // Allowed broadly only if the globs trimming its resource spare every rule the principal passes.
      if (entry.excessHits.some((hit) => v[hit] === 1)) continue;
      broad[entry.index] = 1;
      allow.push(...entry.allowTails);
      deny.push(...entry.excessWildTails);
      for (const x of entry.excessLiteralTails) if (x.decider < 0 || v[x.decider] === 0) deny.push(x.tail);
    }
    for (const entry of this.#http) {
      if (v[entry.index] === 0 && entry.denyGuards.some((g) => broad[g] === 1))
        deny.push(...entry.allowTails);
    }
    return { mode: "list", allow, deny };
  }
}

function denial(route: string, failure: RequirementFailure): RuleDecision {
  return { allowed: false, route, reason: failure.reason, detail: failure.detail };
}
