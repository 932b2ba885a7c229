import { type Logger, silentLogger } from "../log.js";
import type { JsonObject } from "../util/json.js";
import { FetchJsonError } from "./jwks/fetch-json.js";

/**
 * A JSON document fetched and cached by the rules of the remote JWKS cache
 * (`jwks/remote-jwks.ts`), for documents other than key sets (the revocation list):
 *
 * - **Freshness**: a fetched document is used without the network for `maxAgeSeconds`.
 * - **Single flight**: concurrent callers that need a fetch share one request.
 * - **Fail fast**: after a failed fetch, nothing is retried before `cooldownSeconds` pass.
 * - **Stale if error**: while refreshes fail, the last good document keeps being served until
 *   `maxAgeSeconds + staleIfErrorSeconds` after it was fetched; once an outage is known, the stale
 *   document answers at once and retries run in the background.
 *
 * The fetch itself (`load`) is the caller's: `fetchJson` with its deadline and size cap, or a file.
 * `parse` turns the JSON into the cached value once per fetch (never per call); a document it
 * refuses counts as a failed fetch.
 */

/** The cache settings of a {@link RemoteDocument}, in seconds (all positive). */
export interface RemoteDocumentSettings {
  readonly maxAgeSeconds: number;
  readonly cooldownSeconds: number;
  readonly staleIfErrorSeconds: number;
}

export interface RemoteDocumentOptions<T> {
  readonly settings: RemoteDocumentSettings;
  /** Fetches the document; rejects with a {@link FetchJsonError} or {@link DocumentError}. */
  readonly load: () => Promise<JsonObject>;
  /** The cached value of a fetched document; throws a {@link DocumentError} to refuse it. */
  readonly parse: (doc: JsonObject) => T;
  /** Where the document comes from, safe to log (origin and path, or a file name). */
  readonly where: string;
  /** Log event names: a fetch that installed a document, and one that failed. */
  readonly events: { readonly fetched: string; readonly failed: string };
  /** Clock in milliseconds [Date.now]. */
  readonly now?: () => number;
  readonly logger?: Logger;
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

type Trigger = "initial" | "expired" | "hydrate";

/**
 * One remote document, cached. `get` answers the value itself (no promise) while it is fresh, so
 * a call costs no more than a property read; otherwise a promise that settles after at most one
 * shared fetch.
 *
 * @example
 * const doc = new RemoteDocument({ settings, load: () => fetchJson(url), parse, where, events });
 * const value = doc.get(); // T | Promise<T>; throws DocumentUnavailableError
 */
export class RemoteDocument<T> {
  private readonly options: RemoteDocumentOptions<T>;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly maxAgeMs: number;
  private readonly usableMs: number;
  private readonly cooldownMs: number;
  private snapshot: { readonly value: T; readonly fetchedAt: number } | undefined;
  private inflight: Promise<void> | undefined;
  /** Set while the last fetch failed; cleared by the next success. */
  private failure: { readonly at: number; readonly reason: string; readonly error: unknown } | undefined;
  /** Fetches started, for tests and operators (single flight: one per shared refresh). */
  fetches = 0;

  constructor(options: RemoteDocumentOptions<T>) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    const s = options.settings;
    this.maxAgeMs = s.maxAgeSeconds * 1000;
    this.usableMs = (s.maxAgeSeconds + s.staleIfErrorSeconds) * 1000;
    this.cooldownMs = s.cooldownSeconds * 1000;
  }

  /** The document's value: at once while fresh, else after at most one shared fetch. */
  get(): T | Promise<T> {
    const t = this.now();
    const snap = this.snapshot;
    if (snap !== undefined && t < snap.fetchedAt + this.maxAgeMs) return snap.value;
    const usable = snap !== undefined && t < snap.fetchedAt + this.usableMs;
    // During a known outage, a stale document answers at once and retries happen in the background.
    const serveStaleNow = usable && this.failure !== undefined;
    if (this.inflight !== undefined) {
      if (serveStaleNow) return snap.value;
      return this.inflight.then(() => this.afterFetch());
    }
    if (this.mayFetch(t)) {
      const pending = this.startFetch(snap === undefined ? "initial" : "expired");
      if (serveStaleNow) return snap.value;
      return pending.then(() => this.afterFetch());
    }
    return this.afterFetch();
  }

  /** Fetches the document unless it is fresh (cold start), or waits for a fetch under way. Never rejects. */
  async hydrate(): Promise<void> {
    if (this.inflight !== undefined) return this.inflight;
    const t = this.now();
    const snap = this.snapshot;
    if (snap !== undefined && t < snap.fetchedAt + this.maxAgeMs) return;
    if (this.mayFetch(t)) await this.startFetch("hydrate");
  }

  /** Why the last fetch failed, while it is the most recent outcome; `undefined` after a success. */
  get lastFailure(): string | undefined {
    return this.failure?.reason;
  }

  private mayFetch(t: number): boolean {
    return this.failure === undefined || t >= this.failure.at + this.cooldownMs;
  }

  /** The answer once no (further) fetch will happen for this call. */
  private afterFetch(): T {
    const snap = this.snapshot;
    if (snap !== undefined && this.now() < snap.fetchedAt + this.usableMs) return snap.value;
    throw new DocumentUnavailableError(this.options.where, this.failure?.reason ?? "not fetched yet", {
      cause: this.failure?.error,
    });
  }

  /** Starts the one fetch every caller shares; the promise never rejects. */
  private startFetch(trigger: Trigger): Promise<void> {
    this.fetches += 1;
    const run = this.refresh(trigger)
      .catch(() => {
        // Only a throwing logger can get here; the outcome itself is already recorded.
      })
      .finally(() => {
        this.inflight = undefined;
      });
    this.inflight = run;
    return run;
  }

  private async refresh(trigger: Trigger): Promise<void> {
    let value: T;
    try {
      value = this.options.parse(await this.options.load());
    } catch (error) {
      this.recordFailure(error, trigger);
      return;
    }
    const recovered = this.failure !== undefined;
    this.failure = undefined;
    this.snapshot = { value, fetchedAt: this.now() };
    this.logger[recovered ? "info" : "debug"](this.options.events.fetched, {
      uri: this.options.where,
      trigger,
      recovered,
    });
  }

  private recordFailure(error: unknown, trigger: Trigger): void {
    const reason =
      error instanceof FetchJsonError || error instanceof DocumentError
        ? error.reason
        : `unexpected ${(error as Error)?.name ?? "error"}`;
    const t = this.now();
    this.failure = { at: t, reason, error };
    const snap = this.snapshot;
    const servingStale = snap !== undefined && t < snap.fetchedAt + this.usableMs;
    // Error level when calls now fail (or are let through, by policy) without a document.
    this.logger[servingStale ? "warn" : "error"](this.options.events.failed, {
      uri: this.options.where,
      reason,
      trigger,
      servingStale,
      ageSeconds: snap === undefined ? undefined : Math.round((t - snap.fetchedAt) / 1000),
      retryAfterSeconds: this.options.settings.cooldownSeconds,
    });
  }
}
