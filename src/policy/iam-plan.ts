import { ROUTED_METHODS, type RoutedMethod } from "../rules/methods.js";
import { ClaimProjection } from "../rules/projection.js";
import { checkRequirement } from "../rules/requirements.js";
import { type HttpRoutePattern, patternMethods } from "../rules/route-pattern.js";
import type { CompiledRule, RuleSet } from "../rules/types.js";
import { hasWildcard } from "./iam-glob.js";
import { excessPathGlobs, iamPathGlob } from "./iam-resources.js";
import type { IamPlan, RuleWarning } from "./iam-types.js";
import type { OverlapInput, Overlaps } from "./overlaps.js";

/**
 * The IAM side of a rule set: which IAM resources describe everything a principal may call
 * ({@link IamPlanner.plan}, used by `build.ts`), and where IAM wildcards make a cached policy
 * inexact for these rules ({@link IamPlanner.warnings}, from the overlap analysis of `overlaps.ts`).
 * Built once per rule set by `rule-policy.ts`, from what the rule set of `rules/` exposes.
 */

/** IAM resources longer than this many characters are refused by API Gateway. */
const MAX_RESOURCE = 512;
/**
 * The longest `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/` that `parseArn`
 * accepts (`MAX_ARN_PREFIX` in policy/arn.ts: longer prefixes are refused).
 */
const MAX_PREFIX = 290;

const PLAN_CACHE_MAX = 256;
/**
 * Plans remembered by claim projection. Each entry holds a projection key of at most
 * `MAX_PROJECTION` (projection.ts) characters, so the memo stays under about 2 MB however claims look.
 */
const CLAIMS_CACHE_MAX = 1024;

const freeze = <T extends object>(value: T): T => Object.freeze(value);

/**
 * A warning whose message is written when read: a rule set nested under one root may have tens of
 * thousands of them, and most are only counted or logged. `toJSON` gives the message to logs.
 */
class Warning implements RuleWarning {
  readonly #detail: string | null;

  /** @param detail `IAM_DENY_OVERLAP`: the other rule's resource; `IAM_ALLOW_EXCESS`: the trimming globs (null: the rule itself). */
  constructor(
    readonly code: RuleWarning["code"],
    readonly route: string,
    readonly other: string | null,
    detail: string | null,
  ) {
    this.#detail = detail;
  }

  get message(): string {
    const { route, other } = this;
    if (this.code === "IAM_DENY_OVERLAP")
      return `requests to ${route} also fall under ${this.#detail}, the IAM resource of ${other} (IAM's * spans "/"): a principal denied ${other} but allowed ${route} may get 403 on ${route}.`;
    if (this.code === "IAM_RESOURCE_LONG")
      return `the IAM resource of ${route} may exceed ${MAX_RESOURCE} characters; it is then left out of Allow statements or shortened to a broader Deny.`;
    const exactOnly = "only for the exact path that was authorized, so other requests to it may get 403.";
    return this.#detail === null
      ? `IAM wildcards cannot describe ${route} exactly: with unmatched routes denied, a cached policy allows it ${exactOnly}`
      : `the IAM globs that trim ${route}'s resource (${this.#detail}) also cover requests of ${other}: with unmatched routes denied and both allowed, a cached policy allows ${route} ${exactOnly}`;
  }

  toJSON(): RuleWarning {
    return { ...this, message: this.message };
  }
}

/** Per-rule IAM translations of an HTTP pattern, and their relations to the other rules. */
interface IamEntry {
  readonly index: number;
  readonly pattern: HttpRoutePattern;
  readonly methods: readonly RoutedMethod[];
  readonly pathGlob: string;
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

/** The IAM plans and warnings of one rule set. */
export class IamPlanner {
  /** Where IAM wildcards make cached policies inexact for these rules (see {@link RuleWarning}). */
  readonly warnings: readonly RuleWarning[];
  readonly #rules: readonly CompiledRule[];
  readonly #unmatched: "allow" | "deny";
  readonly #rank: Int32Array;
  readonly #http: IamEntry[] = [];
  readonly #defaultIndex: number;
  readonly #connectIndex: number;
  /** The distinct requirements of the rules, and the claims they read. */
  readonly #reads: ClaimProjection;

  /**
   * @param input what the plan reads of the rule set: its rules, their specificity (`rank`) and REST
   *   selection (`select`).
   * @param analyse the overlap analysis (`analyseOverlaps` of `overlaps.ts`; passed in so that a rule
   *   set without HTTP rules can do without it, see {@link noHttpRules}).
   */
  constructor(input: RuleSet, analyse: (items: readonly OverlapInput[]) => Overlaps) {
    const rules = input.rules;
    this.#rules = rules;
    this.#reads = new ClaimProjection(rules.map((r) => r.requirement));
    this.#unmatched = input.unmatchedRoutes;
    this.#rank = Int32Array.from(rules, (r) => input.rank(r.index));
    this.#defaultIndex = rules.findIndex((r) => r.pattern.kind === "default");
    this.#connectIndex = rules.findIndex((r) => r.pattern.kind === "key");
    for (const rule of rules) {
      if (rule.pattern.kind !== "http") continue;
      const pattern = rule.pattern;
      const methods = patternMethods(pattern);
      const pathGlob = iamPathGlob(pattern);
      const excess = excessPathGlobs(pattern);
      const excessWild = excess.filter(hasWildcard);
      const excessLiteral = excess.filter((g) => !hasWildcard(g));
      this.#http.push({
        index: rule.index,
        pattern,
        methods,
        pathGlob,
        excessWild,
        allowTails: methods.map((m) => m + pathGlob),
        excessWildTails: methods.flatMap((m) => excessWild.map((g) => m + g)),
        excessLiteralTails: methods.flatMap((m) =>
          excessLiteral.map((g) => ({ tail: m + g, decider: input.select(m, g) })),
        ),
        excessHits: [],
        denyGuards: [],
      });
    }
    this.warnings = freeze(this.#analyse(analyse));
  }

  /** Fills `excessHits` and `denyGuards`, and returns the warnings. */
  #analyse(analyse: (items: readonly OverlapInput[]) => Overlaps): RuleWarning[] {
    const rules = this.#rules;
    const http = this.#http;
    const found = analyse(
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
    const stageForm = defaultRule !== null || this.#unmatched === "allow";
    const listForm = this.#unmatched === "deny" || (defaultRule !== null && !defaultRule.requirement.open);
    for (let i = 0; i < found.overlaps.length; i += 2) {
      const p = http[found.overlaps[i]!]!;
      const q = http[found.overlaps[i + 1]!]!;
      // The list form denies q's resource only when a less specific rule could be allowed broadly.
      if (!stageForm && q.denyGuards.length === 0) continue;
      warnings.push(
        new Warning(
          "IAM_DENY_OVERLAP",
          p.pattern.text,
          q.pattern.text,
          `${q.pattern.method === "ANY" ? "*" : q.pattern.method}${q.pathGlob}`,
        ),
      );
    }
    for (const p of this.#http) {
      if (listForm) {
        // Built once per rule: the warnings of one rule share it.
        const trims = p.excessHits.length > 0 ? p.excessWild.join(", ") : "";
        for (const hit of p.excessHits) {
          const other = rules[hit]!.route;
          warnings.push(
            new Warning("IAM_ALLOW_EXCESS", p.pattern.text, other, hit === p.index ? null : trims),
          );
        }
      }
      const longest = Math.max(
        ...p.allowTails.map((t) => t.length),
        ...p.excessWildTails.map((t) => t.length),
        ...p.excessLiteralTails.map((x) => x.tail.length),
      );
      if (longest > MAX_RESOURCE - MAX_PREFIX) {
        warnings.push(new Warning("IAM_RESOURCE_LONG", p.pattern.text, null, null));
      }
    }
    return warnings;
  }

  /**
   * Verdicts by distinct requirement: 1 when the principal passes it; a requirement that cannot be
   * evaluated counts as failed. Rules with equal requirements (same `key`) share one verdict, so a
   * call checks each distinct requirement once.
   */
  #verdicts(claims: Record<string, unknown>, scopeClaims: readonly string[] | undefined): Uint8Array {
    const distinct = this.#reads.requirements;
    const out = new Uint8Array(distinct.length);
    for (let i = 0; i < out.length; i++) {
      try {
        out[i] = checkRequirement(distinct[i]!, claims, scopeClaims) === null ? 1 : 0;
      } catch {
        out[i] = 0;
      }
    }
    return out;
  }

  /**
   * Plans by distinct-requirement verdict vector: a plan depends only on which requirements the
   * principal passes, and most principals share a handful of vectors, so each is planned once.
   * Bounded; plans are frozen.
   */
  readonly #plans = new Map<string, IamPlan>();
  /** Plans by the claims the requirements read (see {@link ClaimProjection}); bounded, least recently used out. */
  readonly #byClaims = new Map<string, IamPlan>();

  /** The plan for a principal with these claims (see {@link IamPlan}); plans are shared and frozen. */
  plan(
    claims: Record<string, unknown>,
    options?: { list?: boolean; scopeClaims?: readonly string[] | undefined },
  ): IamPlan {
    const list = options?.list === true;
    const scopeClaims = options?.scopeClaims;
    const projection = this.#reads.key(claims, scopeClaims);
    if (projection === null) return this.#planFor(claims, list, scopeClaims);
    const key = `${list ? "L" : "S"}${projection}`;
    const memo = this.#byClaims;
    let plan = memo.get(key);
    // Most recently used last: a hit is re-inserted; a miss evicts the least recently used when full.
    if (plan !== undefined) memo.delete(key);
    else {
      plan = this.#planFor(claims, list, scopeClaims);
      if (memo.size >= CLAIMS_CACHE_MAX) memo.delete(memo.keys().next().value!);
    }
    memo.set(key, plan);
    return plan;
  }

  #planFor(
    claims: Record<string, unknown>,
    list: boolean,
    scopeClaims: readonly string[] | undefined,
  ): IamPlan {
    const dv = this.#verdicts(claims, scopeClaims);
    const key = `${list ? "L" : "S"}${dv.join("")}`;
    let plan = this.#plans.get(key);
    if (plan === undefined) {
      if (this.#plans.size >= PLAN_CACHE_MAX) this.#plans.clear();
      const ids = this.#reads.ruleRequirement;
      const v = new Uint8Array(ids.length);
      for (let i = 0; i < v.length; i++) v[i] = dv[ids[i]!]!;
      plan = this.#plan(v, list ? { list } : undefined);
      Object.freeze(plan.allow);
      Object.freeze(plan.deny);
      this.#plans.set(key, Object.freeze(plan));
    }
    return plan;
  }

  #plan(v: Uint8Array, options?: { list?: boolean }): IamPlan {
    const catchAllAllowed =
      this.#defaultIndex >= 0 ? v[this.#defaultIndex] === 1 : this.#unmatched === "allow";
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
    const broad = new Uint8Array(this.#rules.length);
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

/**
 * The overlap analysis of a rule set without HTTP rules: there is nothing to compare. Throws when
 * given any rule (a caller bug: such a rule set needs `analyseOverlaps`).
 */
export function noHttpRules(items: readonly OverlapInput[]): Overlaps {
  if (items.length > 0) throw new Error("noHttpRules: this rule set has HTTP rules; analyse their overlaps");
  return { overlaps: [], denyGuards: [], excessHits: [], work: 0 };
}
