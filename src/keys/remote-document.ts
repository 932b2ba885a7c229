import { type Logger, silentLogger } from "../log.js";
import type { JsonObject } from "../util/json.js";
import { FetchJsonError } from "./jwks/fetch-json.js";

/**
 * A JSON document fetched and cached by one set of rules, shared by the remote JWKS
 * (`jwks/remote-jwks.ts`, which adds key lookup and unknown-`kid` refetches on top) and the
 * revocation list (`token/revocation.ts`):
 *
 * - **Freshness**: a fetched document is used without the network for `maxAgeSeconds`.
 * - **Single flight**: concurrent callers that need a fetch share one request.
 * - **Fail fast**: after a failed fetch, nothing is retried before `cooldownSeconds` pass; callers
 *   get an answer at once instead of each waiting for a timeout.
 * - **Stale if error**: while refreshes fail, the last good document keeps being served until
 *   `maxAgeSeconds + staleIfErrorSeconds` after it was fetched; once an outage is known, the stale
 *   document answers at once and retries run in the background.
 * - **Seed**: a document known at construction (a file read at cold start) counts as fetched then.
 *
 * The fetch itself (`load`) is the owner's: `fetchJson` with its deadline, size cap and no
 * redirects, or a file. `parse` turns the JSON into the cached value once per fetch (never per
 * call); a document it refuses counts as a failed fetch.
 */

/** The cache settings of a {@link RemoteDocument}, in seconds (all positive). */
export interface RemoteDocumentSettings {
  readonly maxAgeSeconds: number;
  readonly cooldownSeconds: number;
  readonly staleIfErrorSeconds: number;
}

/** A failed fetch as the document remembers it. */
export interface DocumentFailure {
  readonly at: number;
  /** A short phrase safe to log (never a response body). */
  readonly reason: string;
  readonly error: unknown;
}

/** An installed document. */
export interface DocumentSnapshot<T> {
  readonly value: T;
  /** When it was fetched (or seeded), in ms. */
  readonly fetchedAt: number;
}

export interface RemoteDocumentOptions<T> {
  readonly settings: RemoteDocumentSettings;
  /** Fetches the document; a rejection is a failed fetch. */
  readonly load: () => Promise<JsonObject>;
  /** The cached value of a fetched document (`previous`: the value it replaces); throws to refuse it. */
  readonly parse: (doc: JsonObject, previous: T | undefined) => T;
  /** Where the document comes from, safe to log (origin and path, or a file name). */
  readonly where: string;
  /** Log event names of the default logging: a fetch that installed a document, and one that failed. */
  readonly events?: { readonly fetched: string; readonly failed: string };
  /** Clock in milliseconds [Date.now]. */
  readonly now?: () => number;
  readonly logger?: Logger;
  /** A value known at construction, as if fetched then [none]. */
  readonly seed?: T;
  /** The reason of a failed fetch's error [its `reason` member, else "unexpected <name>"]. */
  readonly reasonOf?: (error: unknown) => string;
  /** Called when a fetch starts (metrics). */
  readonly onFetch?: (trigger: string) => void;
  /** Reports an installed document instead of the default log line. */
  readonly onInstalled?: (
    snapshot: DocumentSnapshot<T>,
    previous: DocumentSnapshot<T> | undefined,
    trigger: string,
    recovered: boolean,
  ) => void;
  /** Reports a failed fetch instead of the default log line (`quiet`: a warm-up its caller reports). */
  readonly onFailed?: (
    failure: DocumentFailure,
    snapshot: DocumentSnapshot<T> | undefined,
    trigger: string,
    quiet: boolean,
  ) => void;
}

/** A document that could not be fetched or was refused; `reason` is a short phrase safe to log. */
export class DocumentError extends Error {
  override readonly name = "DocumentError";
  readonly reason: string;
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.reason = reason;
  }
}

/** Thrown (or rejected) by {@link RemoteDocument.get} when no usable document is at hand. */
export class DocumentUnavailableError extends Error {
  override readonly name = "DocumentUnavailableError";
  /** Why the last fetch failed (safe to log), or "not fetched yet". */
  readonly reason: string;
  constructor(where: string, reason: string, options?: { cause?: unknown }) {
    super(`${where} is unavailable (${reason})`, options);
    this.reason = reason;
  }
}

/** The reason of a failed fetch: `FetchJsonError`, `DocumentError` and key-fetch errors carry one. */
function defaultReason(error: unknown): string {
  if (error instanceof FetchJsonError || error instanceof DocumentError) return error.reason;
  const reason = (error as { reason?: unknown } | null)?.reason;
  return typeof reason === "string" ? reason : `unexpected ${(error as Error)?.name ?? "error"}`;
}

/**
 * One remote document, cached. `get` answers the value itself (no promise) while it is fresh, so
 * a call costs no more than a property read; otherwise a promise that settles after at most one
 * shared fetch. Owners with lookups of their own (a key set's `kid`) use the parts: `snapshot`,
 * `isFresh`, `isUsable`, `failure`, `pending`, `mayFetch`, `fetch`.
 *
 * @example
 * const doc = new RemoteDocument({ settings, load: () => fetchJson(url), parse, where });
 * const value = doc.get(); // T | Promise<T>; throws DocumentUnavailableError
 */
export class RemoteDocument<T> {
  private readonly options: RemoteDocumentOptions<T>;
  private readonly now: () => number;
  private readonly logger: Logger;
  readonly maxAgeMs: number;
  readonly usableMs: number;
  readonly cooldownMs: number;
  private current: DocumentSnapshot<T> | undefined;
  private inflight: Promise<void> | undefined;
  private lastFetchStartedAt = Number.NEGATIVE_INFINITY;
  /** Set while the last fetch failed; cleared by the next success. */
  private lastFailed: DocumentFailure | undefined;
  /** Fetches started (single flight: one per shared refresh). */
  fetches = 0;

  constructor(options: RemoteDocumentOptions<T>) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    const s = options.settings;
    this.maxAgeMs = s.maxAgeSeconds * 1000;
    this.usableMs = (s.maxAgeSeconds + s.staleIfErrorSeconds) * 1000;
    this.cooldownMs = s.cooldownSeconds * 1000;
    if (options.seed !== undefined) this.current = { value: options.seed, fetchedAt: this.now() };
  }

  /** The document's value: at once while fresh, else after at most one shared fetch. */
  get(): T | Promise<T> {
    const t = this.now();
    const snap = this.current;
    if (snap !== undefined && t < snap.fetchedAt + this.maxAgeMs) return snap.value;
    // During a known outage, a stale document answers at once and retries happen in the background.
    const serveStaleNow = this.lastFailed !== undefined && this.isUsable(t);
    if (this.inflight !== undefined) {
      if (serveStaleNow) return snap!.value;
      return this.inflight.then(() => this.afterFetch());
    }
    if (this.mayFetch(t, false)) {
      const pending = this.fetch(snap === undefined ? "initial" : "expired");
      if (serveStaleNow) return snap!.value;
      return pending.then(() => this.afterFetch());
    }
    return this.afterFetch();
  }

  /** Fetches the document unless it is fresh (cold start), or waits for a fetch under way. Never rejects. */
  async hydrate(quiet = false): Promise<void> {
    if (this.inflight !== undefined) return this.inflight;
    const t = this.now();
    if (this.isFresh(t) || !this.mayFetch(t, false)) return;
    await this.fetch("hydrate", quiet);
  }

  /** The installed document (possibly stale), or `undefined` before the first success. */
  get snapshot(): DocumentSnapshot<T> | undefined {
    return this.current;
  }

  /** The last fetch's failure, while it is the most recent outcome; `undefined` after a success. */
  get failure(): DocumentFailure | undefined {
    return this.lastFailed;
  }

  /** Why the last fetch failed, while it is the most recent outcome. */
  get lastFailure(): string | undefined {
    return this.lastFailed?.reason;
  }

  /** The fetch under way, if any (it never rejects). */
  get pending(): Promise<void> | undefined {
    return this.inflight;
  }

  isFresh(t: number): boolean {
    return this.current !== undefined && t < this.current.fetchedAt + this.maxAgeMs;
  }

  /** Fresh, or stale within `staleIfErrorSeconds`. */
  isUsable(t: number): boolean {
    return this.current !== undefined && t < this.current.fetchedAt + this.usableMs;
  }

  /**
   * Whether a fetch may start now: never within the cooldown after a failure, nor, for a refetch
   * of a fresh document (`sinceLastStart`: an unknown `kid`), within the cooldown after any fetch.
   */
  mayFetch(t: number, sinceLastStart: boolean): boolean {
    if (this.lastFailed !== undefined && t < this.lastFailed.at + this.cooldownMs) return false;
    if (sinceLastStart && t < this.lastFetchStartedAt + this.cooldownMs) return false;
    return true;
  }

  /** Starts the one fetch every caller shares; the promise never rejects. */
  fetch(trigger: string, quiet = false): Promise<void> {
    this.lastFetchStartedAt = this.now();
    this.fetches += 1;
    this.options.onFetch?.(trigger);
    const run = this.refresh(trigger, quiet)
      .catch(() => {
        // Only a throwing logger can get here; the outcome itself is already recorded.
      })
      .finally(() => {
        this.inflight = undefined;
      });
    this.inflight = run;
    return run;
  }

  /** The answer once no (further) fetch will happen for this call. */
  private afterFetch(): T {
    const snap = this.current;
    if (snap !== undefined && this.now() < snap.fetchedAt + this.usableMs) return snap.value;
    throw new DocumentUnavailableError(this.options.where, this.lastFailed?.reason ?? "not fetched yet", {
      cause: this.lastFailed?.error,
    });
  }

  private async refresh(trigger: string, quiet: boolean): Promise<void> {
    const previous = this.current;
    let value: T;
    try {
      value = this.options.parse(await this.options.load(), previous?.value);
    } catch (error) {
      this.recordFailure(error, trigger, quiet);
      return;
    }
    const recovered = this.lastFailed !== undefined;
    this.lastFailed = undefined;
    const snapshot = { value, fetchedAt: this.now() };
    this.current = snapshot;
    if (this.options.onInstalled !== undefined) {
      this.options.onInstalled(snapshot, previous, trigger, recovered);
      return;
    }
    this.logger[recovered ? "info" : "debug"](this.options.events?.fetched ?? "document_fetched", {
      uri: this.options.where,
      trigger,
      recovered,
    });
  }

  private recordFailure(error: unknown, trigger: string, quiet: boolean): void {
    const failure: DocumentFailure = {
      at: this.now(),
      reason: (this.options.reasonOf ?? defaultReason)(error),
      error,
    };
    this.lastFailed = failure;
    const snap = this.current;
    if (this.options.onFailed !== undefined) {
      this.options.onFailed(failure, snap, trigger, quiet);
      return;
    }
    const servingStale = this.isUsable(failure.at);
    // Error level when calls now fail (or are let through, by policy) without a document.
    this.logger[quiet ? "debug" : servingStale ? "warn" : "error"](
      this.options.events?.failed ?? "document_fetch_failed",
      {
        uri: this.options.where,
        reason: failure.reason,
        trigger,
        servingStale,
        ageSeconds: snap === undefined ? undefined : Math.round((failure.at - snap.fetchedAt) / 1000),
        retryAfterSeconds: this.options.settings.cooldownSeconds,
      },
    );
  }
}
