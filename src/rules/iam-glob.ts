/**
 * IAM resource globs, and the small automaton arithmetic the rule compiler uses to reason about
 * them at cold start.
 *
 * In an IAM `Resource`, `*` matches any run of characters (including `/` and the empty string) and
 * `?` matches exactly one character; everything else is literal and case-sensitive. A route pattern
 * such as `GET /orders/{id}` is a different kind of language: `{id}` is one non-empty segment
 * without `/`. Translating the pattern to a glob (`GET/orders/*`) therefore covers *more* requests
 * than the pattern, and the policy builder must know exactly where the two differ. That is what
 * {@link intersects} answers: whether two such languages share at least one string.
 *
 * Nothing here runs per request except {@link matchIamGlob}, which allocates nothing.
 */

/**
 * A token of a language: a UTF-16 code unit (≥ 0) for a literal character, or one of the negative
 * markers below. A string of tokens is read left to right like a regular expression.
 */
export type LanguageToken = number;

/** One or more characters other than `/` (a `{param}` segment). */
export const SEGMENT = -1;
/** One or more characters of any kind (a `{proxy+}` remainder). */
export const REST = -2;
/** Zero or more characters of any kind (IAM `*`). */
export const STAR = -3;
/** Exactly one character of any kind (IAM `?`). */
export const ONE = -4;

const SLASH = 47;
const STAR_CODE = 42;
const QUESTION_CODE = 63;

/**
 * IAM glob match of a whole string: `*` spans any run (including `/` and nothing), `?` exactly one
 * UTF-16 code unit, everything else literal. Iterative with single-star backtracking, so it runs in
 * O(glob × text) at worst and linear time for the globs gatepass emits; it allocates nothing.
 *
 * @param ignoreCase compare ASCII letters case-insensitively (IAM action names are), default `false`
 *   (resource ARNs are case-sensitive).
 * @example
 * matchIamGlob("arn:aws:execute-api:eu-west-1:123456789012:abc/Prod/*", "arn:aws:execute-api:eu-west-1:123456789012:abc/Prod/GET/") // true
 * matchIamGlob("GET/orders/?", "GET/orders/7") // true; `?` is exactly one character
 */
export function matchIamGlob(glob: string, text: string, ignoreCase = false): boolean {
  return matchIamGlobAt(glob, 0, glob.length, text, 0, text.length, ignoreCase);
}

/**
 * {@link matchIamGlob} on slices: `glob[gStart, gEnd)` against `text[tStart, tEnd)`. Lets callers
 * match ARN components without building substrings.
 */
export function matchIamGlobAt(
  glob: string,
  gStart: number,
  gEnd: number,
  text: string,
  tStart: number,
  tEnd: number,
  ignoreCase = false,
): boolean {
  let g = gStart;
  let t = tStart;
  let starG = -1;
  let starT = tStart;
  while (t < tEnd) {
    if (g < gEnd) {
      const gc = glob.charCodeAt(g);
      if (gc === STAR_CODE) {
        starG = g++;
        starT = t;
        continue;
      }
      if (gc === QUESTION_CODE || sameChar(gc, text.charCodeAt(t), ignoreCase)) {
        g++;
        t++;
        continue;
      }
    }
    // Mismatch: let the last `*` swallow one more character and retry from there.
    if (starG === -1) return false;
    g = starG + 1;
    t = ++starT;
  }
  while (g < gEnd && glob.charCodeAt(g) === STAR_CODE) g++;
  return g === gEnd;
}

function sameChar(a: number, b: number, ignoreCase: boolean): boolean {
  if (a === b) return true;
  if (!ignoreCase) return false;
  // ASCII letters only: IAM action names are ASCII.
  const la = a >= 65 && a <= 90 ? a + 32 : a;
  const lb = b >= 65 && b <= 90 ? b + 32 : b;
  return la === lb;
}

/** True when `glob` contains an IAM wildcard (`*` or `?`). */
export function hasWildcard(glob: string): boolean {
  return glob.includes("*") || glob.includes("?");
}

/** The tokens of an IAM glob (`*` → {@link STAR}, `?` → {@link ONE}). */
export function globTokens(glob: string): LanguageToken[] {
  const out: LanguageToken[] = new Array(glob.length);
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charCodeAt(i);
    out[i] = c === STAR_CODE ? STAR : c === QUESTION_CODE ? ONE : c;
  }
  return out;
}

/** The tokens of a literal string. */
export function literalTokens(text: string): LanguageToken[] {
  const out: LanguageToken[] = new Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

// Character classes of one consuming step: a code unit (≥ 0), "not a slash", or "anything".
const NOT_SLASH = -10;
const ANY = -11;

function stepClass(token: LanguageToken): number {
  if (token >= 0) return token;
  return token === SEGMENT ? NOT_SLASH : ANY;
}

function classesMeet(a: number, b: number): boolean {
  if (a >= 0 && b >= 0) return a === b;
  if (a >= 0) return b === ANY || a !== SLASH;
  if (b >= 0) return a === ANY || b !== SLASH;
  return true;
}

/**
 * Whether two token languages share at least one string (the emptiness test of their product
 * automaton). Each side is at a token index plus an "entered" bit, which records that a
 * {@link SEGMENT} or {@link REST} has consumed its mandatory first character.
 *
 * Cost: at most (2·|a|+2)·(2·|b|+2) states, explored once each; only used at cold start.
 *
 * @example
 * intersects(globTokens("/orders/*"), [47, ...literalTokens("orders/"), SEGMENT, ...literalTokens("/items")]) // true
 */
export function intersects(a: readonly LanguageToken[], b: readonly LanguageToken[]): boolean {
  const la = a.length;
  const lb = b.length;
  const width = 2 * lb + 2;
  const seen = new Set<number>();
  const stack: number[] = [0];
  const push = (ia: number, ea: number, ib: number, eb: number) => {
    const id = (2 * ia + ea) * width + 2 * ib + eb;
    if (!seen.has(id)) stack.push(id);
  };
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const sa = Math.floor(id / width);
    const sb = id % width;
    const ia = sa >> 1;
    const ea = sa & 1;
    const ib = sb >> 1;
    const eb = sb & 1;
    if (ia === la && ib === lb) return true;
    // Moves that consume nothing: skip a `*`, or leave a segment/rest that has consumed one char.
    if (ia < la) {
      const t = a[ia]!;
      if (t === STAR || ((t === SEGMENT || t === REST) && ea === 1)) push(ia + 1, 0, ib, eb);
    }
    if (ib < lb) {
      const t = b[ib]!;
      if (t === STAR || ((t === SEGMENT || t === REST) && eb === 1)) push(ia, ea, ib + 1, 0);
    }
    // One character consumed on both sides at once, if some character satisfies both.
    if (ia < la && ib < lb) {
      const ta = a[ia]!;
      const tb = b[ib]!;
      if (classesMeet(stepClass(ta), stepClass(tb))) {
        const [na, nea] = advance(ta, ia);
        const [nb, neb] = advance(tb, ib);
        push(na, nea, nb, neb);
      }
    }
  }
  return false;
}

function advance(token: LanguageToken, index: number): [number, number] {
  if (token >= 0 || token === ONE) return [index + 1, 0];
  if (token === STAR) return [index, 0];
  return [index, 1]; // SEGMENT, REST: stay, now entered
}
