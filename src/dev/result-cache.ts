/**
 * API Gateway's authorizer result cache: one entry per identity-source value set, kept for the
 * TTL (`authorizerResultTtlInSeconds`), reused for *every* route of the API. What is cached is
 * the authorizer's whole answer (policy and context, or the simple response); the caller
 * re-evaluates a cached policy against each new request's ARN — which is exactly how a policy
 * written for one `methodArn` turns into a 403 on the next route.
 *
 * Bounded: beyond `maxEntries` the oldest entry goes (a dev server has few callers; the bound only
 * keeps a load test from growing memory without limit).
 */
export class ResultCache<T> {
  private readonly entries = new Map<string, { value: T; expiresAt: number }>();

  /**
   * @param ttlSeconds 0 disables the cache.
   * @param now clock in ms [Date.now]
   * @param maxEntries [10000]
   */
  constructor(
    readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  get enabled(): boolean {
    return this.ttlSeconds > 0;
  }

  /**
   * The key of a set of identity values (order matters: it is the configured order). One cache
   * always sees the same number of values, so a single value is its own key.
   */
  static key(values: readonly string[]): string {
    return values.length === 1 ? values[0]! : JSON.stringify(values);
  }

  get(key: string): T | undefined {
    if (!this.enabled) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.now() >= entry.expiresAt) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: T): void {
    if (!this.enabled) return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, expiresAt: this.now() + this.ttlSeconds * 1000 });
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
