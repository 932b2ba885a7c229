/**
 * Path languages as token strings, and the small automaton arithmetic that reasons about them at
 * cold start: whether two languages share at least one string ({@link intersects}). The rules read
 * route patterns this way (`pathLanguage`, `zoneLanguage`); the policy side reads IAM globs the same
 * way (`globTokens` in policy/iam-glob.ts). Nothing here runs per request.
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
