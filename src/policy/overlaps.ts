import { ConfigError } from "../errors.js";
import { intersects } from "../rules/languages.js";
import { type HttpRoutePattern, pathLanguage } from "../rules/route-pattern.js";
import { globTokens } from "./iam-glob.js";

/**
 * The compile-time overlap analysis of route rules: which rules' requests and IAM resources share
 * strings. It answers the same questions as `intersects` (rules/languages.ts) on the character languages,
 * but segment by segment, which the shapes involved allow:
 *
 * - a route pattern is `/s1/…/sk`, each `si` a literal, a `{param}` (one non-empty segment without
 *   `/`) or, last, a `{proxy+}` (a non-empty remainder, `/` included); the root `/` is one empty
 *   literal segment;
 * - an IAM path glob the compiler builds is `/g1/…/gm`, each `gi` a literal (possibly empty) or `*`,
 *   and since `*` sits between two `/` (or at the end), outside a `{proxy+}` it covers one or more
 *   whole segments.
 *
 * So a glob meets a pattern when its literal segments can be aligned with the pattern's segments,
 * each `*` covering one or more of them, or when the alignment reaches the `{proxy+}` (which can then
 * spell whatever remains). With the pattern's positions as the bits of an integer, one glob segment
 * is one shift-and-mask: O(m) word operations per pair instead of a product automaton over characters.
 *
 * Only pairs that can meet are compared: their methods must meet, and so must their first segments
 * (two different literals never do). Rules with the same path (parameter names aside) share their
 * answers, computed once. The work is bounded: a rule set whose analysis would exceed the budget (in
 * practice, one where nearly every rule overlaps many others, so that the warnings alone number in
 * the tens of thousands) is refused with a {@link ConfigError} instead of stalling a cold start.
 */

/** What the analysis needs to know about one HTTP rule. */
export interface OverlapInput {
  readonly pattern: HttpRoutePattern;
  /** `iamPathGlob(pattern)`. */
  readonly pathGlob: string;
  /** The excess globs of the pattern that contain a wildcard. */
  readonly excessWild: readonly string[];
  /** Position in specificity order, most specific first. */
  readonly rank: number;
  /** Whether the rule's requirement is open (anyone authenticated). */
  readonly open: boolean;
  /** The requirement's canonical key: equal keys always decide alike. */
  readonly key: string;
}

/** The relations between rules, by position in the input; every list in input order. */
export interface Overlaps {
  /**
   * Pairs `p, q` one after the other (`[p0, q0, p1, q1, …]`): q's IAM resource covers requests of p
   * (q not open, requirements differ).
   */
  readonly overlaps: number[];
  /** For q: the less specific rules p that share requests with q. */
  readonly denyGuards: number[][];
  /** For p: the rules q (p itself included) whose requests p's excess globs cover. */
  readonly excessHits: number[][];
  /** The work spent, in the units of the budget. */
  readonly work: number;
}

/**
 * The work the analysis may do, in units of about one segment comparison (a few nanoseconds), before
 * the rule set is refused: calibrated so that a rule set just under it still compiles in about
 * 100 ms. 1,000 rules of a realistic API use under 1% of it; 1,000 rules nested under a single root
 * (`/a/{a}/b1/{b}/…`, about 80,000 warnings) use three quarters. What exhausts it is a rule set whose
 * rules nearly all overlap one another (1,000 rules `ANY /{a}/{b}/x{i}/{rest+}`: the warnings alone
 * would number about a million), which is refused instead of stalling a cold start.
 */
export const OVERLAP_BUDGET = 20_000_000;

/** A relation found costs its entry and, later, a warning (about half a microsecond). */
const RELATION_COST = 48;

/** Segment codes: literals are interned to ids ≥ 0 (the empty one is 0); these mark the rest. */
const PARAM = -1;
const PROXY = -2;
const STAR = -3;
const EMPTY = 0;

/** Patterns with more segments than this are compared on characters (`intersects`) instead. */
const MAX_BITS = 29;

/** A pattern as segment codes, with the masks the bit-parallel alignment uses. */
interface PatternCodes {
  readonly codes: number[];
  /** Segment count (`{proxy+}` included). */
  readonly k: number;
  /** Bit of the `{proxy+}` segment, or 0. */
  readonly proxy: number;
  /** Bits of the `{param}` segments. */
  readonly params: number;
  /** Literal id → bits of the segments equal to it. */
  readonly literals: Map<number, number>;
}

type Intern = (text: string) => number;

function interner(): Intern {
  const ids = new Map<string, number>([["", EMPTY]]);
  return (text) => {
    if (!ids.has(text)) ids.set(text, ids.size);
    return ids.get(text)!;
  };
}

/** The root `/` is one empty literal segment. */
function patternCodes(pattern: HttpRoutePattern, intern: Intern): PatternCodes {
  const codes =
    pattern.segments.length === 0
      ? [EMPTY]
      : pattern.segments.map((s) =>
          s.kind === "literal" ? intern(s.value) : s.kind === "param" ? PARAM : PROXY,
        );
  let params = 0;
  let proxy = 0;
  const literals = new Map<number, number>();
  codes.forEach((c, i) => {
    if (i >= MAX_BITS) return;
    if (c === PARAM) params |= 1 << i;
    else if (c === PROXY) proxy = 1 << i;
    else literals.set(c, (literals.get(c) ?? 0) | (1 << i));
  });
  return { codes, k: codes.length, proxy, params, literals };
}

/** The positions of `p` where a glob segment `c` (a literal id) can stand. */
const maskOf = (p: PatternCodes, c: number) => (c === EMPTY ? 0 : p.params) | (p.literals.get(c) ?? 0);

/** The bits below the highest set bit of `x` (0 when `x` is 0). */
const belowHighest = (x: number) => (x === 0 ? 0 : (1 << (31 - Math.clz32(x))) - 1);

/**
 * Fills `back[i]` with the pattern positions j from which the glob's segments i… can match the
 * pattern's segments j… (bit j). The glob meets the pattern when bit 0 of `back[0]` is set.
 */
function backward(g: readonly number[], q: PatternCodes, back: Int32Array): void {
  const m = g.length;
  // Up to and including the proxy: a `*` there can run into it, which then spells the rest.
  const upToProxy = q.proxy === 0 ? 0 : (q.proxy << 1) - 1;
  back[m] = 1 << q.k;
  for (let i = m - 1; i >= 0; i--) {
    const c = g[i]!;
    back[i] =
      c === STAR
        ? q.proxy !== 0
          ? upToProxy
          : belowHighest(back[i + 1]!)
        : ((back[i + 1]! >> 1) & maskOf(q, c)) |
          // From the proxy, it spells the rest of the glob unless that rest is one empty segment.
          (i === m - 1 && c === EMPTY ? 0 : q.proxy);
  }
}

/**
 * Whether one of the excess globs of a pattern whose own glob is `g` meets `q`: each replaces the
 * `*` at position i with an empty segment (bit i of `empty`) or with `*` + `/` + `*` (bit i of
 * `split`). One forward pass over `g` against `back` (from {@link backward}) answers for all of them.
 */
function excessMeets(
  g: readonly number[],
  empty: number,
  split: number,
  q: PatternCodes,
  back: Int32Array,
): boolean {
  const m = g.length;
  const all = (1 << (q.k + 1)) - 1;
  const upToProxy = q.proxy === 0 ? 0 : (q.proxy << 1) - 1;
  let f = 1;
  for (let i = 0; i < m && f !== 0; i++) {
    if (
      (empty >> i) & 1 &&
      f & (((back[i + 1]! >> 1) & (q.literals.get(EMPTY) ?? 0)) | (i === m - 1 ? 0 : q.proxy))
    )
      return true;
    if ((split >> i) & 1 && f & (q.proxy !== 0 ? upToProxy : belowHighest(belowHighest(back[i + 1]!))))
      return true;
    const c = g[i]!;
    // Reaching the proxy here (or a `*` that can run into it) matches any glob changed later on.
    if (f & q.proxy || (c === STAR && f & upToProxy)) return (empty | split) >>> (i + 1) !== 0;
    f = c === STAR ? all & ~(((f & -f) << 1) - 1) : (f & maskOf(q, c)) << 1;
  }
  return false;
}

/** Whether two patterns match a common path. Linear in the shorter one. */
function alignPatterns(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length && i < b.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === PROXY || y === PROXY) return x + y !== PROXY + EMPTY;
    if (x !== y && (x !== PARAM || y === EMPTY) && (y !== PARAM || x === EMPTY)) return false;
  }
  return a.length === b.length;
}

const globOf = (p: PatternCodes) => p.codes.map((c) => (c < 0 ? STAR : c));

/**
 * Whether two route patterns match a common path (ignoring methods): the same answer as
 * `intersects(pathLanguage(a), pathLanguage(b))`.
 */
export function patternsMeet(a: HttpRoutePattern, b: HttpRoutePattern): boolean {
  const intern = interner();
  return alignPatterns(patternCodes(a, intern).codes, patternCodes(b, intern).codes);
}

/**
 * Whether an IAM path glob (as the compiler builds them: literal or `*` segments) matches some path
 * the pattern matches: the same answer as `intersects(globTokens(glob), pathLanguage(pattern))`.
 */
export function globMeetsPattern(glob: string, pattern: HttpRoutePattern): boolean {
  const intern = interner();
  const p = patternCodes(pattern, intern);
  if (p.k > MAX_BITS) return intersects(globTokens(glob), pathLanguage(pattern));
  const g = glob
    .slice(1)
    .split("/")
    .map((part) => (part === "*" ? STAR : intern(part)));
  const back = new Int32Array(g.length + 1);
  backward(g, p, back);
  return (back[0]! & 1) === 1;
}

const METHOD_BITS: Record<string, number> = {
  GET: 1,
  POST: 2,
  PUT: 4,
  PATCH: 8,
  DELETE: 16,
  HEAD: 32,
  OPTIONS: 64,
};

/**
 * Computes the relations between HTTP rules (see {@link Overlaps}), exactly as a comparison of every
 * ordered pair of their character languages would, but only for pairs that can meet.
 *
 * @param budget work allowed before the rule set is refused (default {@link OVERLAP_BUDGET}).
 * @throws ConfigError (field `routes`) when the rules overlap too much to analyse within the budget.
 */
export function analyseOverlaps(items: readonly OverlapInput[], budget = OVERLAP_BUDGET): Overlaps {
  const n = items.length;
  const intern = interner();
  // Rules with the same path (parameter names aside) have the same languages: compare paths, once.
  const pathIds = new Map<string, number>();
  const pathOf = items.map((x) => {
    const shape = x.pattern.shape.slice(x.pattern.shape.indexOf(" "));
    if (!pathIds.has(shape)) pathIds.set(shape, pathIds.size);
    return pathIds.get(shape)!;
  });
  const d = pathIds.size;
  const first: number[] = [];
  pathOf.forEach((id, i) => {
    first[id] ??= i;
  });
  const patterns = first.map((i) => patternCodes(items[i]!.pattern, intern));
  // Per path, computed once: its IAM glob as segment codes, and where its excess globs change it
  // (as `excessPathGlobs`: an empty parameter leaves a wildcard only if there is another one; a
  // parameter after the last literal needs no `*/*` when the proxy ends the pattern).
  const globs = patterns.map(globOf);
  const excessMasks = patterns.map((pa) => {
    let lastLiteral = -1;
    let wild = 0;
    pa.codes.forEach((c, i) => {
      if (c >= 0) lastLiteral = i;
      else wild++;
    });
    let empty = 0;
    let split = 0;
    pa.codes.forEach((c, i) => {
      if (c < 0 && wild > 1) empty |= 1 << i;
      if (c === PARAM && !(pa.proxy !== 0 && i > lastLiteral)) split |= 1 << i;
    });
    return { empty, split };
  });
  const back = new Int32Array(Math.max(0, ...patterns.map((p) => p.k)) + 2);
  const methods = items.map((x) => METHOD_BITS[x.pattern.method] ?? 127);
  // Requirement keys as numbers, -1 for open rules (never denied, so never an overlap's culprit).
  const keyIds = new Map<string, number>();
  const keys = items.map((x) => {
    if (x.open) return -1;
    if (!keyIds.has(x.key)) keyIds.set(x.key, keyIds.size);
    return keyIds.get(x.key)!;
  });
  // Per pair of paths, two bits per question: known, and the answer.
  const memo = new Uint8Array(d * d);
  const GLOB = 1;
  const LANG = 4;
  const EXCESS = 16;
  let work = 0;

  /** The rare path: patterns too long for one word are compared on characters. */
  const slow = (globs: readonly string[], path: number) => {
    const b = pathLanguage(items[first[path]!]!.pattern);
    return globs.some((glob) => {
      work += (glob.length + 2) * (b.length + 2);
      return intersects(globTokens(glob), b);
    });
  };
  /** Answers one question about paths `a` and `b`, computing it the first time. */
  const ask = (a: number, b: number, question: number): boolean => {
    const slot = a * d + b;
    if (memo[slot]! & question) return (memo[slot]! & (question << 1)) !== 0;
    const pa = patterns[a]!;
    const pb = patterns[b]!;
    const ia = items[first[a]!]!;
    let answer = false;
    work += pa.k + pb.k;
    if (question === LANG) answer = alignPatterns(pa.codes, pb.codes);
    else if (question === GLOB) {
      // Some request of a falls under b's IAM resource.
      if (pa.k > MAX_BITS) answer = slow([items[first[b]!]!.pathGlob], a);
      else {
        backward(globs[b]!, pa, back);
        answer = (back[0]! & 1) === 1;
      }
    } else if (ia.excessWild.length > 0 && ask(b, a, GLOB)) {
      // Some excess glob of a covers a request of b; they are narrower than a's own glob, which
      // must therefore meet b first.
      if (pa.k > MAX_BITS || pb.k > MAX_BITS) answer = slow(ia.excessWild, b);
      else {
        const g = globs[a]!;
        backward(g, pb, back);
        answer = excessMeets(g, excessMasks[a]!.empty, excessMasks[a]!.split, pb, back);
      }
    }
    memo[slot]! |= question | (answer ? question << 1 : 0);
    return answer;
  };

  const result: Omit<Overlaps, "work"> = {
    overlaps: [],
    denyGuards: items.map(() => []),
    excessHits: items.map(() => []),
  };
  for (let pi = 0; pi < n; pi++) {
    const a = pathOf[pi]!;
    const head = patterns[a]!.codes[0]!;
    for (let qi = 0; qi < n; qi++) {
      const b = pathOf[qi]!;
      const qHead = patterns[b]!.codes[0]!;
      // Two different literal first segments never meet; nor do rules whose methods differ.
      if ((head !== qHead && head >= 0 && qHead >= 0) || (methods[pi]! & methods[qi]!) === 0) continue;
      work++;
      if (pi !== qi) {
        // q's resource covers requests of p.
        if (keys[qi] !== -1 && keys[qi] !== keys[pi] && ask(a, b, GLOB)) {
          result.overlaps.push(pi, qi);
          work += RELATION_COST;
        }
        // q more specific than p, and sharing requests with it.
        if (items[qi]!.rank < items[pi]!.rank && ask(b, a, LANG)) {
          result.denyGuards[qi]!.push(pi);
          work += RELATION_COST;
        }
      }
      if (ask(a, b, EXCESS)) {
        result.excessHits[pi]!.push(qi);
        work += RELATION_COST;
      }
    }
    if (work > budget)
      throw new ConfigError(
        "routes",
        `these ${n} route rules overlap too much to analyse at cold start; give them distinct leading path segments, or merge overlapping rules into fewer {proxy+} rules.`,
      );
  }
  return { ...result, work };
}
