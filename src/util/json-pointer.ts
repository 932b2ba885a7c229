/**
 * Claim names that reach into nested claims: a name starting with `/` is a JSON Pointer (RFC 6901)
 * into the token's payload (`/realm_access/roles`, `/resource_access/my-client/roles`); any other
 * name is an exact top-level claim (`cognito:groups`, `https://example.com/roles`).
 *
 * - Syntax (RFC 6901 §3–4): `/`-separated reference tokens; `~1` stands for `/` and `~0` for `~`;
 *   any other `~` sequence makes the pointer invalid. Checked once, at cold start.
 * - Evaluation against untrusted JSON: an object member is read only when it is an own property
 *   (never `constructor`, `toString` or anything inherited); an array element only for a token that
 *   is a decimal index without leading zeros (`0`, `12`, not `01`, `+1`, `1e0`) within the array;
 *   `-` (RFC 6901 §4: the element after the last) never matches; a `__proto__` member is never read.
 *   Anything that does not resolve is `undefined`; nothing here throws on any JSON value.
 * - Bounded: at most {@link MAX_POINTER_LENGTH} characters and {@link MAX_POINTER_DEPTH} tokens, so
 *   a lookup costs a handful of property reads whatever the token holds.
 */

/** The longest claim pointer, in UTF-16 code units. */
export const MAX_POINTER_LENGTH = 256;
/** The most reference tokens (levels) in a claim pointer. */
export const MAX_POINTER_DEPTH = 16;

/** A claim name, compiled: `tokens` is `null` for a top-level name, the decoded tokens for a pointer. */
export interface ClaimPath {
  /** The name as configured (a pointer keeps its `/…` text). */
  readonly name: string;
  readonly tokens: readonly string[] | null;
}

// Control characters can be neither a context key nor anything a claim name means in practice.
const CONTROL = /[\u0000-\u001f\u007f]/;
const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;

/** Whether a claim name is a JSON Pointer (starts with `/`). */
export const isClaimPointer = (name: string): boolean => name.charCodeAt(0) === 47; /* / */

/**
 * Why `pointer` (a name starting with `/`) is not a usable claim pointer, as a sentence; `null`
 * when it is one.
 *
 * @example
 * pointerProblem("/realm_access/roles") // null
 * pointerProblem("/a~2b")               // "…~ must be followed by 0 or 1…"
 */
export function pointerProblem(pointer: string): string | null {
  if (pointer.length > MAX_POINTER_LENGTH)
    return `a claim pointer is at most ${MAX_POINTER_LENGTH} characters (got ${pointer.length}).`;
  if (CONTROL.test(pointer)) return "a claim pointer cannot contain control characters.";
  for (let at = pointer.indexOf("~"); at !== -1; at = pointer.indexOf("~", at + 1)) {
    const next = pointer[at + 1];
    if (next !== "0" && next !== "1")
      return 'invalid JSON Pointer (RFC 6901): "~" must be followed by 0 or 1 ("~0" is "~", "~1" is "/").';
  }
  const tokens = decodeTokens(pointer);
  if (tokens.length > MAX_POINTER_DEPTH)
    return `a claim pointer has at most ${MAX_POINTER_DEPTH} levels (got ${tokens.length}).`;
  if (tokens.includes("__proto__")) return 'a claim pointer cannot read a "__proto__" member.';
  return null;
}

/** The reference tokens of a syntactically valid pointer, unescaped (`~1` before `~0`, RFC 6901 §4). */
function decodeTokens(pointer: string): string[] {
  return pointer
    .slice(1)
    .split("/")
    .map((t) => (t.includes("~") ? t.replaceAll("~1", "/").replaceAll("~0", "~") : t));
}

/**
 * Compiles a claim name checked already (by {@link pointerProblem} for a pointer). A pointer that
 * is not valid after all compiles to one that never resolves.
 */
export function claimPath(name: string): ClaimPath {
  if (!isClaimPointer(name)) return { name, tokens: null };
  // The cheap part of pointerProblem (whose sentences the Lambda bundles need not carry).
  const tokens = BAD_ESCAPE.test(name) || name.length > MAX_POINTER_LENGTH ? NEVER : decodeTokens(name);
  return { name, tokens: tokens.length > MAX_POINTER_DEPTH || tokens.includes("__proto__") ? NEVER : tokens };
}

const BAD_ESCAPE = /~(?![01])/;

/** Tokens that resolve nowhere: `__proto__` is never read. */
const NEVER: readonly string[] = ["__proto__"];

/**
 * The value at `tokens` in an untrusted JSON value, or `undefined` (see the module notes).
 *
 * @example
 * readPointer({ realm_access: { roles: ["admin"] } }, ["realm_access", "roles"]) // ["admin"]
 * readPointer({ a: [1, 2] }, ["a", "-"])                                         // undefined
 */
export function readPointer(root: unknown, tokens: readonly string[]): unknown {
  let value = root;
  for (let i = 0; i < tokens.length; i++) {
    if (typeof value !== "object" || value === null) return undefined;
    const token = tokens[i]!;
    if (Array.isArray(value)) {
      if (!ARRAY_INDEX.test(token)) return undefined;
      const index = Number(token);
      if (index >= value.length) return undefined;
      value = value[index];
    } else {
      if (token === "__proto__" || !Object.hasOwn(value, token)) return undefined;
      value = (value as Record<string, unknown>)[token];
    }
  }
  return value;
}

/**
 * The value a compiled claim name selects in a token's claims: the own top-level property, or the
 * pointer's target; `undefined` when there is none.
 */
export function readClaimPath(claims: Record<string, unknown>, path: ClaimPath): unknown {
  if (path.tokens !== null) return readPointer(claims, path.tokens);
  return typeof claims === "object" && claims !== null && Object.hasOwn(claims, path.name)
    ? claims[path.name]
    : undefined;
}
