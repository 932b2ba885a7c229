import { type Requirement, readClaim } from "./requirements.js";

/**
 * What a set of requirements reads of a principal's claims, and a key that stands for exactly
 * that: two principals whose claims give the same {@link ClaimProjection.key} pass and fail the same
 * requirements, so whatever is computed from their verdicts (an IAM plan) can be shared between
 * them. The key is built from the values of the claims the requirements read (`scope` and `scp` when
 * some requirement names scopes, and each claim a requirement tests), never from the token or from
 * any other claim.
 *
 * Encoding, per claim read (in a fixed order): a string as `s<length>:<text>`, a number as
 * `n<String(value)>;`, `true`/`false` as `t`/`f`, an array as `[`…`]` of its elements encoded the
 * same way (an element that is not a string, number or boolean as `x`), anything else (absent,
 * `null`, an object) as `x`. The requirements compare strings, numbers and booleans strictly, read
 * array elements one level deep, and find nothing in any other value, so equal keys give equal
 * verdicts (`String` tells numbers apart, except `0` and `-0`, which `===` holds equal too).
 */

/** Keys longer than this are not built (the caller then computes without a memo). */
export const MAX_PROJECTION = 1024;

export class ClaimProjection {
  /** The distinct requirements (by `key`), in order of first appearance. */
  readonly requirements: readonly Requirement[];
  /** For each requirement given, the index of its distinct requirement. */
  readonly ruleRequirement: Int32Array;
  /** The claim names read, sorted. */
  readonly claims: readonly string[];
  /** Whether some requirement names scopes (so an issuer's own `scopeClaims` are read too). */
  readonly readsScopes: boolean;

  constructor(requirements: readonly Requirement[]) {
    const ids = new Map<string, number>();
    const distinct: Requirement[] = [];
    this.ruleRequirement = new Int32Array(requirements.length);
    const names = new Set<string>();
    let readsScopes = false;
    requirements.forEach((requirement, i) => {
      let id = ids.get(requirement.key);
      if (id === undefined) {
        id = distinct.length;
        ids.set(requirement.key, id);
        distinct.push(requirement);
      }
      this.ruleRequirement[i] = id;
      if (requirement.open) return;
      if (requirement.scopes.length > 0) {
        readsScopes = true;
        names.add("scope");
        names.add("scp");
      }
      for (const test of requirement.claims) names.add(test.claim);
    });
    this.requirements = distinct;
    this.claims = [...names].sort();
    this.readsScopes = readsScopes;
  }

  /**
   * The key of these claims, or `null` when it would exceed {@link MAX_PROJECTION} characters or
   * the claims cannot be read (a throwing getter, a revoked proxy).
   */
  key(claims: Record<string, unknown>, scopeClaims?: readonly string[]): string | null {
    try {
      let out = "";
      const names = this.claims;
      for (let i = 0; i < names.length; i++) {
        out = encode(readClaim(claims, names[i]!), out, true);
        if (out.length > MAX_PROJECTION) return null;
      }
      // An issuer's own scope claims (Auth0's `permissions`): their names, then their values.
      if (scopeClaims !== undefined && this.readsScopes) {
        for (let i = 0; i < scopeClaims.length; i++) {
          out = encode(
            readClaim(claims, scopeClaims[i]!),
            `${out}c${scopeClaims[i]!.length}:${scopeClaims[i]}`,
            true,
          );
          if (out.length > MAX_PROJECTION) return null;
        }
      }
      return out;
    } catch {
      return null;
    }
  }
}

function encode(value: unknown, out: string, top: boolean): string {
  switch (typeof value) {
    case "string":
      return `${out}s${value.length}:${value}`;
    case "number":
      return `${out}n${String(value)};`;
    case "boolean":
      return out + (value ? "t" : "f");
  }
  if (top && Array.isArray(value)) {
    let text = `${out}[`;
    for (let i = 0; i < value.length; i++) text = encode(value[i], text, false);
    return `${text}]`;
  }
  return `${out}x`;
}
