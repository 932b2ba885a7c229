import { type LanguageToken, ONE, STAR } from "../rules/languages.js";

/**
 * IAM resource globs: matching (per request, for policy evaluation) and their languages for the
 * automaton arithmetic of `rules/languages.ts` (the overlap analysis, at cold start).
 *
 * In an IAM `Resource`, `*` matches any run of characters (including `/` and the empty string) and
 * `?` matches exactly one character; everything else is literal and case-sensitive. A route pattern
 * such as `GET /orders/{id}` is a different kind of language: `{id}` is one non-empty segment
 * without `/`. Translating the pattern to a glob (`GET/orders/*`) therefore covers *more* requests
 * than the pattern, and the policy builder must know exactly where the two differ. That is what
 * `intersects` (rules/languages.ts) answers: whether two such languages share at least one string.
 *
 * Nothing here runs per request except {@link matchIamGlob}, which allocates nothing.
 */

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
