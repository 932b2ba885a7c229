/**
 * The two error families of gatepass.
 *
 * - {@link AuthError}: a token or request that is not authenticated. It carries a stable `code`
 *   (`ERR_*`) for logs and tests; callers of the authorizer only ever see `Unauthorized`.
 * - {@link ConfigError}: a configuration that cannot work. Thrown at construction (cold start), never
 *   per request, with one sentence that names the field.
 *
 * Messages never contain a token, a secret or key material.
 */

/** Every reason a token can be refused, as a stable string. */
export const AuthErrorCodes = {
  /** No token in the request (no header, empty value, wrong scheme). */
  MISSING: "ERR_JWT_MISSING",
  /** Not a compact JWS: segment count, characters, base64url, JSON, or header/payload shape. */
  MALFORMED: "ERR_JWT_MALFORMED",
  /** Larger than `maxTokenBytes`. */
  TOO_LARGE: "ERR_JWT_TOO_LARGE",
  /** `alg` is not in the issuer's allowlist or not usable with the key. */
  ALGORITHM_NOT_ALLOWED: "ERR_JWT_ALGORITHM_NOT_ALLOWED",
  /** The signature does not verify. */
  SIGNATURE_INVALID: "ERR_JWT_SIGNATURE_INVALID",
  /** `exp` is in the past (beyond the clock tolerance). */
  EXPIRED: "ERR_JWT_EXPIRED",
  /** `nbf` is in the future (beyond the clock tolerance). */
  NOT_YET_VALID: "ERR_JWT_NOT_YET_VALID",
  /** `iat` is in the future, or older than `maxTokenAgeSeconds`. */
  IAT_INVALID: "ERR_JWT_IAT_INVALID",
  /** `iss` is not one of the configured issuers. */
  ISSUER_INVALID: "ERR_JWT_ISSUER_INVALID",
  /** `aud` does not contain any of the configured audiences. */
  AUDIENCE_INVALID: "ERR_JWT_AUDIENCE_INVALID",
  /** A required claim (`exp`, `requiredClaims`, the principal claim) is absent. */
  CLAIM_MISSING: "ERR_JWT_CLAIM_MISSING",
  /** A registered claim has the wrong type or an impossible value (e.g. `exp` as a string). */
  CLAIM_INVALID: "ERR_JWT_CLAIM_INVALID",
  /** The `typ` header does not match the configured one. */
  TYPE_INVALID: "ERR_JWT_TYPE_INVALID",
  /** The header lists a `crit` extension gatepass does not understand. */
  CRIT_UNSUPPORTED: "ERR_JWT_CRIT_UNSUPPORTED",
  /** No configured key matches the token's `kid` (and algorithm). */
  KEY_NOT_FOUND: "ERR_KEY_NOT_FOUND",
  /** The token's `kid` names a key of the issuer's key set that gatepass refused to trust (e.g. RSA e = 1, ROCA). */
  KEY_REFUSED: "ERR_KEY_REFUSED",
  /** The issuer's keys cannot be had: JWKS or discovery endpoint down, slow, or hostile, and nothing usable cached. */
  KEYS_UNAVAILABLE: "ERR_JWKS_UNAVAILABLE",
  /**
   * The `check` hook refused the token by answering `false` (a hook answering its own `ERR_*` code
   * refuses with that code as the error's `reason`).
   */
  CHECK_REFUSED: "ERR_CHECK_REFUSED",
  /** A hook (`check`, `context`) threw, or answered what it may not: the request fails closed. */
  HOOK_FAILED: "ERR_HOOK_FAILED",
  /** The issuer's revocation list names the token's `jti`, or its subject with a not-before time after the token's `iat`. */
  REVOKED: "ERR_JWT_REVOKED",
  /** The revocation list cannot be had (and nothing usable is cached) with `onUnavailable: "deny"`. */
  REVOCATION_UNAVAILABLE: "ERR_REVOCATION_UNAVAILABLE",
  /** The introspection endpoint (RFC 7662) answered `active: false`. */
  INACTIVE: "ERR_TOKEN_INACTIVE",
  /** The introspection endpoint failed: timeout, connection, HTTP error, oversized or invalid answer. */
  INTROSPECTION_UNAVAILABLE: "ERR_INTROSPECTION_UNAVAILABLE",
  /**
   * RFC 8705: the token's `cnf["x5t#S256"]` does not match the event's mutual-TLS client certificate,
   * or (`certificateBound: "required"`) the token is not bound or the request carries no usable certificate.
   */
  CERT_BINDING: "ERR_CERT_BINDING",
  /**
   * RFC 9449: the DPoP proof is missing or fails a check (signature, `typ`, `alg`, `jwk`, `htm`,
   * `htu`, `iat`, `jti` replay, `ath`, `cnf.jkt`), or (`dpop: "required"`) the token is not DPoP-bound.
   */
  DPOP_INVALID: "ERR_DPOP_INVALID",
} as const;

export type AuthErrorCode = (typeof AuthErrorCodes)[keyof typeof AuthErrorCodes];

/** Why an event is refused before any token is looked at. API Gateway answers 401. */
export const EventReasonCodes = {
  /** No adapter recognises the event's shape. */
  EVENT_UNSUPPORTED: "ERR_EVENT_UNSUPPORTED",
  /** The event's `methodArn`/`routeArn` is not an execute-api ARN. */
  EVENT_INVALID_ARN: "ERR_EVENT_INVALID_ARN",
} as const;

/** Why the rules refuse an authenticated principal the route. API Gateway answers 403 (a Deny). */
export const RuleReasonCodes = {
  /** The rule's scopes are not all (or, with `scopesMode: "any"`, not any) in the token. */
  SCOPE_MISSING: "ERR_SCOPE_MISSING",
  /** A claim requirement of the rule fails. */
  CLAIM_MISMATCH: "ERR_CLAIM_MISMATCH",
  /** No rule opens the route (`unmatchedRoutes: "deny"`, a method API Gateway never routes, …). */
  ROUTE_NOT_ALLOWED: "ERR_ROUTE_NOT_ALLOWED",
} as const;

/** A failure of gatepass itself (a bug, never the caller's input). Fails closed: API Gateway answers 401. */
export const InternalReasonCodes = {
  INTERNAL: "ERR_INTERNAL",
} as const;

/**
 * Every reason a request is refused, as the stable string logged in the `reason` field: token
 * verification ({@link AuthErrorCodes}), the event ({@link EventReasonCodes}), the rules
 * ({@link RuleReasonCodes}) and gatepass itself ({@link InternalReasonCodes}). To add a reason, add
 * it to its family; {@link reasonStatus} follows from the family.
 */
export const ReasonCodes = {
  ...AuthErrorCodes,
  ...EventReasonCodes,
  ...RuleReasonCodes,
  ...InternalReasonCodes,
} as const;

/** One of {@link ReasonCodes}. */
export type ReasonCode = (typeof ReasonCodes)[keyof typeof ReasonCodes];

/** One of {@link RuleReasonCodes}: the reasons that are a 403, not a 401. */
export type RuleReasonCode = (typeof RuleReasonCodes)[keyof typeof RuleReasonCodes];

const RULE_REASONS: ReadonlySet<string> = new Set(Object.values(RuleReasonCodes));

/**
 * What API Gateway answers for a refusal with this reason: 403 when the rules refuse an
 * authenticated principal the route (the authorizer returns a Deny, or `isAuthorized: false`), 401
 * for every other reason (the authorizer throws `Unauthorized`).
 *
 * @example
 * reasonStatus("ERR_JWT_EXPIRED")   // 401
 * reasonStatus("ERR_SCOPE_MISSING") // 403
 */
export function reasonStatus(code: ReasonCode): 401 | 403 {
  return RULE_REASONS.has(code) ? 403 : 401;
}

/**
 * A token that is not accepted. `message` is one sentence safe to log (no token, no secret).
 *
 * @example
 * try { await verifier.verify(token) } catch (e) { if (e instanceof AuthError) log(e.code) }
 */
export class AuthError extends Error {
  override readonly name = "AuthError";
  readonly code: AuthErrorCode;
  /**
   * The reason code logged for this refusal: `code`, or the `ERR_*` code a `check` hook refused
   * with (then `code` is `ERR_CHECK_REFUSED`).
   */
  readonly reason: AuthErrorCode | CheckReasonCode;
  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown; reason?: CheckReasonCode }) {
    super(message, options);
    this.code = code;
    this.reason = options?.reason ?? code;
  }
}

/**
 * A reason code of the application's own, given by a `check` hook: `ERR_` then upper-case letters,
 * digits and `_` (at most 64 characters in all). Always a 401.
 */
export type CheckReasonCode = `ERR_${string}`;

/**
 * A configuration that cannot work. `field` is the dotted path of the offending field
 * (`issuers[0].secret`); the message is one sentence that names it and says what is expected.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly code = "ERR_CONFIG_INVALID";
  readonly field: string;
  /** The sentence without the field prefix. */
  readonly detail: string;
  constructor(field: string, detail: string) {
    super(
      field
        ? `Invalid gatepass configuration: ${field}: ${detail}`
        : `Invalid gatepass configuration: ${detail}`,
    );
    this.field = field;
    this.detail = detail;
  }
}

/** True for an {@link AuthError}, also across module copies (bundles) where `instanceof` fails. */
export function isAuthError(error: unknown): error is AuthError {
  return (
    error instanceof AuthError ||
    (typeof error === "object" &&
      error !== null &&
      (error as { name?: unknown }).name === "AuthError" &&
      typeof (error as { code?: unknown }).code === "string")
  );
}
