import type { KeyLookup, KeySource, VerificationKey } from "../keys/types.js";
import { nodeCrypto } from "../util/builtins.js";

const { hash } = nodeCrypto;

interface Entry<T> {
  readonly value: T;
  readonly key: VerificationKey;
  readonly source: KeySource;
  /** The token's own key lookup (its `kid` and `alg`), asked again once the keys are stale. */
  readonly lookup: KeyLookup;
  readonly expiresAt: number;
  /** The source's `generation` when `key` was last known to be in its key set. */
  generation: number | undefined;
}

/**
 * The cache key of a token: SHA-256 of all of it, base64. About as fast as using the token string
 * itself as the key (V8 hashes a fresh string anyway), 44 bytes instead of up to 8 KiB, and no
 * usable bearer token stays in memory.
 */
export function tokenCacheKey(token: string): string {
  return hash("sha256", token, "base64");
}

/**
 * A bounded cache of verified tokens, so a token seen again (API Gateway cache off, per-route
 * identity sources, the local gateway) skips decoding and the signature. An entry lives no longer
 * than its own `expiresAt` (the token's `exp`, `maxTokenAgeSeconds`, and the configured TTL, all
 * computed by the caller), and a hit is worth no more than a fresh verification: while the key
 * source is fresh and its key set unchanged (`freshUntil`, `generation`: two compares) the value is
 * served as is; otherwise the hit asks the source for the token's key again, exactly as an uncached
 * verification would (a refresh, its cooldown, single flight and stale window), and is served only
 * if that is still the key that verified it. Keys that never change (a secret, a PEM, an inline
 * JWKS) are always fresh. The Map keeps insertion order; the oldest entry goes first when full.
 * Entries are keyed by the SHA-256 of the whole token ({@link tokenCacheKey}): a hit requires the
 * exact same bytes, signature included, and the cache holds no bearer tokens. `T` is never a promise.
 */
export class TokenCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    readonly maxEntries: number,
    readonly ttlSeconds: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * The value for `cacheKey` ({@link tokenCacheKey}) if it is still valid at `now` (ms);
   * `undefined` when there is none (or no longer: its key was replaced), the caller then verifies
   * afresh. Once the keys are stale, the answer may be a promise (a refresh under way), and the
   * source's error (`ERR_KEY_NOT_FOUND`, `ERR_JWKS_UNAVAILABLE`…) is thrown or rejected as is.
   */
  get(cacheKey: string, now: number): T | Promise<T | undefined> | undefined {
    const entry = this.entries.get(cacheKey);
    if (entry === undefined) return undefined;
    if (now >= entry.expiresAt) {
      this.entries.delete(cacheKey);
      return undefined;
    }
    const source = entry.source;
    const freshUntil = source.freshUntil;
    if (freshUntil === undefined || (now < freshUntil && entry.generation === source.generation)) {
      return entry.value;
    }
    return this.revalidate(cacheKey, entry);
  }

  /**
   * Stores `value`, verified by `key` of `source` for a token looked up as `lookup`, until
   * `expiresAt` (ms) or the TTL, whichever comes first.
   */
  set(
    cacheKey: string,
    value: T,
    key: VerificationKey,
    source: KeySource,
    now: number,
    expiresAt: number,
    lookup: KeyLookup,
  ): void {
    const until = Math.min(expiresAt, now + this.ttlSeconds * 1000);
    if (until <= now) return;
    // A refresh between the key lookup and now may have removed the key: then nothing is cached.
    if (source.isCurrent !== undefined && !source.isCurrent(key)) return;
    // Re-storing a token (two concurrent verifications) replaces it without evicting another entry.
    if (!this.entries.delete(cacheKey) && this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(cacheKey, {
      value,
      key,
      source,
      lookup,
      expiresAt: until,
      generation: source.generation,
    });
  }

  clear(): void {
    this.entries.clear();
  }

  /** The slow path of a hit: the token's key asked again, through the source's own refresh rules. */
  private revalidate(cacheKey: string, entry: Entry<T>): T | Promise<T | undefined> | undefined {
    let found: VerificationKey | Promise<VerificationKey>;
    try {
      found = entry.source.getKey(entry.lookup);
    } catch (error) {
      this.drop(cacheKey, entry);
      throw error;
    }
    if (found instanceof Promise) {
      return found.then(
        (key) => this.confirm(cacheKey, entry, key, false),
        (error: unknown) => {
          this.drop(cacheKey, entry);
          throw error;
        },
      );
    }
    return this.confirm(cacheKey, entry, found, true);
  }

  /** Serves the entry if `key` is still the one that verified it; drops it otherwise. */
  private confirm(cacheKey: string, entry: Entry<T>, key: VerificationKey, sync: boolean): T | undefined {
    if (key !== entry.key) {
      this.drop(cacheKey, entry);
      return undefined;
    }
    // A key answered synchronously comes from the current set; after a wait, another refresh may
    // have installed a newer set since, so the key is checked against it first.
    const source = entry.source;
    if (sync || source.isCurrent === undefined || source.isCurrent(key)) entry.generation = source.generation;
    return entry.value;
  }

  private drop(cacheKey: string, entry: Entry<T>): void {
    if (this.entries.get(cacheKey) === entry) this.entries.delete(cacheKey);
  }
}
