import { ConfigError } from "../errors.js";
import { globTokens, intersects } from "./iam-glob.js";
import { type HttpRoutePattern, pathLanguage } from "./route-pattern.js";

/**
 * The compile-time overlap analysis of route rules: which rules' requests and IAM resources share
 * strings. It answers the same questions as `intersects` (iam-glob.ts) on the character languages,
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
 * Only pairs that can meet are compared: their methods must meet, and their leading literal segments
 * (before the first parameter) must be a prefix one of the other, which every string both languages
 * share implies. The remaining work is bounded: a rule set whose analysis would exceed the budget
 * (in practice, one where nearly every rule overlaps every other, so that the warnings alone would
 * number in the hundreds of thousands) is refused with a {@link ConfigError} instead of stalling a
 * cold start.
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
 * 100 ms. 1,000 rules of a realistic API use under 1% of it; what exhausts it is a rule set whose
 * rules nearly all overlap one another (500 rules nested under a single root, `/a/{a}/b1/{b}/…`,
 * use about 40%), where the warnings alone number in the tens of thousands.
 */
export const OVERLAP_BUDGET = 6_000_000;

/** A relation found costs its entry and, later, a warning (about half a microsecond). */
const RELATION_COST = 48;

/** Segment codes: literals are interned to ids ≥ 0; these mark the rest. */
const PARAM = -1;
const PROXY = -2;
const STAR = -3;

/** Patterns with more segments than this are compared on characters (`intersects`) instead. */
const MAX_BITS = 29;

/** A pattern as segment codes, with the masks the bit-parallel alignment uses. */
interface PatternCodes {
  readonly codes: Int32Array;
  /** Segment count (`{proxy+}` included). */
  readonly k: number;
  /** Position of `{proxy+}`, or -1. */
  readonly proxy: number;
  /** Bit i set when segment i is a `{param}`. */
  readonly paramMask: number;
  /** Literal id → bits of the segments equal to it. */
  readonly literalMasks: Map<number, number>;
}

class Interner {
  readonly #ids = new Map<string, number>();
  id(text: string): number {
    let id = this.#ids.get(text);
    if (id === undefined) {
      id = this.#ids.size;
      this.#ids.set(text, id);
    }
    return id;
  }
}

function patternCodes(pattern: HttpRoutePattern, interner: Interner): PatternCodes {
  const segs = pattern.segments;
  const k = segs.length === 0 ? 1 : segs.length;
  const codes = new Int32Array(k);
  if (segs.length === 0) codes[0] = interner.id("");
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    codes[i] = s.kind === "literal" ? interner.id(s.value) : s.kind === "param" ? PARAM : PROXY;
  }
  let paramMask = 0;
  let proxy = -1;
  const literalMasks = new Map<number, number>();
  if (k <= MAX_BITS) {
    for (let i = 0; i < k; i++) {
      const c = codes[i]!;
      if (c === PARAM) paramMask |= 1 << i;
      else if (c === PROXY) proxy = i;
      else literalMasks.set(c, (literalMasks.get(c) ?? 0) | (1 << i));
    }
  }
  return { codes, k, proxy, paramMask, literalMasks };
}

function globCodes(glob: string, interner: Interner): Int32Array {
  const parts = glob.slice(1).split("/");
  const out = new Int32Array(parts.length);
  for (let i = 0; i < parts.length; i++) out[i] = parts[i] === "*" ? STAR : interner.id(parts[i]!);
  return out;
}

/**
 * Whether some path matches both the IAM glob `g` and the pattern `p`. Bit j of the state means "the
 * glob so far has matched the pattern's first j segments". `emptyId` is the id of the empty literal.
 */
function alignGlob(g: Int32Array, p: PatternCodes, emptyId: number): boolean {
  const m = g.length;
  const k = p.k;
  const proxyBit = p.proxy >= 0 ? 1 << p.proxy : 0;
  const all = (1 << (k + 1)) - 1;
  let state = 1;
  for (let i = 0; i < m; i++) {
    if ((state & proxyBit) !== 0) {
      // At the proxy: it spells the rest of the glob, unless that rest is one empty segment.
      if (i !== m - 1 || g[i] !== emptyId) return true;
      state &= ~proxyBit;
      if (state === 0) return false;
    }
    const c = g[i]!;
    if (c === STAR) {
      // The `*` may also run into the proxy, which then spells whatever follows.
      if (proxyBit !== 0) return true;
      const lowest = state & -state;
      state = all & ~((lowest << 1) - 1);
    } else {
      const mask = (c === emptyId ? 0 : p.paramMask) | (p.literalMasks.get(c) ?? 0);
      state = (state & mask) << 1;
    }
    if (state === 0) return false;
  }
  return ((state >> k) & 1) === 1;
}

/** Whether two patterns match a common path. Linear in the shorter one. */
function alignPatterns(a: Int32Array, b: Int32Array, emptyId: number): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === PROXY || y === PROXY) return (x === PROXY ? y : x) !== emptyId;
    if (x === y) continue;
    if (x === PARAM || y === PARAM) {
      if ((x === PARAM ? y : x) === emptyId) return false;
      continue;
    }
    return false;
  }
  return a.length === b.length;
}

/**
 * Whether two route patterns match a common path (ignoring methods): the same answer as
 * `intersects(pathLanguage(a), pathLanguage(b))`.
 */
export function patternsMeet(a: HttpRoutePattern, b: HttpRoutePattern): boolean {
  const interner = new Interner();
  return alignPatterns(patternCodes(a, interner).codes, patternCodes(b, interner).codes, interner.id(""));
}

/**
 * Whether an IAM path glob (as the compiler builds them: literal or `*` segments) matches some path
 * the pattern matches: the same answer as `intersects(globTokens(glob), pathLanguage(pattern))`.
 */
export function globMeetsPattern(glob: string, pattern: HttpRoutePattern): boolean {
  const interner = new Interner();
  const p = patternCodes(pattern, interner);
  const g = globCodes(glob, interner);
  if (p.k > MAX_BITS) return intersects(globTokens(glob), pathLanguage(pattern));
  return alignGlob(g, p, interner.id(""));
}

/**
 * Where a pattern's excess globs (`excessPathGlobs`, those with a wildcard) differ from its own glob:
 * each replaces the parameter at one position with an empty segment (bit in `empty`) or with
 * `*` + `/` + `*` (bit in `split`). Null when there are none; `slow` for patterns too long for a word.
 */
interface ExcessPositions {
  readonly empty: number;
  readonly split: number;
  readonly slow: boolean;
}

function excessPositions(p: PatternCodes, count: number): ExcessPositions | null {
  if (count === 0) return null;
  if (p.k > MAX_BITS) return { empty: 0, split: 0, slow: true };
  let lastLiteral = -1;
  let wild = 0;
  for (let i = 0; i < p.k; i++) {
    if (p.codes[i]! >= 0) lastLiteral = i;
    else wild++;
  }
  let empty = 0;
  let split = 0;
  for (let i = 0; i < p.k; i++) {
    const c = p.codes[i]!;
    if (c >= 0) continue;
    // An empty parameter leaves a wildcard only if the pattern has another one.
    if (wild > 1) empty |= 1 << i;
    if (c === PARAM && !(p.proxy >= 0 && i > lastLiteral)) split |= 1 << i;
  }
  return { empty, split, slow: false };
}

/** The bits below the highest set bit of `x` (0 when `x` is 0). */
function belowHighest(x: number): number {
  return x === 0 ? 0 : (1 << (31 - Math.clz32(x))) - 1;
}

function maskOf(p: PatternCodes, c: number, emptyId: number): number {
  return (c === emptyId ? 0 : p.paramMask) | (p.literalMasks.get(c) ?? 0);
}

/**
 * Whether some excess glob of a pattern (its glob `g` changed at one position, see
 * {@link ExcessPositions}) meets the pattern `q`: one backward pass over `g` (which states can still
 * reach the end) and one forward pass (which states the common prefix reaches), so all the excess
 * globs together cost two passes. `back` is scratch space of at least `g.length + 1` words.
 */
function excessMeets(
  g: Int32Array,
  x: ExcessPositions,
  q: PatternCodes,
  emptyId: number,
  back: Int32Array,
): boolean {
  const m = g.length;
  const k = q.k;
  const proxyBit = q.proxy >= 0 ? 1 << q.proxy : 0;
  const upToProxy = proxyBit === 0 ? 0 : (proxyBit << 1) - 1;
  back[m] = 1 << k;
  for (let i = m - 1; i >= 0; i--) {
    const c = g[i]!;
    let b: number;
    if (c === STAR) b = proxyBit !== 0 ? upToProxy : belowHighest(back[i + 1]!);
    else {
      b = (back[i + 1]! >> 1) & maskOf(q, c, emptyId);
      // From the proxy, it spells the rest of the glob unless that rest is one empty segment.
      if (proxyBit !== 0 && !(i === m - 1 && c === emptyId)) b |= proxyBit;
    }
    back[i] = b;
  }
  const all = (1 << (k + 1)) - 1;
  const changed = x.empty | x.split;
  let f = 1;
  for (let i = 0; i < m && f !== 0; i++) {
    if (((x.empty >> i) & 1) === 1) {
      let b = (back[i + 1]! >> 1) & (q.literalMasks.get(emptyId) ?? 0);
      if (proxyBit !== 0 && i !== m - 1) b |= proxyBit;
      if ((f & b) !== 0) return true;
    }
    if (((x.split >> i) & 1) === 1) {
      const b = proxyBit !== 0 ? upToProxy : belowHighest(belowHighest(back[i + 1]!));
      if ((f & b) !== 0) return true;
    }
    const c = g[i]!;
    // Reaching the proxy here (or a `*` that can run into it) matches any glob that changes later on.
    if (proxyBit !== 0 && ((f & proxyBit) !== 0 || (c === STAR && (f & upToProxy) !== 0)))
      return changed >>> (i + 1) !== 0;
    if (c === STAR) {
      const lowest = f & -f;
      f = all & ~((lowest << 1) - 1);
    } else {
      f = (f & maskOf(q, c, emptyId)) << 1;
    }
  }
  return false;
}

const METHOD_BITS: Record<string, number> = {
  GET: 1,
  POST: 2,
  PUT: 4,
  PATCH: 8,
  DELETE: 16,
  HEAD: 32,
  OPTIONS: 64,
  ANY: 127,
};

interface PrefixNode {
  readonly children: Map<number, PrefixNode>;
  readonly parent: PrefixNode | null;
  /** Positions of the rules whose literal prefix ends here. */
  readonly here: number[];
  /** This subtree's rules are `ordered[start, end)`. */
  start: number;
  end: number;
}

function newPrefixNode(parent: PrefixNode | null): PrefixNode {
  return { children: new Map(), parent, here: [], start: 0, end: 0 };
}

/**
 * Computes the relations between HTTP rules (see {@link Overlaps}), exactly as a comparison of every
 * ordered pair of their character languages would, but only for pairs that can meet.
 *
 * @param budget work allowed before the rule set is refused (default {@link OVERLAP_BUDGET}).
 * @throws ConfigError (field `routes`) when the rules overlap too much to analyse within the budget.
 */
export function analyseOverlaps(items: readonly OverlapInput[], budget = OVERLAP_BUDGET): Overlaps {
  const n = items.length;
  const interner = new Interner();
  const emptyId = interner.id("");
  // Rules with the same path (parameter names aside) have the same languages: compare paths, once.
  const pathIds = new Map<string, number>();
  const pathOf = new Int32Array(n);
  const first: number[] = [];
  items.forEach((x, i) => {
    const shape = x.pattern.shape.slice(x.pattern.shape.indexOf(" ") + 1);
    let id = pathIds.get(shape);
    if (id === undefined) {
      id = first.length;
      pathIds.set(shape, id);
      first.push(i);
    }
    pathOf[i] = id;
  });
  const d = first.length;
  const patterns = first.map((i) => patternCodes(items[i]!.pattern, interner));
  // The IAM glob of a pattern is its segments with every parameter as `*` (`iamPathGlob`).
  const globs = patterns.map((p) => p.codes.map((c) => (c < 0 ? STAR : c)));
  const excess = first.map((i, id) => excessPositions(patterns[id]!, items[i]!.excessWild.length));
  const back = new Int32Array(Math.max(1, ...patterns.map((p) => p.k)) + 1);
  const methods = Int32Array.from(items, (x) => METHOD_BITS[x.pattern.method] ?? 127);
  const ranks = Int32Array.from(items, (x) => x.rank);
  // Requirement keys as numbers, -1 for open rules (never denied, so never an overlap's culprit).
  const keyIds = new Map<string, number>();
  const keys = Int32Array.from(items, (x) => {
    if (x.open) return -1;
    let id = keyIds.get(x.key);
    if (id === undefined) {
      id = keyIds.size;
      keyIds.set(x.key, id);
    }
    return id;
  });
  // Per pair of paths, two bits per question: known, and the answer.
  const memo = new Uint8Array(d * d);
  const GLOB = 1;
  const LANG = 4;
  const EXCESS = 16;

  let work = 0;
  const refuse = () =>
    new ConfigError(
      "routes",
      `these ${n} route rules overlap too much to analyse at cold start (their IAM resources cover one another in too many pairs); give the rules distinct leading path segments, or merge overlapping rules into fewer {proxy+} rules.`,
    );
  // Character languages, built on demand for the rare patterns too long for one machine word.
  const tokens = new Map<string, number[]>();
  const tokensOf = (key: string, make: () => number[]) => {
    let t = tokens.get(key);
    if (t === undefined) {
      t = make();
      tokens.set(key, t);
    }
    return t;
  };
  const slowGlobMeets = (glob: string, path: number): boolean => {
    const a = tokensOf(`g${glob}`, () => globTokens(glob));
    const b = tokensOf(`p${path}`, () => pathLanguage(items[first[path]!]!.pattern));
    work += (a.length + 2) * (b.length + 2);
    return intersects(a, b);
  };
  /** Answers one question about paths `a` and `b`, computing it the first time. */
  const ask = (a: number, b: number, question: number): boolean => {
    const slot = a * d + b;
    const known = memo[slot]!;
    if ((known & question) !== 0) return (known & (question << 1)) !== 0;
    const pa = patterns[a]!;
    const pb = patterns[b]!;
    let answer: boolean;
    if (question === GLOB) {
      // Some request of a falls under b's IAM resource.
      work += pa.k + 1;
      answer =
        pa.k > MAX_BITS ? slowGlobMeets(items[first[b]!]!.pathGlob, a) : alignGlob(globs[b]!, pa, emptyId);
    } else if (question === LANG) {
      work += Math.min(pa.k, pb.k) + 1;
      answer = alignPatterns(pa.codes, pb.codes, emptyId);
    } else {
      // Some excess glob of a covers a request of b.
      // The excess globs of a are narrower than a's own glob: that must meet b first.
      const x = excess[a]!;
      if (x === null || !ask(b, a, GLOB)) answer = false;
      else if (x.slow || pb.k > MAX_BITS)
        answer = items[first[a]!]!.excessWild.some((glob) => slowGlobMeets(glob, b));
      else {
        work += 2 * pa.k + 1;
        answer = excessMeets(globs[a]!, x, pb, emptyId, back);
      }
    }
    memo[slot]! |= question | (answer ? question << 1 : 0);
    return answer;
  };

  // Index: a trie of the literal segments that lead each pattern (up to its first parameter). Two
  // rules can share a path only if one's leading literals are a prefix of the other's.
  const root = newPrefixNode(null);
  const nodeOf: PrefixNode[] = new Array(n);
  items.forEach((_, i) => {
    const p = patterns[pathOf[i]!]!;
    let node = root;
    for (let s = 0; s < p.k; s++) {
      const c = p.codes[s]!;
      if (c < 0) break;
      let child = node.children.get(c);
      if (child === undefined) {
        child = newPrefixNode(node);
        node.children.set(c, child);
      }
      node = child;
    }
    node.here.push(i);
    nodeOf[i] = node;
  });
  const ordered: number[] = [];
  const number = (node: PrefixNode) => {
    node.start = ordered.length;
    for (const i of node.here) ordered.push(i);
    for (const child of node.children.values()) number(child);
    node.end = ordered.length;
  };
  number(root);

  const result: Omit<Overlaps, "work"> = {
    overlaps: [],
    denyGuards: items.map(() => []),
    excessHits: items.map(() => []),
  };
  const candidates = new Int32Array(n);
  const mark = new Int32Array(n).fill(-1);
  for (let pi = 0; pi < n; pi++) {
    const node = nodeOf[pi]!;
    let count = 0;
    for (let s = node.start; s < node.end; s++) candidates[count++] = ordered[s]!;
    for (let up = node.parent; up !== null; up = up.parent) for (const i of up.here) candidates[count++] = i;
    work += count;
    if (work > budget) throw refuse();
    // In rule order: sort a few, or mark many and sweep.
    if (count * 8 < n) candidates.subarray(0, count).sort();
    else {
      for (let c = 0; c < count; c++) mark[candidates[c]!] = pi;
      count = 0;
      for (let q = 0; q < n; q++) if (mark[q] === pi) candidates[count++] = q;
    }
    const a = pathOf[pi]!;
    const pMethods = methods[pi]!;
    const pKey = keys[pi]!;
    const pRank = ranks[pi]!;
    for (let c = 0; c < count; c++) {
      const qi = candidates[c]!;
      if ((pMethods & methods[qi]!) === 0) continue;
      const b = pathOf[qi]!;
      // The memo, read inline: most questions have been answered for another rule of the same paths.
      const ab = memo[a * d + b]!;
      if (pi !== qi) {
        // q's resource covers requests of p.
        const qKey = keys[qi]!;
        if (
          qKey !== -1 &&
          qKey !== pKey &&
          ((ab & GLOB) !== 0 ? (ab & (GLOB << 1)) !== 0 : ask(a, b, GLOB))
        ) {
          result.overlaps.push(pi, qi);
          work += RELATION_COST;
        }
        // q more specific than p, and sharing requests with it.
        if (ranks[qi]! < pRank && ask(b, a, LANG)) {
          result.denyGuards[qi]!.push(pi);
          work += RELATION_COST;
        }
      }
      if ((ab & EXCESS) !== 0 ? (ab & (EXCESS << 1)) !== 0 : ask(a, b, EXCESS)) {
        result.excessHits[pi]!.push(qi);
        work += RELATION_COST;
      }
    }
    if (work > budget) throw refuse();
  }
  return { ...result, work };
}
