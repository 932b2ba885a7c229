import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { RULE_SHAPES } from "../../../bench/lib/rule-shapes.js";
import { ConfigError } from "../../../src/errors.js";
import { globTokens } from "../../../src/policy/iam-glob.js";
import { excessPathGlobs, iamPathGlob } from "../../../src/policy/iam-resources.js";
import {
  analyseOverlaps,
  globMeetsPattern,
  OVERLAP_BUDGET,
  type OverlapInput,
  patternsMeet,
} from "../../../src/policy/overlaps.js";
import { compilePolicyRules } from "../../../src/policy/rule-policy.js";
import { intersects } from "../../../src/rules/languages.js";
import {
  compareSpecificity,
  type HttpRoutePattern,
  methodsMeet,
  parseRoutePattern,
  pathLanguage,
} from "../../../src/rules/route-pattern.js";
import { MAX_ROUTES } from "../../../src/rules/rules.js";

// The reference is the character-level product automaton (`intersects`) run on every ordered pair,
// as the rule compiler did before it reasoned segment by segment: slow, but independent of it.

const parse = (text: string) => parseRoutePattern(text) as HttpRoutePattern;

const literal = fc.constantFrom("a", "b", "ab", "a.b", "x-1");
const segment = fc.oneof({ weight: 3, arbitrary: literal }, { weight: 2, arbitrary: fc.constant("{}") });
const methodArb = fc.constantFrom("GET", "POST", "ANY");

/** A route text: literals and parameters, optionally a final proxy; names made unique. */
const routeArb = fc
  .tuple(methodArb, fc.array(segment, { maxLength: 5 }), fc.boolean())
  .map(([method, segs, proxy]) => {
    let n = 0;
    const parts = segs.map((s) => (s === "{}" ? `{p${n++}}` : s));
    if (proxy) parts.push("{rest+}");
    return `${method} /${parts.join("/")}`;
  });

/** IAM path globs of the shapes the compiler builds: literals, `*`, and empty segments. */
const globArb = fc
  .array(fc.oneof(literal, fc.constant("*"), fc.constant("")), { minLength: 1, maxLength: 6 })
  .map((parts) => `/${parts.join("/")}`);

describe("segment-level language tests agree with the token automaton", () => {
  it("patternsMeet(a, b) is intersects(pathLanguage(a), pathLanguage(b))", () => {
    fc.assert(
      fc.property(routeArb, routeArb, (a, b) => {
        const pa = parse(a);
        const pb = parse(b);
        assert.equal(patternsMeet(pa, pb), intersects(pathLanguage(pa), pathLanguage(pb)), `${a} / ${b}`);
      }),
      { numRuns: 3000 },
    );
  });

  it("globMeetsPattern(glob, p) is intersects(globTokens(glob), pathLanguage(p))", () => {
    fc.assert(
      fc.property(globArb, routeArb, (glob, route) => {
        const p = parse(route);
        assert.equal(
          globMeetsPattern(glob, p),
          intersects(globTokens(glob), pathLanguage(p)),
          `${glob} / ${route}`,
        );
      }),
      { numRuns: 5000 },
    );
  });

  it("agrees on patterns longer than a machine word", () => {
    const long = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? `s${i % 3}` : `{p${i}}`));
    const cases = [
      `GET /${long.join("/")}`,
      `GET /${long.join("/")}/{rest+}`,
      `GET /${long.slice(0, 35).join("/")}`,
    ];
    const globs = [
      `/${long.map((s) => (s.startsWith("{") ? "*" : s)).join("/")}`,
      "/s0/*/s2/*",
      "/*/s1",
      "/*//*",
    ];
    for (const route of cases) {
      const p = parse(route);
      for (const glob of globs)
        assert.equal(
          globMeetsPattern(glob, p),
          intersects(globTokens(glob), pathLanguage(p)),
          `${glob} / ${route}`,
        );
      for (const other of cases)
        assert.equal(patternsMeet(p, parse(other)), intersects(pathLanguage(p), pathLanguage(parse(other))));
    }
  });

  it("handles the root path", () => {
    const root = parse("GET /");
    for (const other of ["GET /", "GET /{x}", "GET /{rest+}", "GET /a"]) {
      const o = parse(other);
      assert.equal(patternsMeet(root, o), intersects(pathLanguage(root), pathLanguage(o)), other);
    }
    for (const glob of ["/", "/*", "/a", "//", "/*/*"]) {
      for (const route of ["GET /", "GET /{x}", "GET /{rest+}"]) {
        const p = parse(route);
        assert.equal(
          globMeetsPattern(glob, p),
          intersects(globTokens(glob), pathLanguage(p)),
          `${glob} / ${route}`,
        );
      }
    }
  });
});

interface ReferenceResult {
  overlaps: Array<[number, number]>;
  denyGuards: number[][];
  excessHits: number[][];
}

/** The straightforward pairwise analysis over token languages. */
function reference(items: readonly OverlapInput[]): ReferenceResult {
  const language = items.map((x) => pathLanguage(x.pattern));
  const globLanguage = items.map((x) => globTokens(x.pathGlob));
  const excess = items.map((x) => x.excessWild.map(globTokens));
  const out: ReferenceResult = {
    overlaps: [],
    denyGuards: items.map(() => []),
    excessHits: items.map(() => []),
  };
  items.forEach((p, pi) => {
    items.forEach((q, qi) => {
      if (!methodsMeet(p.pattern.method, q.pattern.method)) return;
      if (pi !== qi) {
        if (!q.open && q.key !== p.key && intersects(language[pi]!, globLanguage[qi]!))
          out.overlaps.push([pi, qi]);
        if (q.rank < p.rank && intersects(language[qi]!, language[pi]!)) out.denyGuards[qi]!.push(pi);
      }
      if (excess[pi]!.some((x) => intersects(x, language[qi]!))) out.excessHits[pi]!.push(qi);
    });
  });
  return out;
}

function inputs(routes: readonly string[], keys: readonly number[]): OverlapInput[] {
  const patterns = routes.map(parse);
  const order = patterns.map((_, i) => i).sort((a, b) => compareSpecificity(patterns[a]!, patterns[b]!));
  const rank = new Array<number>(patterns.length);
  order.forEach((i, r) => {
    rank[i] = r;
  });
  return patterns.map((pattern, i) => ({
    pattern,
    pathGlob: iamPathGlob(pattern),
    excessWild: excessPathGlobs(pattern).filter((g) => g.includes("*")),
    rank: rank[i]!,
    open: keys[i]! === 0,
    key: `k${keys[i]!}`,
  }));
}

const ruleSetArb = fc
  .uniqueArray(routeArb, { minLength: 1, maxLength: 12, selector: (r) => parse(r).shape })
  .chain((routes) =>
    fc.tuple(
      fc.constant(routes),
      fc.array(fc.integer({ min: 0, max: 2 }), { minLength: routes.length, maxLength: routes.length }),
    ),
  );

describe("analyseOverlaps", () => {
  it("finds exactly the relations of the pairwise reference, in the same order", () => {
    fc.assert(
      fc.property(ruleSetArb, ([routes, keys]) => {
        const items = inputs(routes, keys);
        const got = analyseOverlaps(items);
        const want = reference(items);
        assert.deepEqual(got.overlaps, want.overlaps.flat());
        assert.deepEqual(got.denyGuards, want.denyGuards);
        assert.deepEqual(got.excessHits, want.excessHits);
      }),
      { numRuns: 400 },
    );
  });

  it("refuses, with a ConfigError naming routes, a rule set whose analysis exceeds the budget", () => {
    const items = inputs(
      Array.from({ length: 40 }, (_, i) => `ANY /{a}/x${i}/{b}`),
      Array.from({ length: 40 }, (_, i) => 1 + (i % 2)),
    );
    assert.throws(
      () => analyseOverlaps(items, 100),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.field === "routes" &&
        /overlap/.test(error.detail) &&
        !/\n/.test(error.message),
    );
    assert.doesNotThrow(() => analyseOverlaps(items));
  });
});

/**
 * Rules of a dense nested shape, `/a…/{p0}/b…/{p1}/…`: many share their leading literal, and most
 * overlap many others through IAM's `*`.
 */
function denseRoutes(n: number): Array<{ route: string; scopes: string[] }> {
  const words = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
  const out: Array<{ route: string; scopes: string[] }> = [];
  const seen = new Set<string>();
  for (let i = 0; out.length < n; i++) {
    let path = "";
    let x = i;
    for (let d = 0; d < 2 + (i % 9); d++) {
      path += `/${words[d]}${x % 3 === 0 ? "" : x % 7}/{p${d}}`;
      x = Math.floor(x / 3) + d;
    }
    if (i % 4 === 0) path += "/{rest+}";
    const route = `${["GET", "ANY", "POST"][i % 3]} ${path}`;
    const shape = parse(route).shape;
    if (seen.has(shape)) continue;
    seen.add(shape);
    out.push({ route, scopes: [`s${i % 7}`] });
  }
  return out;
}

const shape = (name: string) => RULE_SHAPES.find((s) => s.name === name)!.rules;

describe("compileRules at scale", () => {
  it("accepts at least 1,000 rules", () => {
    assert.ok(MAX_ROUTES >= 1000);
  });

  for (const unmatchedRoutes of ["allow", "deny"] as const) {
    it(`compiles 500 rules nested under one root, with their warnings (unmatched ${unmatchedRoutes})`, {
      timeout: 20_000,
    }, () => {
      const routes = shape("nested")(500);
      const ruleSet = compilePolicyRules({ routes, unmatchedRoutes });
      assert.equal(ruleSet.rules.length, 500);
      assert.ok(ruleSet.warnings.length > 1000);
      assert.equal(ruleSet.decide({ scope: "b:read" }, { method: "GET", path: "/a/1/b2/7" }).allowed, true);
      assert.equal(ruleSet.decide({ scope: "a:read" }, { method: "GET", path: "/a/1/b2/7" }).allowed, false);
    });
  }

  it("compiles 1,000 rules nested under one root, or refuses them with a clear reason", {
    timeout: 20_000,
  }, () => {
    try {
      assert.equal(
        compilePolicyRules({ routes: shape("nested")(1000), unmatchedRoutes: "deny" }).rules.length,
        1000,
      );
    } catch (error) {
      assert.ok(
        error instanceof ConfigError && error.field === "routes" && /overlap too much/.test(error.detail),
      );
    }
  });

  it("compiles 1,000 rules nested under one root, with their warnings, within the budget", {
    timeout: 20_000,
  }, () => {
    const routes = shape("nested")(1000);
    const ruleSet = compilePolicyRules({ routes, unmatchedRoutes: "deny" });
    assert.equal(ruleSet.rules.length, 1000);
    assert.ok(ruleSet.warnings.length > 10_000);
    // Messages are written when read, and logs (JSON) carry them.
    const first = JSON.parse(JSON.stringify(ruleSet.warnings[0]));
    assert.equal(first.message, ruleSet.warnings[0]!.message);
    assert.match(first.message, /IAM/);
  });

  it("analyses 1,000 rules of a realistic API with under 1% of the budget", () => {
    const routes = shape("realistic")(1000);
    assert.equal(compilePolicyRules({ routes, unmatchedRoutes: "deny" }).rules.length, 1000);
    const items = inputs(
      routes.map((r) => r.route),
      routes.map((_, i) => 1 + (i % 3)),
    );
    assert.ok(analyseOverlaps(items).work < OVERLAP_BUDGET / 100);
  });

  it("compiles 300 densely overlapping rules", { timeout: 20_000 }, () => {
    const ruleSet = compilePolicyRules({ routes: denseRoutes(300), unmatchedRoutes: "deny" });
    assert.ok(ruleSet.warnings.length > 1000);
  });

  it("refuses 1,000 rules that all overlap one another, with a clear reason", { timeout: 20_000 }, () => {
    // Every pair of these shares requests and IAM resources: the warnings alone would number ~10^6.
    const routes = Array.from({ length: 1000 }, (_, i) => ({
      route: `ANY /{a}/{b}/x${i}/{rest+}`,
      scopes: [`s${i}`],
    }));
    assert.throws(
      () => compilePolicyRules({ routes, unmatchedRoutes: "deny" }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.field === "routes" &&
        /overlap/.test(error.detail) &&
        !error.message.includes("x999/"),
    );
  });
});
