/**
 * The rules' per-call fast paths answer as the plain computation does, for random rule sets and claims:
 * - the IAM plan remembered by claim projection (one rule set asked for many principals in a row)
 *   equals the plan of a fresh rule set asked once (nothing remembered);
 * - the zone index (unmatched requests under a rule's IAM resource) finds exactly the rules whose IAM
 *   resource covers the request, by the tests' independent IAM glob reference;
 * - `decide` on requests equals a plain scan written here: route selection by the reference of
 *   `route-selection.test.ts`'s kind, requirements checked by hand, and unmatched requests denied by
 *   the first rule (any, when several) whose IAM resource covers them and whose requirement fails.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { compilePolicyRules } from "../../src/policy/rule-policy.js";
import { type HttpRoutePattern, parseRoutePattern } from "../../src/rules/route-pattern.js";
import { hasZone, ZoneIndex } from "../../src/rules/zones.js";
import { referenceGlobMatch } from "../helpers/iam-reference.js";
import { METHODS, routeArbitrary, WORDS } from "../helpers/route-arbitraries.js";

const SCOPES = ["r", "w", "x"];
const GROUPS = ["admin", "ops", 1, true];

interface Route {
  method: string;
  segs: string[]; // "a", "{p0}", "{proxy+}"
}
interface Rule {
  route: Route;
  scopes?: string[];
  groups?: Array<string | number | boolean>;
}

const text = (r: Route) => `${r.method} /${r.segs.join("/")}`;

const route = routeArbitrary;
const requirement = fc.oneof(
  fc.constant({}),
  fc.record({ scopes: fc.uniqueArray(fc.constantFrom(...SCOPES), { minLength: 1, maxLength: 2 }) }),
  fc.record({ groups: fc.uniqueArray(fc.constantFrom(...GROUPS), { minLength: 1, maxLength: 2 }) }),
);
const ruleSet = fc.uniqueArray(
  fc.record({ route, req: requirement }).map(({ route, req }) => ({ route, ...req }) as Rule),
  {
    minLength: 1,
    maxLength: 8,
    selector: (r) =>
      `${r.route.method} ${r.route.segs.map((s) => (s.startsWith("{") ? s.replace(/\d+/, "") : s)).join("/")}`,
  },
);
const configOf = (rules: Rule[]) =>
  rules.map((r) => {
    const out: Record<string, unknown> = { route: text(r.route) };
    if (r.scopes) out.scopes = r.scopes;
    if (r.groups) out.claims = { groups: r.groups };
    if (!r.scopes && !r.groups) out.allow = true;
    return out;
  });

const claimValue = fc.oneof(
  fc.constantFrom(...GROUPS, "r w", "r", "x r", null, 0, "1", "true"),
  fc.array(fc.constantFrom(...GROUPS, ...SCOPES, null, [1], { a: 1 }), { maxLength: 3 }),
  fc.constant({ admin: true }),
);
const claims = fc.record(
  { scope: claimValue, scp: claimValue, groups: claimValue, sub: fc.string({ maxLength: 3 }) },
  { requiredKeys: [] },
);
const path = fc.array(fc.constantFrom(...WORDS, "x", ""), { maxLength: 4 }).map((p) => `/${p.join("/")}`);
const request = fc.record({ method: fc.constantFrom(...METHODS, "PUT"), path });

/** Reference: the scopes the claims grant (`scope` and `scp`, space-separated string or array). */
function granted(c: Record<string, unknown>): Set<unknown> {
  const out = new Set<unknown>();
  for (const v of [c.scope, c.scp]) {
    if (typeof v === "string") for (const w of v.split(" ")) out.add(w);
    else if (Array.isArray(v)) for (const w of v) out.add(w);
  }
  return out;
}

/** Reference: whether the claims meet a rule's requirement. */
function passes(rule: Rule, c: Record<string, unknown>): boolean {
  if (rule.scopes && !rule.scopes.every((s) => granted(c).has(s))) return false;
  if (rule.groups) {
    const g = c.groups;
    const held = Array.isArray(g) ? g : typeof g === "object" || g === undefined ? [] : [g];
    if (!rule.groups.some((x) => held.includes(x))) return false;
  }
  return true;
}

/** Reference REST selection: does `r` match, and is `x` preferred to `y`. */
function matches(r: Route, method: string, parts: string[]): boolean {
  if (r.method !== "ANY" && r.method !== method) return false;
  for (let i = 0; i < r.segs.length; i++) {
    const s = r.segs[i]!;
    if (s === "{proxy+}") return parts.length > i && parts.slice(i).join("/").length > 0;
    if (i >= parts.length) return false;
    if (s.startsWith("{") ? parts[i] === "" : s !== parts[i]) return false;
  }
  return parts.length === r.segs.length;
}
const kind = (s: string | undefined) =>
  s === undefined ? 0 : s === "{proxy+}" ? 3 : s.startsWith("{") ? 2 : 1;
function before(x: Route, y: Route): boolean {
  for (let i = 0; i < Math.max(x.segs.length, y.segs.length); i++) {
    const kx = kind(x.segs[i]);
    const ky = kind(y.segs[i]);
    if (kx !== ky) return kx < ky;
  }
  return x.method !== "ANY" && y.method === "ANY";
}

/** The IAM glob of a rule's resource, written here: `{…}` as `*`, `ANY` as each method. */
const iamGlob = (r: Route, method: string) =>
  `${method}/${r.segs.map((s) => (s.startsWith("{") ? "*" : s)).join("/")}`;
const covers = (r: Route, method: string, path: string) =>
  r.segs.some((s) => s.startsWith("{")) &&
  (r.method === "ANY" || r.method === method) &&
  referenceGlobMatch(iamGlob(r, method), `${method}${path}`);

describe("rules: the fast paths answer as the plain computation", { timeout: 120_000 }, () => {
  test("the IAM plan remembered by claim projection equals a fresh rule set's plan", () => {
    fc.assert(
      fc.property(
        ruleSet,
        fc.constantFrom<"allow" | "deny">("allow", "deny"),
        fc.array(fc.tuple(claims, fc.boolean()), { minLength: 1, maxLength: 12 }),
        (rules, unmatchedRoutes, principals) => {
          const input = { routes: configOf(rules), unmatchedRoutes };
          const shared = compilePolicyRules(input);
          // Twice over, so that the second pass reads the memo for every principal.
          for (const [c, list] of [...principals, ...principals]) {
            const options = list ? { list: true } : undefined;
            assert.deepEqual(shared.iamPlan(c, options), compilePolicyRules(input).iamPlan(c, options));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test("the zone index finds the rules whose IAM resource covers the request, by rank", () => {
    fc.assert(
      fc.property(ruleSet, fc.array(request, { minLength: 1, maxLength: 8 }), (rules, requests) => {
        const patterns = rules.map((r) => parseRoutePattern(text(r.route)) as HttpRoutePattern);
        const rank = patterns.map((_, i) => patterns.length - i);
        const index = new ZoneIndex(
          patterns.flatMap((pattern, i) =>
            hasZone(pattern)
              ? [
                  {
                    index: i,
                    pattern,
                    methods: pattern.method === "ANY" ? ["GET", "POST", "DELETE", "PUT"] : [pattern.method],
                  },
                ]
              : [],
          ) as ConstructorParameters<typeof ZoneIndex>[0],
          rank,
        );
        for (const { method, path } of requests) {
          const expected = rules
            .map((r, i) => ({ i, rank: patterns.length - i, hit: covers(r.route, method, path) }))
            .filter((x) => x.hit)
            .sort((a, b) => a.rank - b.rank)
            .map((x) => x.i);
          assert.deepEqual(index.find(method, path), expected, `${method} ${path}`);
        }
      }),
      { numRuns: 500 },
    );
  });

  test("decide on requests equals a plain scan over the rules", () => {
    fc.assert(
      fc.property(
        ruleSet,
        fc.constantFrom<"allow" | "deny">("allow", "deny"),
        fc.array(fc.tuple(claims, request), { minLength: 1, maxLength: 8 }),
        (rules, unmatchedRoutes, calls) => {
          const compiled = compilePolicyRules({ routes: configOf(rules), unmatchedRoutes });
          for (const [c, { method, path }] of calls) {
            const got = compiled.decide(c, { method, path });
            const where = `${method} ${path} among ${rules.map((r) => text(r.route)).join(", ")}`;
            const parts = path === "/" ? [] : path.slice(1).split("/");
            let best: Rule | null = null;
            for (const r of rules)
              if (matches(r.route, method, parts) && (best === null || before(r.route, best.route))) best = r;
            if (best !== null) {
              assert.equal(got.allowed, passes(best, c), where);
              assert.equal(got.route, text(best.route), where);
              continue;
            }
            if (unmatchedRoutes === "deny") {
              assert.equal(got.allowed, false, where);
              continue;
            }
            const failing = rules.filter((r) => covers(r.route, method, path) && !passes(r, c));
            assert.equal(got.allowed, failing.length === 0, where);
            if (failing.length > 0) assert.ok(failing.map((r) => text(r.route)).includes(got.route!), where);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
