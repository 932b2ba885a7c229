import { DEFAULT_JWKS_CACHE } from "../../config/shape.js";
import type { JwksCacheConfig } from "../../config/types.js";
import { AuthError, AuthErrorCodes } from "../../errors.js";
import { type Logger, silentLogger } from "../../log.js";
import { ALGORITHMS, type Algorithm } from "../algorithms.js";
import { importJwk } from "../import.js";
import { KeySet } from "../key-set.js";
import { type DocumentFailure, type DocumentSnapshot, RemoteDocument } from "../remote-document.js";
import type {
  HydrateOptions,
  Jwk,
  KeyEventCounter,
  KeyLookup,
  KeySource,
  VerificationKey,
} from "../types.js";
import { describeUrl, FetchJsonError, fetchJson } from "./fetch-json.js";

/**
 * A remote JWKS (`jwksUri`) as a {@link KeySource}, with the cache a production authorizer needs:
 *
 * - **Freshness**: fetched keys are used without the network for `maxAgeSeconds`.
 * - **Rotation**: a token whose `kid` is not in the set triggers a refetch, at most one per
 *   `cooldownSeconds`, so a storm of random `kid`s costs the identity provider one request.
 * - **Single flight**: concurrent callers that need a fetch share one request.
 * - **Fail fast**: after a failed fetch, nothing is retried before the cooldown passes; callers get
 *   an answer immediately instead of each waiting for a timeout.
 * - **Stale if error**: when refreshes fail, the last good keys keep being served until
 *   `maxAgeSeconds + staleIfErrorSeconds` after they were fetched; then the source fails closed
 *   with `ERR_JWKS_UNAVAILABLE`. Once an outage is known, retries run in the background while stale
 *   keys answer.
 * - **Seed**: a JWKS read from a file at cold start counts as fetched at construction, so a cold
 *   start needs no network.
 *
 * Keys are imported once per fetch (never per token); a key whose JWK did not change between two
 * fetches keeps its {@link VerificationKey} (and `id`), so caches of verified tokens survive routine
 * refreshes and are dropped only when their key leaves the set. Such a cache checks `freshUntil`
 * and `generation` on each hit and, once the keys are stale or changed, asks `getKey` again: a
 * cached token causes the same refresh as an uncached one.
 */

/** The JWKS cache defaults (README, "Configuration"). */
export const DEFAULT_JWKS_CACHE_CONFIG: Readonly<JwksCacheConfig> = DEFAULT_JWKS_CACHE;

/** Every asymmetric algorithm: what a remote key set may verify unless the issuer narrows it. */
const ASYMMETRIC_ALGORITHMS: readonly Algorithm[] = ALGORITHMS.filter((alg) => !alg.startsWith("HS"));

/** Individual `jwks_key_skipped` lines per fetch; a hostile document must not flood the logs. */
const MAX_SKIP_LOG_LINES = 20;

/** Options of {@link RemoteJwksSource}; defaults in brackets. */
export interface RemoteJwksOptions {
  /** Cache settings; missing ones take {@link DEFAULT_JWKS_CACHE_CONFIG}. */
  cache?: Partial<JwksCacheConfig>;
  /** The issuer's algorithm allowlist; keys are bound to it at import [every asymmetric algorithm]. */
  allowedAlgorithms?: readonly Algorithm[];
  /** A JWKS document used as the initial key set, as if fetched at construction [none]. */
  seed?: { keys: unknown[] } | undefined;
  /** Clock in milliseconds [Date.now]. */
  now?: () => number;
  /** A `fetch`-compatible HTTP client [none: `node:http` / `node:https`]. */
  fetch?: typeof fetch | undefined;
  /** Where fetch failures and skipped keys are reported [silent]. */
  logger?: Logger;
  /** Counts fetches, failures, stale keys served and unknown-kid refetches (metrics) [none]. */
  counter?: KeyEventCounter | undefined;
  /**
   * Resolves the URL to fetch, once per fetch (OIDC discovery); without it, the constructor's `uri`
   * is fetched. A rejection should be a {@link KeyFetchError}.
   */
  resolveUri?: () => Promise<string>;
}

/** Log events of a key source, for operators telling "identity provider down" from "bad token". */
export type KeyFetchEvent = "jwks_fetch_failed" | "discovery_failed";

/**
 * A failed key-set fetch: `reason` is a short phrase safe to log (never a response body), `event`
 * names the log line, `url` is where it failed.
 */
export class KeyFetchError extends Error {
  override readonly name = "KeyFetchError";
  readonly reason: string;
  readonly event: KeyFetchEvent;
  readonly url: string | undefined;
  constructor(reason: string, options: { event?: KeyFetchEvent; url?: string; cause?: unknown } = {}) {
    super(reason, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.event = options.event ?? "jwks_fetch_failed";
    this.url = options.url;
  }
}

/** One installed key set (the value of the cached document; its `fetchedAt` is the document's). */
interface KeySnapshot {
  readonly keySet: KeySet;
  readonly ids: ReadonlySet<string>;
  /** Imported keys by a fingerprint of their JWK, to reuse them when the next fetch repeats them. */
  readonly byFingerprint: ReadonlyMap<string, VerificationKey>;
}

type FetchTrigger = "initial" | "expired" | "unknown_kid" | "hydrate";

/**
 * The keys of one remote JWKS URL, cached. Construct one per URL and keep it at module scope (or
 * use {@link getSharedRemoteJwks}); `getKey` throws or rejects only with an `AuthError`:
 * `ERR_KEY_NOT_FOUND`, `ERR_JWT_ALGORITHM_NOT_ALLOWED` or `ERR_JWKS_UNAVAILABLE`.
 *
 * @example
 * const jwks = new RemoteJwksSource("https://id.example.com/.well-known/jwks.json", {
 *   cache: { maxAgeSeconds: 600, cooldownSeconds: 30 },
 *   allowedAlgorithms: ["RS256"],
 *   logger,
 * });
 * await jwks.hydrate(); // at cold start
 * const key = await jwks.getKey({ kid: header.kid, alg: "RS256" });
 */
export class RemoteJwksSource implements KeySource {
  /** The JWKS URL (with `resolveUri`: the URL that names this source in logs). */
  readonly uri: string;
  /** The URL for messages: origin and path only (a query may hold a credential). */
  private readonly where: string;
  /** The effective cache settings. */
  readonly settings: Readonly<JwksCacheConfig>;
  private readonly allowed: readonly Algorithm[];
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly counter: KeyEventCounter | undefined;
  private readonly fetchImpl: typeof fetch | undefined;
  private readonly resolveUri: (() => Promise<string>) | undefined;
  /** The cache itself: freshness, single flight, cooldown, stale if error (shared with other documents). */
  private readonly document: RemoteDocument<KeySnapshot>;
  /** The URL of the fetch under way or last done (discovery may change it). */
  private url: string;
  private generationCount = 0;
  /** `fetchedAt + maxAgeMs` of the current set, kept apart for the token cache's per-hit check. */
  private freshUntilMs = Number.NEGATIVE_INFINITY;

  constructor(uri: string, options: RemoteJwksOptions = {}) {
    this.uri = uri;
    this.url = uri;
    this.where = describeUrl(uri);
    this.settings = Object.freeze({ ...DEFAULT_JWKS_CACHE_CONFIG, ...definedOnly(options.cache) });
    this.allowed = options.allowedAlgorithms ?? ASYMMETRIC_ALGORITHMS;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    this.counter = options.counter;
    this.fetchImpl = options.fetch;
    this.resolveUri = options.resolveUri;
    const seed = options.seed === undefined ? undefined : this.seedSnapshot(options.seed);
    this.document = new RemoteDocument<KeySnapshot>({
      settings: this.settings,
      load: () => this.load(),
      parse: (doc) => this.parse(doc),
      where: this.where,
      now: this.now,
      logger: this.logger,
      ...(seed !== undefined ? { seed } : {}),
      reasonOf: (error) => keyFetchError(error, this.url).reason,
      onFetch: (trigger) => {
        if (this.counter === undefined) return;
        this.counter.count("fetch");
        if (trigger === "unknown_kid") this.counter.count("unknown_kid_refetch");
      },
      onInstalled: (snapshot, previous, trigger, recovered) =>
        this.installed(snapshot.value, snapshot.fetchedAt, previous?.value, trigger, recovered),
      onFailed: (failure, snapshot, trigger, quiet) => this.failed(failure, snapshot, trigger, quiet),
    });
    if (seed !== undefined) {
      this.freshUntilMs = this.document.snapshot!.fetchedAt + this.document.maxAgeMs;
      this.generationCount = 1;
    }
  }

  /**
   * The key for a token. Returns the key itself (no promise) when the keys are fresh and the `kid`
   * is known; otherwise a promise that settles after at most one shared fetch.
   */
  getKey(lookup: KeyLookup): VerificationKey | Promise<VerificationKey> {
    const doc = this.document;
    const t = this.now();
    const snap = doc.snapshot;
    const fresh = doc.isFresh(t);
    if (fresh) {
      // Ambiguity and algorithm mismatch in a fresh set are answers, not reasons to refetch.
      const key = snap!.value.keySet.find(lookup);
      if (key !== undefined) return key;
    }
    const stale = !fresh && doc.isUsable(t) ? findQuietly(snap!.value, lookup) : undefined;
    // During a known outage, a stale key answers at once and retries happen in the background.
    const serveStaleNow = stale !== undefined && doc.failure !== undefined;

    const inflight = doc.pending;
    if (inflight !== undefined) {
      if (serveStaleNow) return this.servedStale(stale);
      return inflight.then(() => this.lookupAfterFetch(lookup));
    }
    if (doc.mayFetch(t, fresh)) {
      const trigger: FetchTrigger = fresh ? "unknown_kid" : snap === undefined ? "initial" : "expired";
      const pending = doc.fetch(trigger);
      if (serveStaleNow) return this.servedStale(stale);
      return pending.then(() => this.lookupAfterFetch(lookup));
    }
    if (stale !== undefined) return this.servedStale(stale);
    return this.lookupAfterFetch(lookup);
  }

  /** Fetches the keys unless they are fresh (cold start), or waits for a fetch under way. Never throws. */
  async hydrate(options?: HydrateOptions): Promise<void> {
    try {
      await this.document.hydrate(options?.quiet === true);
    } catch {
      // A failure is already logged by the fetch; hydrate only warms the cache.
    }
  }

  /** True while `key` belongs to the current key set and that set is still usable (fresh or stale). */
  isCurrent(key: VerificationKey): boolean {
    const snap = this.document.snapshot;
    return snap !== undefined && this.document.isUsable(this.now()) && snap.value.ids.has(key.id);
  }

  /** Increases each time a fetch installs a key set that differs from the previous one. */
  get generation(): number {
    return this.generationCount;
  }

  /**
   * Until when (ms) the current key set is fresh: before then `getKey` answers a known `kid`
   * without the network; from then on it refreshes (or serves stale keys by the rules above).
   * `-Infinity` before the first successful fetch.
   */
  get freshUntil(): number {
    return this.freshUntilMs;
  }

  /** The current key set (possibly stale), or `undefined` before the first successful fetch. */
  get keySet(): KeySet | undefined {
    return this.document.snapshot?.value.keySet;
  }

  /** When the current key set was fetched or seeded (ms), or `undefined`. */
  get fetchedAt(): number | undefined {
    return this.document.snapshot?.fetchedAt;
  }

  /** Why the last fetch failed, while it is the most recent outcome; `undefined` after a success. */
  get lastFailure(): string | undefined {
    return this.document.lastFailure;
  }

  /** A key of a set past its freshness, answered while the endpoint fails (counted). */
  private servedStale(key: VerificationKey): VerificationKey {
    this.counter?.count("stale_served");
    return key;
  }

  /** The answer once no (further) fetch will happen for this call. */
  private lookupAfterFetch(lookup: KeyLookup): VerificationKey {
    const doc = this.document;
    const snap = doc.snapshot;
    const t = this.now();
    if (snap !== undefined && doc.isUsable(t)) {
      const key = snap.value.keySet.get(lookup);
      // Past its freshness, this set answers only because a refresh failed.
      return doc.isFresh(t) ? key : this.servedStale(key);
    }
    const failure = doc.failure;
    throw new AuthError(
      AuthErrorCodes.KEYS_UNAVAILABLE,
      failure === undefined
        ? `The issuer's signing keys are unavailable from ${this.where}.`
        : `The issuer's signing keys are unavailable from ${this.where} (${failure.reason}).`,
      { cause: failure?.error },
    );
  }

  /** One fetch of the key set document (after discovery, when there is one). */
  private async load(): Promise<Record<string, unknown>> {
    this.url = this.uri;
    if (this.resolveUri !== undefined) this.url = await this.resolveUri();
    const url = this.url;
    try {
      return await fetchJson(url, {
        timeoutMs: this.settings.timeoutMs,
        maxResponseBytes: this.settings.maxResponseBytes,
        fetch: this.fetchImpl,
      });
    } catch (error) {
      throw new KeyFetchError(error instanceof FetchJsonError ? error.reason : "fetch failed", {
        url,
        cause: error,
      });
    }
  }

  /** A fetched document as a key set: each JWK imported once, unchanged ones reused. */
  private parse(doc: Record<string, unknown>): KeySnapshot {
    if (!Array.isArray(doc.keys)) {
      throw new KeyFetchError('the document is not a JWKS (no "keys" array)', { url: this.url });
    }
    return snapshotOf(this.importKeys(doc.keys, describeUrl(this.url)));
  }

  private seedSnapshot(seed: { keys: unknown[] }): KeySnapshot | undefined {
    if (!Array.isArray(seed?.keys)) {
      this.logger.warn("jwks_seed_invalid", {
        uri: describeUrl(this.uri),
        reason: 'the seed is not a JWKS (no "keys" array)',
      });
      return undefined;
    }
    return snapshotOf(this.importKeys(seed.keys, `${describeUrl(this.uri)} (seed)`));
  }

  /** Imports each JWK once, reusing unchanged keys; unusable ones are skipped and logged, never fatal. */
  private importKeys(
    entries: readonly unknown[],
    where: string,
  ): {
    keys: VerificationKey[];
    byFingerprint: Map<string, VerificationKey>;
    refused: Map<string, string>;
  } {
    // Before the document exists (the seed, during construction) there is nothing to reuse.
    const previous = (this.document as RemoteDocument<KeySnapshot> | undefined)?.snapshot?.value
      .byFingerprint;
    const keys: VerificationKey[] = [];
    const byFingerprint = new Map<string, VerificationKey>();
    const refused = new Map<string, string>();
    let skipped = 0;
    const skip = (entry: unknown, reason: string, code?: string) => {
      skipped += 1;
      const kid = (entry as Jwk | null)?.kid;
      // A refused key (judged untrustworthy) is remembered by kid, so a token naming it gets a
      // 401 that says so, not "key not found"; the rest of the set stays usable.
      if (code !== undefined && typeof kid === "string" && refused.size < this.settings.maxKeys)
        refused.set(kid, reason);
      if (skipped > MAX_SKIP_LOG_LINES) return;
      this.logger.warn("jwks_key_skipped", {
        uri: where,
        kid: typeof kid === "string" ? kid.slice(0, 256) : undefined,
        reason,
        ...(code !== undefined ? { code } : {}),
      });
    };
    for (const entry of entries) {
      if (keys.length >= this.settings.maxKeys) {
        skip(entry, `the key set has more than ${this.settings.maxKeys} usable keys (maxKeys)`);
        continue;
      }
      const print = fingerprint(entry);
      const reused = print === undefined ? undefined : previous?.get(print);
      if (reused !== undefined) {
        keys.push(reused);
        byFingerprint.set(print!, reused);
        continue;
      }
      // Remote sets never carry `oct` keys: a secret published at a URL is no secret.
      const result = importJwk(entry as Jwk, this.allowed, { allowSymmetric: false });
      if (!result.ok) {
        skip(entry, result.reason, result.refused);
        continue;
      }
      keys.push(result.key);
      if (print !== undefined) byFingerprint.set(print, result.key);
    }
    if (skipped > MAX_SKIP_LOG_LINES) {
      this.logger.warn("jwks_keys_skipped", { uri: where, skipped, logged: MAX_SKIP_LOG_LINES });
    }
    return { keys, byFingerprint, refused };
  }

  /** A fetch installed `value`: the generation, the freshness mark, and the log line. */
  private installed(
    value: KeySnapshot,
    fetchedAt: number,
    previous: KeySnapshot | undefined,
    trigger: string,
    recovered: boolean,
  ): void {
    const ids = value.ids;
    const changed =
      previous === undefined ||
      previous.ids.size !== ids.size ||
      [...ids].some((id) => !previous.ids.has(id));
    if (changed) this.generationCount += 1;
    this.freshUntilMs = fetchedAt + this.document.maxAgeMs;
    const fields = {
      uri: describeUrl(this.url),
      trigger,
      keys: ids.size,
      changed,
      generation: this.generationCount,
      recovered,
    };
    if (ids.size === 0) this.logger.warn("jwks_fetched", fields);
    else if (changed || recovered) this.logger.info("jwks_fetched", fields);
    else this.logger.debug("jwks_fetched", fields);
  }

  private failed(
    failure: DocumentFailure,
    snap: DocumentSnapshot<KeySnapshot> | undefined,
    trigger: string,
    quiet: boolean,
  ): void {
    const error = keyFetchError(failure.error, this.url);
    const t = failure.at;
    if (!quiet) this.counter?.count("fetch_failed");
    const usableUntil = snap === undefined ? undefined : snap.fetchedAt + this.document.usableMs;
    const servingStale = usableUntil !== undefined && t < usableUntil;
    // Error level when tokens now fail closed: that is the line to alert on.
    // A quiet warm-up (one of several issuer forms, see `HydrateOptions`) is logged by its caller.
    this.logger[quiet ? "debug" : servingStale ? "warn" : "error"](error.event, {
      uri: describeUrl(error.url ?? this.url),
      reason: error.reason,
      trigger,
      servingStale,
      keysAgeSeconds: snap === undefined ? undefined : Math.round((t - snap.fetchedAt) / 1000),
      staleUntil: servingStale ? new Date(usableUntil!).toISOString() : undefined,
      retryAfterSeconds: this.settings.cooldownSeconds,
    });
  }
}

/** A key set's snapshot from its imported keys. */
function snapshotOf(imported: {
  keys: VerificationKey[];
  byFingerprint: Map<string, VerificationKey>;
  refused: Map<string, string>;
}): KeySnapshot {
  return {
    keySet: new KeySet(imported.keys, { refused: imported.refused }),
    ids: new Set(imported.keys.map((k) => k.id)),
    byFingerprint: imported.byFingerprint,
  };
}

/** Any failure of a key-set fetch as a {@link KeyFetchError} (its `event` names the log line). */
function keyFetchError(error: unknown, url: string): KeyFetchError {
  return error instanceof KeyFetchError
    ? error
    : new KeyFetchError(`unexpected ${(error as Error)?.name ?? "error"}`, { url, cause: error });
}

/** Looks a key up in a stale set without throwing: any doubt there is settled by a refetch. */
function findQuietly(snap: KeySnapshot, lookup: KeyLookup): VerificationKey | undefined {
  try {
    return snap.keySet.find(lookup);
  } catch {
    return undefined;
  }
}

/** The JWK members that decide its import; equal fingerprints import to equal keys. */
function fingerprint(entry: unknown): string | undefined {
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return undefined;
  const jwk = entry as Jwk;
  return JSON.stringify([
    jwk.kty,
    jwk.kid,
    jwk.alg,
    jwk.use,
    jwk.key_ops,
    jwk.crv,
    jwk.n,
    jwk.e,
    jwk.x,
    jwk.y,
    jwk.k,
  ]);
}

function definedOnly(cache: Partial<JwksCacheConfig> | undefined): Partial<JwksCacheConfig> {
  const out: Partial<JwksCacheConfig> = {};
  if (cache === undefined) return out;
  for (const [name, value] of Object.entries(cache)) {
    if (typeof value === "number") (out as Record<string, number>)[name] = value;
  }
  return out;
}

// --- Process-wide registry (warm Lambda reuse) -------------------------------------------------

/** Most distinct remote key sources kept by the registry; the oldest is forgotten first. */
const MAX_SHARED_SOURCES = 64;
const sharedSources = new Map<string, KeySource>();
const fetchIds = new WeakMap<object, number>();
let nextFetchId = 0;

/**
 * The registry key of a source: its URL, effective settings, allowlist and HTTP client. The clock
 * and logger are not part of it: the first caller's are used.
 */
export function sharedSourceKey(kind: string, uri: string, options: RemoteJwksOptions): string {
  const settings = { ...DEFAULT_JWKS_CACHE_CONFIG, ...definedOnly(options.cache) };
  const algorithms = [...(options.allowedAlgorithms ?? ASYMMETRIC_ALGORITHMS)].sort();
  let fetchId = 0;
  if (options.fetch !== undefined) {
    let id = fetchIds.get(options.fetch);
    if (id === undefined) {
      nextFetchId += 1;
      id = nextFetchId;
      fetchIds.set(options.fetch, id);
    }
    fetchId = id;
  }
  return JSON.stringify([kind, uri, settings, algorithms, fetchId]);
}

/** The registered source for `key`, created by `create` the first time. */
export function getSharedSource<T extends KeySource>(key: string, create: () => T): T {
  const existing = sharedSources.get(key);
  if (existing !== undefined) return existing as T;
  const created = create();
  if (sharedSources.size >= MAX_SHARED_SOURCES) {
    const oldest = sharedSources.keys().next().value;
    if (oldest !== undefined) sharedSources.delete(oldest);
  }
  sharedSources.set(key, created);
  return created;
}

/**
 * The process-wide {@link RemoteJwksSource} for `uri` and these settings: verifiers created one
 * after another in a warm Lambda share one cache instead of each fetching the keys again. The
 * first caller's clock, logger and seed are used. Tests create their own instances instead.
 *
 * @example
 * const jwks = getSharedRemoteJwks("https://id.example.com/.well-known/jwks.json", { cache: { maxAgeSeconds: 600 } });
 */
export function getSharedRemoteJwks(uri: string, options: RemoteJwksOptions = {}): RemoteJwksSource {
  return getSharedSource(sharedSourceKey("jwks", uri, options), () => new RemoteJwksSource(uri, options));
}

/** Forgets every shared source (tests; a fresh process has none). */
export function clearSharedRemoteJwks(): void {
  sharedSources.clear();
}
