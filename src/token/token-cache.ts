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
 * goes first when full. Keys are the whole token: a hit requires the exact same bytes, signature
 * included.
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

  get(token: string, now: number): T | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (
      now >= entry.expiresAt ||
      (entry.source.isCurrent !== undefined && !entry.source.isCurrent(entry.key))
    ) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.value;
  }

  /** Stores `value` until `expiresAt` (ms) or the TTL, whichever comes first. */
  set(
    token: string,
    value: T,
    key: VerificationKey,
    source: KeySource,
    now: number,
    expiresAt: number,
  ): void {
    const until = Math.min(expiresAt, now + this.ttlSeconds * 1000);
    if (until <= now) return;
    // Re-storing a token (two concurrent verifications) replaces it without evicting another entry.
    if (!this.entries.delete(token) && this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, { value, key, source, expiresAt: until });
  }

  clear(): void {
    this.entries.clear();
  }
}
