import { ConfigError } from "../errors.js";
import {
  type ClaimPath,
  claimPath,
  isClaimPointer,
  pointerProblem,
  readClaimPath,
} from "../util/json-pointer.js";

/**
 * What a route rule requires of a verified token's claims, compiled once and checked per request.
 *
 * - `scopes`: granted scopes are read from `scope` (OAuth 2.0: a space-separated string; an array of
 *   strings is accepted too) and `scp` (an array, or a space-separated string); both are unioned.
 *   An issuer's `scopeClaims` names other claims (Auth0's `permissions`), passed to the check.
 *   `scopesMode` `"all"` (default) needs every listed scope, `"any"` at least one. Scope names compare
 *   exactly and case-sensitively.
 * - `claims`: one test per claim name: a name starting with `/` is a JSON Pointer (RFC 6901) into
 *   the payload (`/realm_access/roles`; see `util/json-pointer.ts`), any other name the top-level
 *   claim, verbatim (`cognito:groups`, `https://example.com/roles`; no dotted paths). The values a
 *   claim *holds* are its own value when it
 *   is a string, number or boolean, or the string/number/boolean elements of an array claim; any other
 *   claim (absent, null, object) holds nothing. Comparisons are strict (`"1"` is not `1`).
 *   | config | passes when |
 *   |---|---|
 *   | `"admin"` (a scalar) | the claim holds `"admin"` (equals it, or an array claim contains it) |
 *   | `["a", "b"]` | the claim holds at least one of them |
 *   | `{ "anyOf": ["a", "b"] }` | same as the array form |
 *   | `{ "allOf": ["a", "b"] }` | the claim holds every one of them |
 *   | `{ "equals": v }` | the claim is exactly the scalar `v` (an array containing `v` does not count) |
 *   | `{ "contains": v }` | the claim is an array containing `v` (a scalar equal to `v` does not count) |
 * - `allow: true`: any authenticated principal; cannot be combined with the others.
 *
 * Untrusted claims are read as own properties only, so `__proto__`, `constructor` or `toString`
 * never resolve to inherited values; nothing here throws on any JSON value.
 */

/** A value a claim requirement can name. */
export type ClaimScalar = string | number | boolean;
/** The operators of a claim requirement (see the module notes for their meaning). */
export type ClaimOperator = "anyOf" | "allOf" | "equals" | "contains";

/** One compiled claim test. */
export interface ClaimTest {
  /** The claim name as configured (a pointer keeps its `/…` text). */
  readonly claim: string;
  /** The compiled name: where the claim is read. */
  readonly path: ClaimPath;
  readonly op: ClaimOperator;
  readonly values: readonly ClaimScalar[];
}

/** A compiled requirement. */
export interface Requirement {
  /** `allow: true`: nothing to check. */
  readonly open: boolean;
  readonly scopes: readonly string[];
  readonly scopesMode: "all" | "any";
  readonly claims: readonly ClaimTest[];
  /** A canonical text of the requirement: two rules with the same key always decide alike. */
  readonly key: string;
}

/** Why a requirement failed; `detail` names scopes or claims, never a claim's value. */
export interface RequirementFailure {
  readonly reason: "ERR_SCOPE_MISSING" | "ERR_CLAIM_MISMATCH";
  readonly detail: string;
}

const OPERATORS: readonly ClaimOperator[] = ["anyOf", "allOf", "equals", "contains"];

const show = (value: unknown) => {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function scalar(value: unknown, field: string): ClaimScalar {
  if (
    typeof value === "string" ||
    typeof value === "boolean" ||
    (typeof value === "number" && Number.isFinite(value))
  ) {
    return value;
  }
  if (value === null) {
    throw new ConfigError(
      field,
      "null can never match (a null claim holds no value); require a string, number or boolean.",
    );
  }
  throw new ConfigError(field, `expected a string, number or boolean, got ${show(value)}.`);
}

function scalarList(value: unknown, field: string): ClaimScalar[] {
  if (!Array.isArray(value))
    throw new ConfigError(field, `expected an array of strings, numbers or booleans, got ${show(value)}.`);
  if (value.length === 0)
    throw new ConfigError(field, "an empty list can never match; list at least one value.");
  return value.map((v, i) => scalar(v, `${field}[${i}]`));
}

function compileClaimTest(claim: string, value: unknown, field: string): ClaimTest {
  if (isClaimPointer(claim)) {
    const problem = pointerProblem(claim);
    if (problem !== null) throw new ConfigError(field, problem);
  }
  const path = claimPath(claim);
  if (Array.isArray(value)) return { claim, path, op: "anyOf", values: scalarList(value, field) };
  if (!isPlainObject(value)) return { claim, path, op: "anyOf", values: [scalar(value, field)] };
  const keys = Object.keys(value);
  for (const key of keys) {
    if (!OPERATORS.includes(key as ClaimOperator)) {
      throw new ConfigError(
        `${field}.${key}`,
        `unknown operator (expected one of: ${OPERATORS.join(", ")}).`,
      );
    }
  }
  if (keys.length !== 1) {
    throw new ConfigError(
      field,
      `expected exactly one operator (${OPERATORS.join(", ")}), got ${keys.length}.`,
    );
  }
  const op = keys[0] as ClaimOperator;
  const operand = value[op];
  if (op === "anyOf" || op === "allOf")
    return { claim, path, op, values: scalarList(operand, `${field}.${op}`) };
  return { claim, path, op, values: [scalar(operand, `${field}.${op}`)] };
}

/**
 * Validates and compiles the requirement fields (`scopes`, `scopesMode`, `claims`, `allow`) of one
 * route rule. Throws a `ConfigError` whose field is `${field}.scopes`, `${field}.claims.groups.anyOf[1]`…
 *
 * @param rule the rule object (other fields are ignored here).
 * @param field the rule's configuration path, e.g. `routes[3]`.
 * @example
 * compileRequirement({ scopes: ["orders:read"] }, "routes[0]")
 * compileRequirement({ claims: { "cognito:groups": { anyOf: ["admin", "ops"] } } }, "routes[1]")
 */
export function compileRequirement(rule: Record<string, unknown>, field: string): Requirement {
  const hasScopes = rule.scopes !== undefined;
  const hasClaims = rule.claims !== undefined;
  if (rule.allow !== undefined) {
    if (rule.allow !== true) {
      throw new ConfigError(
        `${field}.allow`,
        `expected true, got ${show(rule.allow)} (a rule that allows nobody can never match; remove the rule or give it requirements).`,
      );
    }
    if (hasScopes || hasClaims || rule.scopesMode !== undefined) {
      throw new ConfigError(
        `${field}.allow`,
        '"allow": true opens the route to any authenticated principal; it cannot be combined with scopes or claims.',
      );
    }
    return { open: true, scopes: [], scopesMode: "all", claims: [], key: "open" };
  }
  if (!hasScopes && !hasClaims) {
    throw new ConfigError(field, 'needs at least one requirement: "scopes", "claims", or "allow": true.');
  }
  let scopes: string[] = [];
  if (hasScopes) {
    if (!Array.isArray(rule.scopes))
      throw new ConfigError(
        `${field}.scopes`,
        `expected a non-empty array of scope names, got ${show(rule.scopes)}.`,
      );
    if (rule.scopes.length === 0) {
      throw new ConfigError(
        `${field}.scopes`,
        'an empty list would require nothing; list at least one scope, or use "allow": true.',
      );
    }
    scopes = rule.scopes.map((scope, i) => {
      if (typeof scope !== "string" || scope.length === 0) {
        throw new ConfigError(
          `${field}.scopes[${i}]`,
          `expected a non-empty scope name, got ${show(scope)}.`,
        );
      }
      if (/\s/.test(scope)) {
        throw new ConfigError(
          `${field}.scopes[${i}]`,
          `${show(scope)} can never match: granted scopes are space-separated, so a scope cannot contain whitespace.`,
        );
      }
      return scope;
    });
  }
  let scopesMode: "all" | "any" = "all";
  if (rule.scopesMode !== undefined) {
    if (rule.scopesMode !== "all" && rule.scopesMode !== "any") {
      throw new ConfigError(`${field}.scopesMode`, `expected "all" or "any", got ${show(rule.scopesMode)}.`);
    }
    if (!hasScopes) throw new ConfigError(`${field}.scopesMode`, 'has no effect without "scopes".');
    scopesMode = rule.scopesMode;
  }
  const claims: ClaimTest[] = [];
  if (hasClaims) {
    if (!isPlainObject(rule.claims))
      throw new ConfigError(
        `${field}.claims`,
        `expected an object of claim requirements, got ${show(rule.claims)}.`,
      );
    const names = Object.keys(rule.claims);
    if (names.length === 0)
      throw new ConfigError(`${field}.claims`, "expected at least one claim requirement.");
    for (const name of names) {
      if (name.length === 0) throw new ConfigError(`${field}.claims`, "a claim name is empty.");
      claims.push(compileClaimTest(name, rule.claims[name], `${field}.claims.${name}`));
    }
  }
  const key = JSON.stringify({
    scopes: [...scopes].sort(),
    scopesMode: scopes.length > 1 ? scopesMode : "all",
    claims: [...claims]
      .sort((a, b) => (a.claim < b.claim ? -1 : a.claim > b.claim ? 1 : 0))
      .map(({ claim, op, values }) => ({ claim, op, values })),
  });
  return { open: false, scopes, scopesMode, claims, key };
}

/** An own property of an untrusted claims object, or `undefined` (never an inherited value). */
export function readClaim(claims: Record<string, unknown>, name: string): unknown {
  return Object.hasOwn(claims, name) ? claims[name] : undefined;
}

/** Whether `text` holds `token` as a whole space-separated word; allocates nothing. */
function hasWord(text: string, token: string): boolean {
  let at = text.indexOf(token);
  while (at !== -1) {
    const end = at + token.length;
    if ((at === 0 || text.charCodeAt(at - 1) === 32) && (end === text.length || text.charCodeAt(end) === 32))
      return true;
    at = text.indexOf(token, at + 1);
  }
  return false;
}

function grants(value: unknown, scope: string): boolean {
  if (typeof value === "string") return hasWord(value, scope);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (value[i] === scope) return true;
  }
  return false;
}

/**
 * Whether the claims grant `scope` through one of `scopeClaims` (each a space-separated string or
 * an array): by default `scope` and `scp`; an issuer may name others (`permissions`).
 *
 * @example
 * hasScope({ scope: "orders:read orders:write" }, "orders:read", DEFAULT_SCOPE_CLAIMS) // true
 * hasScope({ permissions: ["admin"] }, "admin", ["scope", "permissions"])            // true
 */
function hasScope(claims: Record<string, unknown>, scope: string, scopeClaims: readonly string[]): boolean {
  for (let i = 0; i < scopeClaims.length; i++)
    if (grants(readClaim(claims, scopeClaims[i]!), scope)) return true;
  return false;
}

/** The claims `scopes` rules read when the issuer does not say (`scopeClaims`). */
export const DEFAULT_SCOPE_CLAIMS: readonly string[] = Object.freeze(["scope", "scp"]);

function holds(value: unknown, wanted: ClaimScalar): boolean {
  if (value === wanted) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (value[i] === wanted) return true;
  }
  return false;
}

function passes(test: ClaimTest, value: unknown): boolean {
  const values = test.values;
  switch (test.op) {
    case "anyOf":
      for (let i = 0; i < values.length; i++) if (holds(value, values[i]!)) return true;
      return false;
    case "allOf":
      for (let i = 0; i < values.length; i++) if (!holds(value, values[i]!)) return false;
      return true;
    case "equals":
      return value === values[0];
    case "contains":
      return Array.isArray(value) && holds(value, values[0]!);
  }
}

/**
 * Checks a requirement against claims: `null` when it passes, else why (scopes are checked before
 * claims). Allocates only on failure.
 *
 * @example
 * checkRequirement(compileRequirement({ scopes: ["a", "b"] }, "r"), { scope: "a" })
 * // { reason: "ERR_SCOPE_MISSING", detail: "missing scope b" }
 */
export function checkRequirement(
  requirement: Requirement,
  claims: Record<string, unknown>,
  scopeClaims: readonly string[] = DEFAULT_SCOPE_CLAIMS,
): RequirementFailure | null {
  if (requirement.open) return null;
  const scopes = requirement.scopes;
  if (scopes.length > 0) {
    if (requirement.scopesMode === "any") {
      let any = false;
      for (let i = 0; i < scopes.length && !any; i++) any = hasScope(claims, scopes[i]!, scopeClaims);
      if (!any)
        return { reason: "ERR_SCOPE_MISSING", detail: `needs one of the scopes ${scopes.join(", ")}` };
    } else {
      for (let i = 0; i < scopes.length; i++) {
        if (!hasScope(claims, scopes[i]!, scopeClaims)) {
          const missing = scopes.filter((s) => !hasScope(claims, s, scopeClaims));
          return {
            reason: "ERR_SCOPE_MISSING",
            detail: `missing scope${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
          };
        }
      }
    }
  }
  const tests = requirement.claims;
  for (let i = 0; i < tests.length; i++) {
    const test = tests[i]!;
    if (!passes(test, readClaimPath(claims, test.path))) {
      return {
        reason: "ERR_CLAIM_MISMATCH",
        detail: `claim ${JSON.stringify(test.claim)} does not satisfy ${test.op}`,
      };
    }
  }
  return null;
}
