import { isRecord, ownRecord, ownString } from "../adapters/event-lookup.js";
import type { EventKind } from "../adapters/types.js";
import { ALGORITHMS, type Algorithm } from "../config/algorithms.js";
import {
  DEFAULT_REPLAY_TIMEOUT_MS,
  DYNAMODB_TABLE_PATTERN,
  REPLAY_TABLE_VARIABLE,
} from "../config/dpop-replay.js";
import type { DpopReplayConfig, GatepassConfig } from "../config/types.js";
import { AuthError, AuthErrorCodes, ConfigError } from "../errors.js";
import { ALGORITHM_SPECS } from "../keys/algorithms.js";
import { importJwk } from "../keys/import.js";
import { jwkThumbprint } from "../keys/thumbprint.js";
import type { Jwk, VerificationKey } from "../keys/types.js";
import type { Logger } from "../log.js";
import { decodeToken } from "../token/decode.js";
import { verifySignature } from "../token/signature.js";
import { nodeBuffer, nodeCrypto } from "../util/builtins.js";
import { type DynamoDbClientLike, dynamoDbReplayStore, ReplayStoreError } from "./replay-dynamodb.js";
import { memoryReplayStore, type ReplayStore } from "./replay-store.js";

export { REPLAY_ENTRIES } from "./replay-store.js";

/**
 * DPoP-bound access tokens (RFC 9449): per issuer `dpop`, a token whose `cnf.jkt` names a key is
 * accepted only as `Authorization: DPoP <token>` with a `DPoP` proof header signed by that key,
 * checked as RFC 9449 §4.3 and §7.1 say (one proof, `typ: dpop+jwt`, an asymmetric `alg` of the
 * issuer's allowlist, a public `jwk`, the signature, `htm`, `htu`, `iat`, `jti`, `ath`, `cnf.jkt`).
 * - `"required"`: a token without `cnf.jkt`, or presented as `Bearer`, is refused (401 `ERR_DPOP_INVALID`);
 * - `"if-present"`: only tokens carrying `cnf.jkt` need a proof (and must use the DPoP scheme);
 * - absent: neither the scheme nor `cnf.jkt` is looked at.
 * Only events that show the request's headers can carry a proof: REST `REQUEST` and HTTP API
 * (1.0, 2.0) events. A REST `TOKEN` event sees only its identity source and a WebSocket `$connect`
 * is not a DPoP request, so DPoP-bound tokens are refused there.
 *
 * Replay: each accepted proof's `jti` is remembered, per key, until its `iat` leaves the window,
 * last, once every other check passed. By default in a bounded in-memory map of this instance
 * (`replay-store.ts`, {@link REPLAY_ENTRIES}), which protects one warm instance only: another
 * instance of the function (or this one after a cold start) does not know the `jti`. With
 * `dpopReplay.store: "dynamodb"`, in a table all instances share (`replay-dynamodb.ts`): the check
 * then answers with a promise, and a store that fails or does not answer in time refuses the request.
 *
 * `createAuthorizer` builds it only when an issuer configures `dpop`, and `gatepass bundle --config`
 * replaces this module by `lambda/no-dpop.ts` otherwise.
 */

/** Largest proof read (characters). */
export const MAX_DPOP_PROOF_CHARS = 8192;
/** Largest `jti` accepted (characters). */
const MAX_JTI_CHARS = 256;
/** Keys imported from proofs, by thumbprint: a client reusing its key is judged once per instance. */
const KEY_MEMO_ENTRIES = 256;
/** A base64url SHA-256 value: 32 bytes, 43 characters without padding. */
const S256 = /^[A-Za-z0-9_-]{43}$/;
/** RFC 9449 §7.1: `DPoP` 1*SP token68 (one space here, as for `Bearer`). */
const DPOP_CREDENTIAL = /^dpop [A-Za-z0-9\-._~+/]+=*$/i;
const DPOP_PREFIX_LENGTH = 5;
/** Members of private (or symmetric) JWKs: a proof's `jwk` must carry none (RFC 9449 §4.2). */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
/** The asymmetric algorithms: what a DPoP proof may be signed with when nothing narrows it. */
export const ASYMMETRIC: readonly Algorithm[] = ALGORITHMS.filter(
  (a) => ALGORITHM_SPECS[a].family !== "hmac",
);

export type DpopMode = "required" | "if-present";

/** The verified token, structurally (the verifier's `VerifiedToken`). */
interface BoundToken {
  readonly issuer: string | null;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface Dpop {
  /** The token of an `Authorization: DPoP <token>` credential in `event`, or `null`. */
  credential(event: unknown, kind: EventKind): string | null;
  /**
   * Throws `AuthError` `ERR_DPOP_INVALID` when `verified`'s issuer uses DPoP and the proof does not hold
   * for this request; `viaDpop` is whether `token` came with the DPoP scheme. With a shared replay
   * store, answers a promise (rejecting the same way) once the proof's checks passed; else `undefined`.
   */
  check(
    verified: BoundToken,
    token: string,
    viaDpop: boolean,
    event: unknown,
    kind: EventKind,
    method: string | null,
  ): Promise<void> | undefined;
  /** Resolves once the replay store can answer (the shared store's SDK loaded): for the cold start. Never rejects. */
  hydrate(): Promise<void>;
}

/** The authorizer's options the check reads (`AuthorizerOptions` has them, documented there). */
export interface DpopOptions {
  now?: () => number;
  /** With `dpopReplay.store: "dynamodb"`: this client rather than one made from `dpopReplay.region`. */
  dynamoDbClient?: DynamoDbClientLike | undefined;
  /** The URL the client sent the request to, for every issuer's `htu` check. */
  dpopRequestUrl?: ((event: Readonly<Record<string, unknown>>, kind: EventKind) => string | null) | undefined;
  /** The replay store becomes this DynamoDB table (`GATEPASS_DPOP_REPLAY_TABLE` of an embedded bundle). */
  dpopReplayTable?: string | undefined;
}

interface IssuerDpop {
  readonly mode: DpopMode;
  readonly windowSeconds: number;
  readonly urlBase: string | undefined;
  readonly algorithms: readonly Algorithm[];
}

/** True when some issuer of `cfg` configures `dpop`. */
export function usesDpop(cfg: GatepassConfig): boolean {
  return cfg.issuers.some((i) => i.dpop !== undefined);
}

/** The check for `cfg`, or `undefined` when no issuer configures `dpop`. */
export function dpop(cfg: GatepassConfig, options: DpopOptions = {}, logger?: Logger): Dpop | undefined {
  if (!usesDpop(cfg)) return undefined;
  const now = options.now ?? Date.now;
  const issuers = new Map<string | null, IssuerDpop>();
  for (const issuer of cfg.issuers)
    if (issuer.dpop !== undefined && !issuers.has(issuer.issuer))
      issuers.set(issuer.issuer, {
        mode: issuer.dpop,
        windowSeconds: issuer.dpopIatWindowSeconds ?? 60,
        urlBase: issuer.dpopUrlBase,
        algorithms: proofAlgorithms(issuer.algorithms),
      });
  const keys = new Map<string, VerificationKey>();
  const replay = replayOf(cfg.dpopReplay, options.dpopReplayTable);
  /** Keyed by `jkt` + " " + `jti`. */
  const requestUrlOf = options.dpopRequestUrl;
  const store: ReplayStore =
    replay?.store === "dynamodb"
      ? dynamoDbReplayStore({
          table: replay.table,
          region: replay.region,
          timeoutMs: replay.timeoutMs,
          client: options.dynamoDbClient,
          now,
        })
      : memoryReplayStore(now);

  function keyOf(jwk: Jwk, thumbprint: string, algorithms: readonly Algorithm[]): VerificationKey {
    const memo = keys.get(thumbprint);
    if (memo !== undefined) return memo;
    const imported = importJwk(jwk, algorithms, { allowSymmetric: false });
    if (!imported.ok) refuse("the DPoP proof's jwk is not a usable public key for the allowed algorithms");
    if (keys.size >= KEY_MEMO_ENTRIES) keys.delete(keys.keys().next().value as string);
    keys.set(thumbprint, imported.key);
    return imported.key;
  }

  /** The store's answer: refused when seen; a shared store's promise refuses the same way, or with its failure. */
  function remember(id: string, expiresAtSeconds: number): Promise<void> | undefined {
    const fresh = store.remember(id, expiresAtSeconds);
    if (fresh === true) return undefined;
    if (fresh === false) replayed();
    return fresh.then(
      (ok) => {
        if (!ok) replayed();
      },
      (error: unknown) => {
        const detail =
          error instanceof ReplayStoreError ? error.message : "the DPoP replay store failed (error)";
        // At `error`: the requests a failing store refuses are the operator's problem, not the caller's.
        logger?.error("dpop_replay_store_failed", { detail });
        refuse(detail);
      },
    );
  }

  return {
    hydrate: async () => {
      await store.ready?.();
    },
    credential(event, kind) {
      if (!isRecord(event)) return null;
      let value: string | null;
      if (kind === "rest-token") value = ownString(event, "authorizationToken");
      else {
        const found = headerValues(event, "authorization");
        value = found.length === 1 ? found[0]! : null;
      }
      if (value === null || value.length > MAX_DPOP_PROOF_CHARS * 2 || !DPOP_CREDENTIAL.test(value))
        return null;
      return value.slice(DPOP_PREFIX_LENGTH);
    },

    check(verified, token, viaDpop, event, kind, method) {
      const issuer = issuers.get(verified.issuer);
      if (issuer === undefined) {
        if (viaDpop) refuse("the token's issuer does not accept DPoP");
        return;
      }
      const cnf = Object.hasOwn(verified.payload, "cnf") ? verified.payload.cnf : undefined;
      let jkt: unknown;
      if (cnf !== undefined) {
        if (typeof cnf !== "object" || cnf === null || Array.isArray(cnf))
          refuse("the token's cnf claim is not an object");
        jkt = Object.hasOwn(cnf, "jkt") ? (cnf as Record<string, unknown>).jkt : undefined;
      }
      if (jkt === undefined) {
        if (issuer.mode === "required") refuse("the token is not DPoP-bound (no cnf.jkt)");
        if (viaDpop) refuse("the DPoP scheme was used with a token that is not DPoP-bound (no cnf.jkt)");
        return;
      }
      if (typeof jkt !== "string" || !S256.test(jkt))
        refuse("the token's cnf.jkt is not a base64url SHA-256 thumbprint");
      if (!viaDpop) refuse("a DPoP-bound token was presented without the DPoP authorization scheme");
      if (kind !== "rest-request" && kind !== "http-v1" && kind !== "http-v2")
        refuse(
          `a ${kind} event carries no DPoP proof (use a REQUEST authorizer, or an HTTP API Lambda authorizer)`,
        );
      const record = event as Record<string, unknown>;

      // §4.3 (1), (2): exactly one DPoP header holding one well-formed JWT.
      const proofs = headerValues(record, "dpop");
      if (proofs.length === 0) refuse("the request has no DPoP proof header");
      if (proofs.length > 1 || proofs[0]!.includes(",")) refuse("the request has more than one DPoP proof");
      // §4.3 (9): the URL the client sent the request to, without query and fragment.
      const url =
        requestUrlOf === undefined
          ? requestUrl(record, kind, issuer.urlBase)
          : normalizedUrl(requestUrlOf(record, kind) ?? "");
      const { thumbprint, jti, iat, ath } = verifyDpopProof(
        proofs[0]!,
        { algorithms: issuer.algorithms, method, url, at: now(), windowSeconds: issuer.windowSeconds },
        keyOf,
      );
      // §4.3 (12): ath = base64url(SHA-256(access token)).
      const expectedAth = nodeCrypto.createHash("sha256").update(token, "ascii").digest("base64url");
      if (typeof ath !== "string" || !sameText(ath, expectedAth))
        refuse("the DPoP proof's ath does not match the access token");
      // §4.3 (13): the proof's key is the one the token is bound to.
      if (!sameText(thumbprint, jkt)) refuse("the token's cnf.jkt does not match the DPoP proof's key");
      // §11.1: a jti seen within the window is a replay. Recorded last: only valid proofs fill the memory.
      return remember(`${thumbprint} ${jti}`, iat + issuer.windowSeconds);
    },
  };
}

/** What a proof must match: the request's method and URL (normalized), now (ms), and the checks' settings. */
export interface ProofExpectation {
  readonly algorithms: readonly Algorithm[];
  readonly method: string | null;
  /** The request URL as {@link normalizedUrl} gives it; `null`: unknown (every proof is refused). */
  readonly url: string | null;
  readonly at: number;
  readonly windowSeconds: number;
}

/** A proof that passed {@link verifyDpopProof}: its key's thumbprint and the claims left to check. */
export interface CheckedProof {
  readonly thumbprint: string;
  readonly jti: string;
  readonly iat: number;
  readonly ath: unknown;
}

/**
 * The checks of one DPoP proof JWT that need neither the access token nor a replay memory
 * (RFC 9449 §4.3 (2)-(11)): well-formed, `typ`, no `crit`, `alg` of `expected.algorithms`, a public
 * `jwk` that verifies the signature, `jti`, `htm`, `htu`, `iat` within the window. Throws
 * `AuthError` `ERR_DPOP_INVALID` naming the check. The authorizer adds `ath`, `cnf.jkt` and the
 * replay check; the development issuer's token endpoint (RFC 9449 §5) a replay check of its own.
 */
export function verifyDpopProof(
  proof: string,
  expected: ProofExpectation,
  keyOf: (jwk: Jwk, thumbprint: string, algorithms: readonly Algorithm[]) => VerificationKey = importProofKey,
): CheckedProof {
  if (proof.length > MAX_DPOP_PROOF_CHARS) refuse("the DPoP proof is larger than gatepass reads");
  let decoded: ReturnType<typeof decodeToken>;
  try {
    decoded = decodeToken(proof, MAX_DPOP_PROOF_CHARS);
  } catch {
    refuse("the DPoP proof is not a well-formed JWT");
  }
  const { header, payload } = decoded;
  // §4.3 (4): the type.
  if (header.typ !== "dpop+jwt") refuse("the DPoP proof's typ is not dpop+jwt");
  if (Object.hasOwn(header, "crit")) refuse("the DPoP proof has a crit header gatepass does not understand");
  // §4.3 (5): an asymmetric algorithm of the issuer's allowlist (never none, never HS*).
  const alg = header.alg;
  if (typeof alg !== "string" || !(expected.algorithms as readonly string[]).includes(alg))
    refuse("the DPoP proof's alg is not an allowed asymmetric algorithm");
  // §4.3 (7): a public key, no private members.
  const jwk = header.jwk;
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk))
    refuse("the DPoP proof has no jwk header");
  const members = jwk as Jwk;
  for (const name of PRIVATE_MEMBERS)
    if (Object.hasOwn(members, name)) refuse("the DPoP proof's jwk holds private key material");
  let thumbprint: string;
  try {
    thumbprint = jwkThumbprint(members);
  } catch {
    refuse("the DPoP proof's jwk is not a usable public key");
  }
  // §4.3 (6): the signature, with the proof's own key.
  const key = keyOf(members, thumbprint, expected.algorithms);
  if (!key.algorithms.has(alg as Algorithm)) refuse("the DPoP proof's alg does not fit its jwk");
  if (!verifySignature(alg as Algorithm, key.key, decoded.signingInput, decoded.signature))
    refuse("the DPoP proof's signature does not verify with its jwk");
  // §4.3 (3): the claims.
  const { htm, htu, iat, jti, ath } = payload;
  if (typeof jti !== "string" || jti.length === 0 || jti.length > MAX_JTI_CHARS)
    refuse("the DPoP proof has no usable jti");
  if (typeof htm !== "string") refuse("the DPoP proof has no htm");
  if (typeof htu !== "string") refuse("the DPoP proof has no htu");
  if (typeof iat !== "number" || !Number.isFinite(iat)) refuse("the DPoP proof has no numeric iat");
  // §4.3 (8): the method.
  if (expected.method === null || htm !== expected.method)
    refuse("the DPoP proof's htm does not match the request method");
  // §4.3 (9): the URL.
  if (expected.url === null || normalizedUrl(htu) !== expected.url)
    refuse("the DPoP proof's htu does not match the request URL");
  // §4.3 (11): iat within the window.
  if (Math.abs(iat * 1000 - expected.at) > expected.windowSeconds * 1000)
    refuse("the DPoP proof's iat is outside the accepted window");
  return { thumbprint, jti, iat, ath };
}

/** A proof's public key, imported for `algorithms` (no memo). */
function importProofKey(jwk: Jwk, _thumbprint: string, algorithms: readonly Algorithm[]): VerificationKey {
  const imported = importJwk(jwk, algorithms, { allowSymmetric: false });
  if (!imported.ok) refuse("the DPoP proof's jwk is not a usable public key for the allowed algorithms");
  return imported.key;
}

/** `dpopReplay`, with the table `GATEPASS_DPOP_REPLAY_TABLE` names when a bundle's environment sets it. */
function replayOf(
  replay: DpopReplayConfig | undefined,
  table: string | undefined,
): DpopReplayConfig | undefined {
  const name = table?.trim();
  if (name === undefined || name === "") return replay;
  if (!new RegExp(DYNAMODB_TABLE_PATTERN).test(name))
    throw new ConfigError(
      REPLAY_TABLE_VARIABLE,
      "expected a DynamoDB table name (3-255 letters, digits, _ - or .).",
    );
  return replay?.store === "dynamodb"
    ? { ...replay, table: name }
    : { store: "dynamodb", table: name, timeoutMs: DEFAULT_REPLAY_TIMEOUT_MS };
}

/**
 * The algorithms a proof may use: the asymmetric ones of the issuer's allowlist; every asymmetric
 * algorithm when it lists none (no list, or shared secrets only: the proof key is the client's own).
 */
function proofAlgorithms(allowed: readonly Algorithm[] | null): readonly Algorithm[] {
  const asymmetric = (allowed ?? ASYMMETRIC).filter((a) => ASYMMETRIC.includes(a));
  return asymmetric.length > 0 ? asymmetric : ASYMMETRIC;
}

function sameText(a: string, b: string): boolean {
  const x = nodeBuffer.Buffer.from(a, "utf8");
  const y = nodeBuffer.Buffer.from(b, "utf8");
  return x.length === y.length && nodeCrypto.timingSafeEqual(x, y);
}

/**
 * The values of header `lower` (case-insensitive name) in `headers` and `multiValueHeaders`,
 * without duplicates between the two maps (REST events hold each header in both).
 */
function headerValues(event: Record<string, unknown>, lower: string): string[] {
  const multi = ownRecord(event, "multiValueHeaders");
  const values: string[] = [];
  if (multi !== null)
    for (const name of Object.keys(multi))
      if (name.toLowerCase() === lower) {
        const list = multi[name];
        if (Array.isArray(list)) for (const v of list) if (typeof v === "string") values.push(v);
      }
  if (values.length > 0) return values;
  const single = ownRecord(event, "headers");
  if (single !== null)
    for (const name of Object.keys(single))
      if (name.toLowerCase() === lower) {
        const v = single[name];
        if (typeof v === "string") values.push(v);
      }
  return values;
}

/**
 * The URL the client sent the request to, without query and fragment (RFC 9449 §4.3 (9)):
 * `urlBase` (or `https://` + the `Host` header, else `requestContext.domainName`) followed by the
 * path as API Gateway received it: REST and HTTP 1.0 `requestContext.path` (the base path of a
 * custom domain, or the stage on the execute-api domain, included; `path` when absent), HTTP 2.0
 * `rawPath`. `null` when the event lacks what it takes.
 */
function requestUrl(
  event: Record<string, unknown>,
  kind: EventKind,
  urlBase: string | undefined,
): string | null {
  const context = ownRecord(event, "requestContext");
  let path: string | null;
  if (kind === "http-v2") path = ownString(event, "rawPath");
  else path = (context === null ? null : ownString(context, "path")) ?? ownString(event, "path");
  if (path === null || !path.startsWith("/")) return null;
  let base = urlBase;
  if (base === undefined) {
    const hosts = headerValues(event, "host");
    const host = hosts.length === 1 ? hosts[0]! : context === null ? null : ownString(context, "domainName");
    if (host === null || host === "" || /[/?#@\s\\]/.test(host)) return null;
    base = `https://${host}`;
  }
  return normalizedUrl(base + path);
}

/** `url` parsed and serialized (scheme and host case, default port, dot segments), query and fragment dropped. */
export function normalizedUrl(url: string): string | null {
  if (url.length > MAX_DPOP_PROOF_CHARS) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return null;
  parsed.search = "";
  parsed.hash = "";
  return parsed.href;
}

function replayed(): never {
  refuse("the DPoP proof's jti was already used (replay)");
}

/** The reasons name the check only: never the token, the proof, or a claim's value. */
function refuse(detail: string): never {
  throw new AuthError(AuthErrorCodes.DPOP_INVALID, detail);
}

/**
 * What `gatepass dev` warns about at start for a configuration using `dpop`: each request carries
 * a new proof, which API Gateway's result cache (keyed by the identity sources) would skip; and
 * TOKEN and WebSocket authorizers see no proof.
 */
export function dpopWarnings(
  cfg: GatepassConfig,
  dev: { readonly api: string; readonly resultTtlSeconds: number },
): string[] {
  if (!usesDpop(cfg)) return [];
  const warnings: string[] = [];
  if (dev.api === "rest-token" || dev.api === "websocket")
    warnings.push(`${dev.api} authorizers receive no DPoP proof: DPoP-bound tokens are refused`);
  if (dev.resultTtlSeconds > 0)
    warnings.push(
      "dpop checks a new proof on every call: set the authorizer's result TTL to 0, or a cached Allow skips the proof (and its replay check) for later requests with the same token",
    );
  return warnings;
}
