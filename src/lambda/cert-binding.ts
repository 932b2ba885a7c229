import { clientCertPemOf } from "../adapters/client-cert.js";
import type { EventKind } from "../adapters/types.js";
import type { GatepassConfig } from "../config/types.js";
import { AuthError, AuthErrorCodes } from "../errors.js";
import type { Logger } from "../log.js";
import { nodeBuffer, nodeCrypto } from "../util/builtins.js";

/**
 * Certificate-bound access tokens (RFC 8705 §3): per issuer `certificateBound`, the token's
 * `cnf["x5t#S256"]` must equal the base64url SHA-256 thumbprint of the DER of the mutual-TLS client
 * certificate API Gateway passed in the event (`adapters/client-cert.ts`).
 * - `"required"`: a token without `cnf["x5t#S256"]`, or a request without a usable certificate, is
 *   refused (401 `ERR_CERT_BINDING`);
 * - `"if-present"`: only tokens carrying `cnf["x5t#S256"]` are checked;
 * - absent: `cnf` is not looked at.
 * The check runs on every call, after verification (cached verifications included): the
 * certificate is not part of the token, so nothing about it is cached with the token.
 *
 * `createAuthorizer` builds it only when an issuer configures `certificateBound`, and
 * `gatepass bundle --config` replaces this module by `lambda/no-cert-binding.ts` otherwise, so a
 * configuration without it carries none of its code and does no work for it per call.
 */

/** Largest `clientCertPem` parsed (characters): far above any real certificate, far below the event limit. */
export const MAX_CLIENT_CERT_PEM_CHARS = 16_384;
/** A base64url SHA-256 value: 32 bytes, 43 characters without padding. */
const X5T_S256 = /^[A-Za-z0-9_-]{43}$/;
/** Thumbprints of the last certificates seen: a warm instance serving one client parses its PEM once. */
const MEMO_ENTRIES = 64;

export type CertificateBound = "required" | "if-present";

/** The verified token, structurally (the verifier's `VerifiedToken`). */
interface BoundToken {
  readonly issuer: string | null;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface CertBinding {
  /**
   * Throws `AuthError` `ERR_CERT_BINDING` when `verified`'s issuer binds tokens and the binding
   * does not hold for the certificate in `event` (read per `kind`); returns otherwise.
   */
  check(verified: BoundToken, event: unknown, kind: EventKind): void;
}

/** True when some issuer of `cfg` configures `certificateBound`. */
export function usesCertBinding(cfg: GatepassConfig): boolean {
  return cfg.issuers.some((i) => i.certificateBound !== undefined);
}

/** The check for `cfg`, or `undefined` when no issuer configures `certificateBound`. */
export function certBinding(cfg: GatepassConfig, logger: Logger): CertBinding | undefined {
  if (!usesCertBinding(cfg)) return undefined;
  let warned = false;
  const modes = new Map<string | null, CertificateBound>();
  for (const issuer of cfg.issuers)
    if (issuer.certificateBound !== undefined && !modes.has(issuer.issuer))
      modes.set(issuer.issuer, issuer.certificateBound);
  const memo = new Map<string, string>();

  function thumbprint(pem: string): string {
    const known = memo.get(pem);
    if (known !== undefined) return known;
    if (pem.length > MAX_CLIENT_CERT_PEM_CHARS)
      refuse("the client certificate is larger than gatepass reads");
    const value = certificateThumbprint(pem);
    if (value === null) refuse("the client certificate in the event is not a readable X.509 certificate");
    if (memo.size >= MEMO_ENTRIES) memo.delete(memo.keys().next().value as string);
    memo.set(pem, value);
    return value;
  }

  return {
    check(verified, event, kind) {
      const mode = modes.get(verified.issuer);
      if (mode === undefined) return;
      const cnf = Object.hasOwn(verified.payload, "cnf") ? verified.payload.cnf : undefined;
      let bound: unknown;
      if (cnf !== undefined) {
        if (typeof cnf !== "object" || cnf === null || Array.isArray(cnf))
          refuse("the token's cnf claim is not an object");
        bound = Object.hasOwn(cnf, "x5t#S256") ? (cnf as Record<string, unknown>)["x5t#S256"] : undefined;
      }
      if (bound === undefined) {
        if (mode === "required") refuse('the token is not certificate-bound (no cnf["x5t#S256"])');
        return;
      }
      if (typeof bound !== "string" || !X5T_S256.test(bound))
        refuse('the token\'s cnf["x5t#S256"] is not a base64url SHA-256 thumbprint');
      const pem = clientCertPemOf(event, kind);
      if (pem === null || pem === "") {
        if (!warned && (kind === "rest-token" || kind === "websocket")) {
          warned = true;
          // A TOKEN (or WebSocket) authorizer never receives the certificate: said once per instance.
          logger.warn("cert_binding_no_certificate_source", {
            kind,
            detail: `${kind} events carry no client certificate, so certificate-bound tokens are refused: use a REQUEST authorizer (REST) or an HTTP API Lambda authorizer on a mutual-TLS custom domain`,
          });
        }
        refuse(
          kind === "rest-token" || kind === "websocket"
            ? `a ${kind} event carries no client certificate (use a REQUEST authorizer on a mutual-TLS custom domain)`
            : "the request carries no mutual-TLS client certificate",
        );
      }
      const actual = thumbprint(pem);
      if (
        !nodeCrypto.timingSafeEqual(
          nodeBuffer.Buffer.from(actual, "latin1"),
          nodeBuffer.Buffer.from(bound, "latin1"),
        )
      )
        refuse("the token is bound to another client certificate");
    },
  };
}

/**
 * RFC 8705 §3.1 `x5t#S256` of a PEM certificate: base64url SHA-256 of its DER; `null` when `pem` is
 * not one readable X.509 certificate.
 */
export function certificateThumbprint(pem: string): string | null {
  try {
    const der = new nodeCrypto.X509Certificate(pem).raw;
    return nodeCrypto.createHash("sha256").update(der).digest("base64url");
  } catch {
    return null;
  }
}

/** The reasons name fields only: never the token, the certificate, or either thumbprint. */
function refuse(detail: string): never {
  throw new AuthError(AuthErrorCodes.CERT_BINDING, detail);
}

/**
 * What `gatepass dev` warns about at start for a configuration using `certificateBound`: API
 * Gateway caches an authorizer's answer by its identity sources, which never include the client
 * certificate, so a cached Allow would serve another certificate presenting the same token; and
 * TOKEN and WebSocket authorizers receive no certificate at all.
 */
export function certBindingWarnings(
  cfg: GatepassConfig,
  dev: { readonly api: string; readonly resultTtlSeconds: number },
): string[] {
  if (!usesCertBinding(cfg)) return [];
  const warnings: string[] = [];
  if (dev.api === "rest-token" || dev.api === "websocket")
    warnings.push(
      `${dev.api} authorizers receive no client certificate: certificate-bound tokens are refused`,
    );
  if (dev.resultTtlSeconds > 0)
    warnings.push(
      "certificateBound checks the certificate of every call: set the authorizer's result TTL to 0, or a cached Allow serves other certificates presenting the same token",
    );
  return warnings;
}
