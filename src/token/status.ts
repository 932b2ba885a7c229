import type { GatepassConfig, IssuerConfig } from "../config/types.js";
import { AuthError, AuthErrorCodes } from "../errors.js";
import type { Logger } from "../log.js";
import { deepFreeze } from "../util/freeze.js";
import type { JsonObject } from "../util/json.js";
import { Introspector } from "./introspection.js";
import { RevocationCheck } from "./revocation.js";

/**
 * The token-status layer of a verifier: the revocation list and token introspection of the issuers
 * that configure them (`issuers[].revocation`, `issuers[].introspection`). `buildVerifier` uses it
 * only when an issuer does, so a verifier without them does no extra work per call; and
 * `gatepass bundle --config` replaces this module (and each of the two it imports, when unused) by
 * stubs in `lambda/`, so such a bundle carries none of their code.
 *
 * Per call, after the JWT is verified (cached verifications included): the issuer's introspection
 * when `checkJwts`, then its revocation list. A token that is not a compact JWS goes to the one
 * issuer that introspects opaque tokens (if any), then that issuer's revocation list.
 */

/** A verified token (the verifier's `VerifiedToken`, structurally: this module must not import it). */
interface VerifiedToken {
  readonly header: JsonObject;
  readonly payload: JsonObject;
  readonly issuer: string | null;
}

/** The verifier's synchronous verification (`VerifyNow`, structurally). */
type VerifyNow = (token: string) => VerifiedToken | Promise<VerifiedToken>;

export interface TokenStatusDeps {
  readonly now: () => number;
  readonly fetch: typeof fetch | undefined;
  readonly logger: Logger;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A verifier's token-status layer: wraps its synchronous verification; warms the lists at cold start. */
export interface TokenStatus {
  wrap(verifyJwt: VerifyNow): VerifyNow;
  hydrate(): Promise<void>;
}

interface IssuerStatus {
  readonly issuer: string | null;
  readonly revocation: RevocationCheck | undefined;
  readonly introspection: Introspector | undefined;
  readonly checkJwts: boolean;
}

/** A compact JWS: three base64url segments (the signature may be empty only for `none`, refused later). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** An opaque bearer token: RFC 6750's `b64token`. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** True when some issuer of `cfg` configures revocation or introspection. */
export function usesTokenStatus(cfg: GatepassConfig): boolean {
  return cfg.issuers.some((i) => i.revocation !== undefined || i.introspection !== undefined);
}

/** The layer for `cfg`, or `undefined` when no issuer configures either check. */
export function tokenStatus(cfg: GatepassConfig, deps: TokenStatusDeps): TokenStatus | undefined {
  if (!usesTokenStatus(cfg)) return undefined;
  const byIssuer = new Map<string | null, IssuerStatus>();
  let opaque: IssuerStatus | undefined;
  for (const issuer of cfg.issuers) {
    if (issuer.revocation === undefined && issuer.introspection === undefined) continue;
    const status: IssuerStatus = {
      issuer: issuer.issuer,
      revocation: issuer.revocation === undefined ? undefined : new RevocationCheck(issuer.revocation, deps),
      introspection:
        issuer.introspection === undefined
          ? undefined
          : new Introspector(issuer, sameEntry(cfg.issuers, issuer), deps),
      checkJwts: issuer.introspection?.checkJwts === true,
    };
    byIssuer.set(issuer.issuer, status);
    if (opaque === undefined && issuer.introspection?.opaqueTokens === true) opaque = status;
  }
  const maxTokenBytes = cfg.maxTokenBytes;

  /** The issuer's revocation list on verified claims (sync while the list is fresh). */
  function revoked(status: IssuerStatus, verified: VerifiedToken): VerifiedToken | Promise<VerifiedToken> {
    const checked = status.revocation?.check(verified.payload);
    return checked instanceof Promise ? checked.then(() => verified) : verified;
  }

  async function introspectOpaque(status: IssuerStatus, token: string): Promise<VerifiedToken> {
    const claims = await status.introspection!.introspect(token);
    const verified: VerifiedToken = { header: {}, payload: claims, issuer: status.issuer };
    // Shared with every call that hits the cached answer: frozen, as cached JWT results are.
    deepFreeze(verified);
    return revoked(status, verified);
  }

  async function introspectJwt(status: IssuerStatus, token: string, verified: VerifiedToken) {
    await status.introspection!.introspect(token);
    return revoked(status, verified);
  }

  function afterJwt(token: string, verified: VerifiedToken): VerifiedToken | Promise<VerifiedToken> {
    const status = byIssuer.get(verified.issuer);
    if (status === undefined) return verified;
    if (status.checkJwts) return introspectJwt(status, token, verified);
    return revoked(status, verified);
  }

  return {
    wrap(verifyJwt) {
      return (token) => {
        if (opaque !== undefined && typeof token === "string" && !COMPACT_JWS.test(token)) {
          if (token.length > maxTokenBytes)
            throw new AuthError(AuthErrorCodes.TOO_LARGE, "The token is larger than maxTokenBytes.");
          if (!B64TOKEN.test(token))
            throw new AuthError(
              AuthErrorCodes.MALFORMED,
              "The token is neither a JWT nor an opaque bearer token.",
            );
          return introspectOpaque(opaque, token);
        }
        const verified = verifyJwt(token);
        return verified instanceof Promise
          ? verified.then((v) => afterJwt(token, v))
          : afterJwt(token, verified);
      };
    },
    async hydrate() {
      await Promise.all([...byIssuer.values()].map((s) => s.revocation?.hydrate()));
    },
  };
}

/** The `iss` values of `issuer`'s configured entry (a preset's forms share one entry). */
function sameEntry(issuers: readonly IssuerConfig[], issuer: IssuerConfig): ReadonlySet<string> {
  const names = new Set<string>();
  for (const other of issuers) {
    if (other === issuer || (issuer.origin !== undefined && other.origin === issuer.origin))
      if (other.issuer !== null) names.add(other.issuer);
  }
  return names;
}
