import type { GatepassConfigInput } from "../config/input.js";
import { issuerFields } from "../config/issuer-fields.js";
import { parseConfigShape } from "../config/schema.js";
import type { GatepassConfig, IssuerConfig } from "../config/types.js";
import { AuthError, AuthErrorCodes } from "../errors.js";
import type { Algorithm } from "../keys/algorithms.js";
import { checkConfigKeys } from "../keys/check.js";
import { createKeySource, type KeySourceDeps } from "../keys/sources.js";
import type { KeyEventCounter, KeyLookup, KeySource, VerificationKey } from "../keys/types.js";
import { type Logger, silentLogger } from "../log.js";
import { deepFreeze } from "../util/freeze.js";
import type { JsonObject } from "../util/json.js";
import { type TokenCheck, withCheck } from "./check.js";
import { type DecodedToken, decodeToken } from "./decode.js";
import { validateClaims } from "./resource-audience.js";
import { verifySignature } from "./signature.js";
import { tokenStatus } from "./status.js";
import { TokenCache, tokenCacheKey } from "./token-cache.js";

/**
 * A token that passed every check.
 *
 * @typeParam T - the claims the caller expects in the payload, as jose's `jwtVerify<T>`: a type
 * assertion, not a check (check claims gatepass does not validate before trusting their types).
 */
export interface VerifiedToken<T = JsonObject> {
  readonly header: JsonObject;
  readonly payload: T & JsonObject;
  /** The configured issuer that accepted it (`null` for the one issuer configured without `iss` check). */
  readonly issuer: string | null;
}

export interface Verifier {
  /**
   * Verifies a compact JWT: strict decoding, issuer selection by `iss` (among configured issuers
   * only), algorithm allowlist, key lookup, signature, then claims. Rejects with an `AuthError`
   * whose `code` says why; never with anything else.
   *
   * @typeParam T - the payload's expected claims (see {@link VerifiedToken}).
   * @example
   * const { payload } = await verifier.verify<{ scope: string }>(token);
   * payload.scope; // string
   */
  verify<T = JsonObject>(token: string): Promise<VerifiedToken<T>>;
  /** Fetches remote keys ahead of the first request (cold start). Never rejects. */
  hydrate(): Promise<void>;
}

export interface VerifierOptions {
  /** Clock in milliseconds [Date.now]. */
  now?: () => number;
  /** A `fetch`-compatible HTTP client for JWKS and discovery [none: `node:http` / `node:https`]. */
  fetch?: typeof fetch;
  logger?: Logger;
  /** Share remote key sets with other verifiers of this process [true]; tests pass false. */
  sharedKeyCache?: boolean;
  /**
   * Counts remote key-set events (fetches, failures, stale keys served, unknown-kid refetches) for
   * metrics [none]. A shared key set keeps the counter of the verifier that created it.
   */
  keyEvents?: KeyEventCounter;
  /** Where the introspection client secret is read from (`clientSecretEnv`) [process.env]. */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * A test of your own, after every other check, on every verification (cached tokens included):
   * answer `undefined`/`true` to accept, `false` or an `ERR_*` code of your own to refuse (401).
   * Sync or async; a hook that throws fails closed (`ERR_HOOK_FAILED`). See {@link TokenCheck}.
   */
  check?: TokenCheck;
}

interface IssuerRuntime {
  readonly config: IssuerConfig;
  readonly algorithms: ReadonlySet<Algorithm>;
  readonly keys: KeySource;
  readonly typ: string | null;
}

const CRITICAL_HEADERS_UNDERSTOOD: ReadonlySet<string> = new Set();

/**
 * A verification that answers synchronously when it can: the result, or a promise of it when a key
 * must be fetched first. Throws an `AuthError` where `verify` would reject with it.
 */
export type VerifyNow = (token: string) => VerifiedToken | Promise<VerifiedToken>;

/** The synchronous form of each verifier made by {@link buildVerifier}. */
const synchronousForms = new WeakMap<Verifier, VerifyNow>();

/**
 * The synchronous form of `verifier` when it was made here (`undefined` for any other
 * implementation of {@link Verifier}). For callers already inside an async function, such as the
 * authorizer: awaiting `verify` costs them a promise and a turn of the microtask queue per call
 * (about 0.3 µs) that a key at hand does not need.
 */
export function verifyNowOf(verifier: Verifier): VerifyNow | undefined {
  return synchronousForms.get(verifier);
}

/**
 * `typ` in one form for comparison (RFC 8725 §3.11, RFC 9068 §4): media types compare without
 * regard to ASCII case only (RFC 2045 §5.1; a Unicode fold would take KELVIN SIGN for `k`), and
 * `application/` is implied only for a value with no other `/` (RFC 7515 §4.1.9), so `at+jwt` and
 * `application/at+jwt` are one type while `application/x/y` is not `x/y`.
 */
function normalizeTyp(typ: string): string {
  const lower = typ.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
  return lower.startsWith("application/") && !lower.includes("/", 12) ? lower.slice(12) : lower;
}

/**
 * Creates a verifier from a gatepass configuration (validated here if it is not already).
 * Configuration problems throw a `ConfigError` now, not per token.
 *
 * @example
 * const verifier = createVerifier({ issuers: [{ issuer: "https://id.example.com/", audience: ["orders-api"],
 *   jwksUri: "https://id.example.com/.well-known/jwks.json" }] });
 * const { payload } = await verifier.verify(token);
 */
export function createVerifier(
  config: GatepassConfigInput | GatepassConfig,
  options?: VerifierOptions,
): Verifier;
/** A document known only at run time (parsed JSON): validated here like any other. */
export function createVerifier(config: unknown, options?: VerifierOptions): Verifier;
export function createVerifier(config: unknown, options: VerifierOptions = {}): Verifier {
  // The verifier needs the shape and the keys of the configuration, not its route rules.
  const verifier = buildVerifier(checkConfigKeys(parseConfigShape(config)), options);
  return options.check === undefined ? verifier : withCheck(verifier, options.check);
}

/**
 * The verifier for a configuration validated already: {@link createVerifier} after validation,
 * without its `check` hook (applied by `createVerifier` and `createAuthorizer`).
 */
export function buildVerifier(cfg: GatepassConfig, options: VerifierOptions = {}): Verifier {
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  const deps: KeySourceDeps = {
    now,
    fetch: options.fetch,
    logger,
    shared: options.sharedKeyCache ?? true,
    counter: options.keyEvents,
  };
  const byIssuer = new Map<string, IssuerRuntime>();
  let anyIssuer: IssuerRuntime | undefined;
  const fields = issuerFields(cfg.issuers);
  cfg.issuers.forEach((issuer, index) => {
    const { source, algorithms } = createKeySource(issuer, fields[index]!, deps);
    const runtime: IssuerRuntime = {
      config: issuer,
      algorithms: new Set(algorithms),
      keys: source,
      typ: issuer.typ === null ? null : normalizeTyp(issuer.typ),
    };
    if (issuer.issuer === null) anyIssuer = runtime;
    else byIssuer.set(issuer.issuer, runtime);
  });
  const maxTokenBytes = cfg.maxTokenBytes;
  const cache =
    cfg.tokenCache.maxEntries > 0
      ? new TokenCache<VerifiedToken>(cfg.tokenCache.maxEntries, cfg.tokenCache.ttlSeconds)
      : null;

  function selectIssuer(payload: JsonObject): IssuerRuntime {
    const iss = payload.iss;
    if (typeof iss === "string") {
      const found = byIssuer.get(iss);
      if (found) return found;
    } else if (iss !== undefined) {
      throw new AuthError(AuthErrorCodes.ISSUER_INVALID, "The iss claim is not a string.");
    }
    if (anyIssuer) return anyIssuer;
    throw new AuthError(
      AuthErrorCodes.ISSUER_INVALID,
      iss === undefined
        ? "The token has no iss claim."
        : byIssuer.has(iss.endsWith("/") ? iss.slice(0, -1) : `${iss}/`)
          ? "The token's issuer differs from a configured issuer only by a trailing slash (iss is compared exactly)."
          : "The token's issuer is not a configured issuer.",
    );
  }

  function checkHeader(header: JsonObject, issuer: IssuerRuntime): Algorithm {
    const alg = header.alg as Algorithm;
    // The issuer's set holds only algorithms gatepass verifies: membership is also the isAlgorithm check.
    if (typeof alg !== "string" || !issuer.algorithms.has(alg)) {
      throw new AuthError(
        AuthErrorCodes.ALGORITHM_NOT_ALLOWED,
        typeof alg === "string" && alg.toLowerCase() === "none"
          ? "Unsigned tokens (alg none) are never accepted."
          : "The token's alg is not allowed for its issuer.",
      );
    }
    if (header.crit !== undefined) {
      if (
        !Array.isArray(header.crit) ||
        header.crit.length === 0 ||
        !header.crit.every((c) => typeof c === "string")
      ) {
        throw new AuthError(
          AuthErrorCodes.MALFORMED,
          "The token is malformed: crit is not a non-empty array of names.",
        );
      }
      for (const name of header.crit as string[]) {
        if (!CRITICAL_HEADERS_UNDERSTOOD.has(name)) {
          throw new AuthError(
            AuthErrorCodes.CRIT_UNSUPPORTED,
            "The token lists a critical header extension gatepass does not support.",
          );
        }
      }
    }
    // RFC 7797 unencoded payloads change what the signature covers; never accepted.
    if (header.b64 !== undefined)
      throw new AuthError(AuthErrorCodes.CRIT_UNSUPPORTED, "The b64 header is not supported.");
    if (header.kid !== undefined && (typeof header.kid !== "string" || header.kid.length > 256)) {
      throw new AuthError(
        AuthErrorCodes.MALFORMED,
        "The token is malformed: kid is not a string of at most 256 characters.",
      );
    }
    if (issuer.typ !== null) {
      if (typeof header.typ !== "string" || normalizeTyp(header.typ) !== issuer.typ) {
        throw new AuthError(AuthErrorCodes.TYPE_INVALID, "The token's typ header is not the expected one.");
      }
    }
    // jku, x5u, jwk and x5c are deliberately never read: keys come from configuration only.
    return alg;
  }

  /**
   * The whole verification, synchronous while the key is at hand: the result, or a promise of it
   * when the key must be fetched first. Kept apart from {@link verify}, an async function without
   * `await`: one that contains an `await` costs about 0.1 µs more per call, even when it never
   * suspends.
   */
  function verifyNow(token: string): VerifiedToken | Promise<VerifiedToken> {
    const nowMs = now();
    // Only strings within the size cap are hashed: hashing unbounded input would be work for an attacker.
    const cacheKey =
      cache && typeof token === "string" && token.length <= maxTokenBytes ? tokenCacheKey(token) : undefined;
    if (cacheKey !== undefined) {
      const hit = cache!.get(cacheKey, nowMs);
      if (hit !== undefined) {
        if (!(hit instanceof Promise)) return hit;
        // Stale keys: the hit waited for the same refresh an uncached token would; a key replaced
        // under the same lookup means the token is verified afresh against the new one.
        return hit.then((value) => value ?? verifyUncached(token, nowMs, cacheKey));
      }
    }
    return verifyUncached(token, nowMs, cacheKey);
  }

  /** Everything but the cache lookup: decoding, issuer, header, key, then {@link verifyWithKey}. */
  function verifyUncached(
    token: string,
    nowMs: number,
    cacheKey: string | undefined,
  ): VerifiedToken | Promise<VerifiedToken> {
    const decoded = decodeToken(token, maxTokenBytes);
    const issuer = selectIssuer(decoded.payload);
    const alg = checkHeader(decoded.header, issuer);
    const lookup: KeyLookup = { kid: decoded.header.kid as string | undefined, alg };
    const found = issuer.keys.getKey(lookup);
    if (found instanceof Promise) {
      return found.then((key) => verifyWithKey(decoded, issuer, lookup, key, nowMs, cacheKey));
    }
    return verifyWithKey(decoded, issuer, lookup, found, nowMs, cacheKey);
  }

  /** The signature, the claims, and the result (cached when the cache is on). */
  function verifyWithKey(
    decoded: DecodedToken,
    issuer: IssuerRuntime,
    lookup: KeyLookup,
    key: VerificationKey,
    nowMs: number,
    cacheKey: string | undefined,
  ): VerifiedToken {
    const alg = lookup.alg;
    if (!key.algorithms.has(alg)) {
      throw new AuthError(AuthErrorCodes.ALGORITHM_NOT_ALLOWED, `The selected key does not verify ${alg}.`);
    }
    if (
      key.alternates === undefined
        ? !verifySignature(alg, key.key, decoded.signingInput, decoded.signature)
        : !verifyAny(alg, key.alternates, decoded.signingInput, decoded.signature)
    ) {
      throw new AuthError(AuthErrorCodes.SIGNATURE_INVALID, "The token's signature is invalid.");
    }
    validateClaims(decoded.payload, issuer.config, nowMs / 1000);
    const result: VerifiedToken = {
      header: decoded.header,
      payload: decoded.payload,
      issuer: issuer.config.issuer,
    };
    if (cacheKey !== undefined) {
      // Every caller of a cached token gets this same object: freeze it so none can alter what the next one sees.
      deepFreeze(result);
      cache!.set(
        cacheKey,
        result,
        key,
        issuer.keys,
        nowMs,
        cacheableUntil(decoded.payload, issuer.config),
        lookup,
      );
    }
    return result;
  }

  /**
   * Warms the issuers expanded from one configured entry (a preset's issuer forms). A deployment
   * uses one of them (a Cognito pool has either the regional or the multi-Region issuer), so a form
   * whose keys cannot be fetched is not an error by itself: only when no form could be warmed is
   * the failure logged as an error.
   */
  async function hydrateGroup(origin: number, members: IssuerRuntime[]): Promise<void> {
    if (members.length === 1) return members[0]!.keys.hydrate();
    const sources = [...new Set(members.map((m) => m.keys))];
    await Promise.all(sources.map((source) => source.hydrate({ quiet: true })));
    if (
      sources.some(
        (source) => source.freshUntil === undefined || source.freshUntil > Number.NEGATIVE_INFINITY,
      )
    )
      return;
    logger.error("jwks_hydrate_failed", {
      issuer: `issuers[${origin}]`,
      detail:
        "no issuer form of this entry could fetch its keys at cold start; tokens fail closed until one can",
    });
  }

  // Revocation and introspection: only when an issuer configures them (no extra work per call otherwise).
  const status = tokenStatus(cfg, { now, fetch: options.fetch, logger, env: options.env });
  const verifyChecked: VerifyNow = status === undefined ? verifyNow : status.wrap(verifyNow);

  /** Never throws: an async function turns every exception of {@link verifyNow} into a rejection. */
  async function verify<T = JsonObject>(token: string): Promise<VerifiedToken<T>> {
    return verifyChecked(token) as VerifiedToken<T>;
  }

  const verifier: Verifier = {
    verify,
    async hydrate() {
      const all = [...byIssuer.values(), ...(anyIssuer ? [anyIssuer] : [])];
      const groups = new Map<number, IssuerRuntime[]>();
      const alone: IssuerRuntime[] = [];
      for (const runtime of all) {
        const origin = runtime.config.origin;
        if (origin === undefined) alone.push(runtime);
        else groups.set(origin, [...(groups.get(origin) ?? []), runtime]);
      }
      await Promise.all([
        ...alone.map((i) => i.keys.hydrate()),
        ...[...groups.entries()].map(([origin, members]) => hydrateGroup(origin, members)),
        status?.hydrate(),
      ]);
    },
  };
  synchronousForms.set(verifier, verifyChecked);
  return verifier;
}

/**
 * Shared secrets trusted at once (rotation): valid when the signature verifies under any secret that
 * may verify `alg`. Every such secret is tried, with no early exit, so the time taken does not tell
 * which one matched (each comparison is constant-time itself).
 */
function verifyAny(
  alg: Algorithm,
  keys: readonly VerificationKey[],
  signingInput: string,
  signature: Buffer,
): boolean {
  let valid = false;
  for (const key of keys) {
    if (!key.algorithms.has(alg)) continue;
    const ok = verifySignature(alg, key.key, signingInput, signature);
    valid = valid || ok;
  }
  return valid;
}

/** Until when (ms) a verified token stays valid for a cache: `exp`, and `iat + maxTokenAgeSeconds`. */
function cacheableUntil(payload: JsonObject, issuer: IssuerConfig): number {
  const tolerance = issuer.clockToleranceSeconds;
  let until = typeof payload.exp === "number" ? payload.exp + tolerance : Number.POSITIVE_INFINITY;
  if (issuer.maxTokenAgeSeconds !== null && typeof payload.iat === "number") {
    until = Math.min(until, payload.iat + issuer.maxTokenAgeSeconds + tolerance);
  }
  return until * 1000;
}
