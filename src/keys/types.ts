import type { KeyObject } from "node:crypto";
import type { Algorithm } from "./algorithms.js";

/** A key ready to verify signatures: imported once, bound to the algorithms it may verify. */
export interface VerificationKey {
  /** The JWK `kid`, when the key has one. */
  readonly kid: string | undefined;
  /** A secret (HMAC) or public key, imported once at construction or fetch time. */
  readonly key: KeyObject;
  /**
   * The algorithms this key may verify: its own `alg` when it was pinned by one (RFC 8725 §3.1),
   * otherwise every algorithm its type allows, already intersected with the issuer's allowlist.
   */
  readonly algorithms: ReadonlySet<Algorithm>;
  /**
   * Identifies this key instance; it changes when a JWKS refresh replaces the key, so that caches
   * of verified tokens can tell a token verified by a key that is gone.
   */
  readonly id: string;
  /**
   * Further shared secrets trusted with this one (an issuer's `secret` list: rotation), each with its
   * own algorithms. A signature is valid when it verifies under any of them; every one is tried.
   */
  readonly alternates?: readonly VerificationKey[];
}

/**
 * What a remote key set reports for metrics: a fetch started (`fetch`), one failed (`fetch_failed`;
 * a quiet warm-up is not counted), a stale key answered during an outage (`stale_served`), a fetch
 * started because a token named an unknown `kid` (`unknown_kid_refetch`).
 */
export type KeyEvent = "fetch" | "fetch_failed" | "stale_served" | "unknown_kid_refetch";

/** Counts {@link KeyEvent}s; injected by the composition root, so this layer knows no metrics code. */
export interface KeyEventCounter {
  count(event: KeyEvent): void;
}

/** Options of {@link KeySource.hydrate}. */
export interface HydrateOptions {
  /**
   * A failed fetch is logged at debug level only: the source is one of several alternatives (the
   * issuer forms of one identity provider, of which a deployment uses one), and the caller logs
   * an error when none of them could be warmed.
   */
  readonly quiet?: boolean;
}

/** What a key source needs from a token to find its key. */
export interface KeyLookup {
  readonly kid: string | undefined;
  readonly alg: Algorithm;
}

/**
 * Where an issuer's keys come from: a shared secret, a PEM public key, an inline JWKS, a remote
 * JWKS URL, or OIDC discovery. `getKey` throws an `AuthError` (`ERR_KEY_NOT_FOUND`,
 * `ERR_JWT_ALGORITHM_NOT_ALLOWED` or `ERR_JWKS_UNAVAILABLE`), never anything else.
 */
export interface KeySource {
  getKey(lookup: KeyLookup): VerificationKey | Promise<VerificationKey>;
  /** Fetches what can be fetched ahead of the first request (cold start). Never throws. */
  hydrate(options?: HydrateOptions): Promise<void>;
  /**
   * False once `key` is no longer in this source's current key set (a JWKS rotation removed it),
   * or that set is past its stale window. Sources whose keys never change omit it.
   */
  isCurrent?(key: VerificationKey): boolean;
  /**
   * Sources whose keys change (remote JWKS, discovery): until when (ms) the current key set is
   * fresh, i.e. `getKey` answers from it without the network. A cache of verified tokens serves a
   * hit without asking the source only before then and while {@link generation} is unchanged;
   * otherwise it asks `getKey` again, exactly as an uncached verification would (refresh, cooldown,
   * single flight, stale if error). Sources whose keys never change omit it (always fresh).
   */
  readonly freshUntil?: number;
  /**
   * Changes whenever the current key set gains or loses a key; a refresh that brings back the same
   * keys keeps it. Present with {@link freshUntil}.
   */
  readonly generation?: number;
}

/** A JSON Web Key as it arrives: untrusted, every member optional. */
export interface Jwk {
  kty?: unknown;
  kid?: unknown;
  alg?: unknown;
  use?: unknown;
  key_ops?: unknown;
  crv?: unknown;
  n?: unknown;
  e?: unknown;
  x?: unknown;
  y?: unknown;
  k?: unknown;
  [member: string]: unknown;
}
