import { AuthError, AuthErrorCodes } from "../errors.js";
import { listNames } from "../util/names.js";
import type { KeyLookup, VerificationKey } from "./types.js";

/**
 * An immutable set of verification keys with the lookup rules of RFC 8725:
 * - a token's `kid` selects among keys with that `kid`; the key must allow the token's `alg`;
 * - a token without `kid` is accepted only when exactly one key can verify its `alg`;
 * - two keys that could both verify the same token (a duplicated `kid`) make the lookup fail
 *   rather than guess.
 * A set built from one configured key (`secret`, `publicKey`) ignores `kid`: there is nothing to choose.
 */
const NO_REFUSALS: ReadonlyMap<string, string> = new Map();

export class KeySet {
  readonly keys: readonly VerificationKey[];
  private readonly byKid = new Map<string, VerificationKey[]>();
  private readonly ignoreKid: boolean;

  /** `kid` → why that key of the set was refused (see `judgeKey`). */
  private readonly refused: ReadonlyMap<string, string>;

  constructor(
    keys: readonly VerificationKey[],
    options: { ignoreKid?: boolean; refused?: ReadonlyMap<string, string> } = {},
  ) {
    this.keys = keys;
    this.ignoreKid = options.ignoreKid ?? false;
    this.refused = options.refused ?? NO_REFUSALS;
    for (const key of keys) {
      if (key.kid === undefined) continue;
      const list = this.byKid.get(key.kid);
      if (list) list.push(key);
      else this.byKid.set(key.kid, [key]);
    }
  }

  get size(): number {
    return this.keys.length;
  }

  /** True when the set has a key with this `kid` (whatever its algorithm). */
  hasKid(kid: string): boolean {
    return this.byKid.has(kid);
  }

  /** The key for `lookup`, or `undefined` when no key has the token's `kid`. Throws on ambiguity or algorithm mismatch. */
  find(lookup: KeyLookup): VerificationKey | undefined {
    const candidates = lookup.kid === undefined || this.ignoreKid ? this.keys : this.byKid.get(lookup.kid);
    if (candidates === undefined || candidates.length === 0) {
      // A kid the set holds but gatepass refused is an answer, not a reason to fetch the set again.
      const refused = lookup.kid === undefined ? undefined : this.refused.get(lookup.kid);
      if (refused !== undefined)
        throw new AuthError(AuthErrorCodes.KEY_REFUSED, `The key the token names was refused: ${refused}.`);
      return undefined;
    }
    let found: VerificationKey | undefined;
    let matches = 0;
    for (const key of candidates) {
      if (key.algorithms.has(lookup.alg)) {
        found = key;
        matches += 1;
      }
    }
    if (matches === 1) return found;
    if (matches > 1) {
      throw new AuthError(
        AuthErrorCodes.KEY_NOT_FOUND,
        lookup.kid === undefined
          ? `The token has no kid and ${matches} keys could verify ${lookup.alg}.`
          : `${matches} keys share the token's kid; refusing to guess.`,
      );
    }
    if (lookup.kid === undefined && !this.ignoreKid) return undefined;
    throw new AuthError(
      AuthErrorCodes.ALGORITHM_NOT_ALLOWED,
      `The key selected by the token does not verify ${lookup.alg}.`,
    );
  }

  /** Like {@link find}, but a missing key is an `ERR_KEY_NOT_FOUND`. */
  get(lookup: KeyLookup): VerificationKey {
    const key = this.find(lookup);
    if (key) return key;
    throw new AuthError(
      AuthErrorCodes.KEY_NOT_FOUND,
      lookup.kid === undefined
        ? `No key can verify ${lookup.alg} for a token without kid.`
        : `No key matches the token's kid (known kids: ${listNames([...this.byKid.keys()])}).`,
    );
  }
}

/** A key source over a fixed {@link KeySet}: a secret, a PEM public key or an inline JWKS. */
export class StaticKeySource {
  constructor(readonly keySet: KeySet) {}
  getKey(lookup: KeyLookup): VerificationKey {
    return this.keySet.get(lookup);
  }
  async hydrate(): Promise<void> {}
}
