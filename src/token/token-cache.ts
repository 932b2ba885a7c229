import { hash } from "node:crypto";
import type { KeySource, VerificationKey } from "../keys/types.js";

interface Entry<T> {
  readonly value: T;
  readonly key: VerificationKey;
  readonly source: KeySource;
  readonly expiresAt: number;
}

/**
 * A bounded cache of verified tokens, so a token seen again (API Gateway cache off, per-route
 * identity sources, the local gateway) skips decoding and the signature. An entry lives no longer
 * than its own `expiresAt` (the token's `exp`, `maxTokenAgeSeconds`, and the configured TTL, all
 * computed by the caller) and only while the key that verified it is still in its key set: a JWKS
 * rotation that removes the key evicts the token. The Map keeps insertion order; the oldest entry
 * goes first when full. Entries are keyed by the SHA-256 of the whole token ({@link tokenCacheKey}):
 * a hit requires the exact same bytes, signature included, and the cache holds no bearer tokens
 * included.
 */
/**
 * The cache key of a token: SHA-256 of all of it, base64. About as fast as using the token string
 * itself as the key (V8 hashes a fresh string anyway), 44 bytes instead of up to 8 KiB, and no
 * usable bearer token stays in memory.
 */
export function tokenCacheKey(token: string): string {
  return hash("sha256", token, "base64");
}

export class TokenCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    readonly maxEntries: number,
    readonly ttlSeconds: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The entry for `cacheKey` ({@link tokenCacheKey}) if it is still valid at `now` (ms). */
  get(cacheKey: string, now: number): T | undefined {
    const entry = this.entries.get(cacheKey);
    if (entry === undefined) return undefined;
    if (
      now >= entry.expiresAt ||
      (entry.source.isCurrent !== undefined && !entry.source.isCurrent(entry.key))
    ) {
      this.entries.delete(cacheKey);
      return undefined;
    }
    return entry.value;
  }

  /** Stores `value` until `expiresAt` (ms) or the TTL, whichever comes first. */
  set(
    cacheKey: string,
    value: T,
    key: VerificationKey,
    source: KeySource,
    now: number,
    expiresAt: number,
  ): void {
    const until = Math.min(expiresAt, now + this.ttlSeconds * 1000);
    if (until <= now) return;
    // Re-storing a token (two concurrent verifications) replaces it without evicting another entry.
    if (!this.entries.delete(cacheKey) && this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(cacheKey, { value, key, source, expiresAt: until });
  }

  clear(): void {
    this.entries.clear();
  }
}
