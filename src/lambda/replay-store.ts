/**
 * Where the DPoP check (`dpop.ts`) remembers the `jti`s of the proofs it accepted, until the end of
 * their `iat` window (RFC 9449 §11.1): a proof seen again within it is a replay.
 */
export interface ReplayStore {
  /**
   * Records `id` until `expiresAtSeconds` (Unix time). `true`: first sight, now remembered; `false`:
   * already remembered and not expired (a replay). A store that cannot tell throws (or rejects):
   * the request is refused. The in-memory store answers synchronously; shared stores with a promise.
   */
  remember(id: string, expiresAtSeconds: number): boolean | Promise<boolean>;
  /** Resolves once the store can answer (a shared store's client loaded); never rejects. */
  ready?(): Promise<void>;
}

/** How many `jti`s one instance remembers by default. */
export const REPLAY_ENTRIES = 10_000;

/**
 * The replay memory of one Lambda instance: a bounded map, in insertion (age) order. It protects one
 * warm instance only: another instance of the function, or this one after a cold start, does not
 * know the `jti`. When full, the oldest entry goes first (expired ones before it).
 */
export function memoryReplayStore(now: () => number, maxEntries = REPLAY_ENTRIES): ReplayStore {
  /** id → until when (ms) it is remembered. */
  const seen = new Map<string, number>();
  return {
    remember(id, expiresAtSeconds) {
      const at = now();
      const known = seen.get(id);
      if (known !== undefined && known >= at) return false;
      if (known !== undefined) seen.delete(id);
      // Drop expired entries from the old end, then the oldest live one if still full.
      for (const [k, expires] of seen) {
        if (expires >= at && seen.size < maxEntries) break;
        seen.delete(k);
        if (expires >= at) break;
      }
      seen.set(id, expiresAtSeconds * 1000);
      return true;
    },
  };
}
