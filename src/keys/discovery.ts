import { isAllowedKeyUrl } from "../config/key-url.js";
import type { JwksCacheConfig } from "../config/types.js";
import { type Logger, silentLogger } from "../log.js";
import { describeUrl, FetchJsonError, fetchJson } from "./jwks/fetch-json.js";
import {
  getSharedSource,
  KeyFetchError,
  type RemoteJwksOptions,
  RemoteJwksSource,
  sharedSourceKey,
} from "./jwks/remote-jwks.js";
import type { HydrateOptions, KeyLookup, KeySource, VerificationKey } from "./types.js";

/**
 * OIDC discovery (OpenID Connect Discovery 1.0 §4) as a {@link KeySource}: the issuer's
 * `/.well-known/openid-configuration` names its `jwks_uri`, whose keys are then cached exactly like
 * a configured `jwksUri` (freshness, cooldown, single flight, stale if error, seed).
 *
 * The discovery document is fetched as part of a key-set fetch, so it inherits that fetch's single
 * flight and cooldown; it is cached for `maxAgeSeconds`, and when a later discovery fails the last
 * discovered `jwks_uri` keeps being used.
 */

export { isAllowedKeyUrl };

/** The discovery document URL of `issuer`: trailing slashes removed, then `/.well-known/openid-configuration`. */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`;
}

/** Options of {@link DiscoveryKeySource}: those of a remote JWKS, plus registry sharing. */
export interface DiscoveryKeySourceOptions extends Omit<RemoteJwksOptions, "resolveUri"> {
  /** Share the key cache with other verifiers of this process for the same issuer and settings [false]. */
  shared?: boolean;
}

/**
 * The keys of an issuer found through OIDC discovery. `getKey` throws or rejects only with an
 * `AuthError`; a discovery that fails with no usable keys cached is `ERR_JWKS_UNAVAILABLE`, logged
 * as `discovery_failed`.
 *
 * @example
 * const keys = new DiscoveryKeySource("https://id.example.com/", { allowedAlgorithms: ["RS256"], logger });
 * await keys.hydrate();
 */
export class DiscoveryKeySource implements KeySource {
  /** The configured issuer, which the discovery document must repeat exactly. */
  readonly issuer: string;
  /** Where the discovery document is fetched. */
  readonly discoveryUrl: string;
  /** The cache of the discovered key set. */
  readonly jwks: RemoteJwksSource;

  constructor(issuer: string, options: DiscoveryKeySourceOptions = {}) {
    this.issuer = issuer;
    this.discoveryUrl = discoveryUrl(issuer);
    const { shared, ...remoteOptions } = options;
    const create = () => {
      let resolver: JwksUriResolver | undefined;
      const remote = new RemoteJwksSource(this.discoveryUrl, {
        ...remoteOptions,
        resolveUri: () => resolver!.resolve(),
      });
      resolver = new JwksUriResolver(issuer, this.discoveryUrl, remote.settings, remoteOptions);
      return remote;
    };
    this.jwks = shared
      ? getSharedSource(sharedSourceKey("discovery", issuer, remoteOptions), create)
      : create();
  }

  getKey(lookup: KeyLookup): VerificationKey | Promise<VerificationKey> {
    return this.jwks.getKey(lookup);
  }

  hydrate(options?: HydrateOptions): Promise<void> {
    return this.jwks.hydrate(options);
  }

  isCurrent(key: VerificationKey): boolean {
    return this.jwks.isCurrent(key);
  }

  /** Until when (ms) the discovered key set is fresh ({@link RemoteJwksSource.freshUntil}). */
  get freshUntil(): number {
    return this.jwks.freshUntil;
  }

  /** The discovered key set's generation ({@link RemoteJwksSource.generation}). */
  get generation(): number {
    return this.jwks.generation;
  }
}

/** Fetches and checks the discovery document; remembers its `jwks_uri` for `maxAgeSeconds`. */
class JwksUriResolver {
  private jwksUri: string | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private failure: { at: number; error: KeyFetchError } | undefined;
  private readonly now: () => number;
  private readonly logger: Logger;

  constructor(
    private readonly issuer: string,
    private readonly url: string,
    /** The key set's effective settings: discovery shares its timeout, size cap, max age and cooldown. */
    private readonly settings: Readonly<JwksCacheConfig>,
    private readonly options: Omit<RemoteJwksOptions, "resolveUri">,
  ) {
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
  }

  async resolve(): Promise<string> {
    const t = this.now();
    if (this.jwksUri !== undefined && t < this.fetchedAt + this.settings.maxAgeSeconds * 1000)
      return this.jwksUri;
    // At most one discovery attempt per cooldown after a failure, whoever asks.
    if (this.failure !== undefined && t < this.failure.at + this.settings.cooldownSeconds * 1000) {
      if (this.jwksUri !== undefined) return this.jwksUri;
      throw this.failure.error;
    }
    try {
      const jwksUri = await this.discover();
      this.jwksUri = jwksUri;
      this.fetchedAt = this.now();
      this.failure = undefined;
      return jwksUri;
    } catch (error) {
      const failure =
        error instanceof KeyFetchError
          ? error
          : new KeyFetchError("unexpected error", { event: "discovery_failed", url: this.url, cause: error });
      this.failure = { at: this.now(), error: failure };
      if (this.jwksUri === undefined) throw failure; // logged once, by the key set, with its stale state
      // The issuer's keys usually stay where they were; a flaky discovery endpoint must not take them down.
      this.logger.warn("discovery_failed", {
        uri: describeUrl(this.url),
        issuer: this.issuer,
        reason: failure.reason,
        usingPreviousJwksUri: true,
      });
      return this.jwksUri;
    }
  }

  private async discover(): Promise<string> {
    const fail = (reason: string, cause?: unknown) =>
      new KeyFetchError(reason, { event: "discovery_failed", url: this.url, cause });
    let doc: Record<string, unknown>;
    try {
      doc = await fetchJson(this.url, {
        timeoutMs: this.settings.timeoutMs,
        maxResponseBytes: this.settings.maxResponseBytes,
        fetch: this.options.fetch,
      });
    } catch (error) {
      throw fail(error instanceof FetchJsonError ? error.reason : "fetch failed", error);
    }
    // OIDC Discovery §4.3: the document must name the very issuer it was fetched for, or anyone
    // able to serve that path could vouch for keys of another issuer.
    if (doc.issuer !== this.issuer) {
      const nearMiss =
        typeof doc.issuer === "string" && doc.issuer.replace(/\/+$/, "") === this.issuer.replace(/\/+$/, "");
      throw fail(nearMiss ? "issuer mismatch (differs only by a trailing slash)" : "issuer mismatch");
    }
    const jwksUri = doc.jwks_uri;
    if (typeof jwksUri !== "string" || jwksUri.length === 0) throw fail("jwks_uri missing");
    if (!isAllowedKeyUrl(jwksUri)) throw fail("jwks_uri refused (https required; http only on loopback)");
    return jwksUri;
  }
}
