import { AuthError, AuthErrorCodes } from "../errors.js";
import type { JsonObject } from "../util/json.js";

/** What claim validation needs from an issuer's configuration. */
export interface ClaimRules {
  readonly audience: readonly string[] | null;
  readonly clockToleranceSeconds: number;
  readonly maxTokenAgeSeconds: number | null;
  readonly requiredClaims: readonly string[];
  readonly requireExp: boolean;
  /** The client the token was issued to, read from the first of {@link clientIdClaim} present, must be one of these. */
  readonly clientId?: readonly string[] | undefined;
  /** Claims that may hold the client id, in order [`["client_id"]`]. */
  readonly clientIdClaim?: readonly string[] | undefined;
  /** Each named claim must be a string equal to one of its values. */
  readonly requiredClaimValues?: Readonly<Record<string, readonly string[]>> | undefined;
  /** RFC 8707: `aud` must name this resource URI (checked by `resource-audience.ts`'s `validateClaims`). */
  readonly resourceAudience?: string | undefined;
}

const DEFAULT_CLIENT_ID_CLAIM: readonly string[] = ["client_id"];

/** The largest NumericDate accepted: 9999-12-31T23:59:59Z. Larger values are nonsense or an attack. */
export const MAX_NUMERIC_DATE = 253402300799;

const quote = (value: unknown) => {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 61)}...` : text);
};

function numericDate(payload: JsonObject, name: "exp" | "nbf" | "iat"): number | undefined {
  const value = payload[name];
  if (value === undefined) return undefined;
  // One range test also refuses NaN and ±Infinity (every comparison with NaN is false).
  if (typeof value !== "number" || !(value >= 0 && value <= MAX_NUMERIC_DATE)) {
    throw new AuthError(AuthErrorCodes.CLAIM_INVALID, `The ${name} claim is not a valid NumericDate.`);
  }
  return value;
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/**
 * Checks the registered time and audience claims and the required claims of a payload whose
 * signature is already verified. `now` is in seconds. Throws `AuthError`.
 */
export function validateClaims(payload: JsonObject, rules: ClaimRules, now: number): void {
  const tolerance = rules.clockToleranceSeconds;
  const exp = numericDate(payload, "exp");
  const nbf = numericDate(payload, "nbf");
  const iat = numericDate(payload, "iat");

  if (exp === undefined) {
    if (rules.requireExp)
      throw new AuthError(
        AuthErrorCodes.CLAIM_MISSING,
        "The token has no exp claim, which is required unless the issuer sets requireExp: false.",
      );
  } else if (now - tolerance >= exp) {
    // RFC 7519 §4.1.4: the current time must be before exp; at exp the token is expired.
    throw new AuthError(AuthErrorCodes.EXPIRED, `The token expired at ${iso(exp)}.`);
  }
  if (nbf !== undefined && now + tolerance < nbf) {
    throw new AuthError(AuthErrorCodes.NOT_YET_VALID, `The token is not valid before ${iso(nbf)}.`);
  }
  if (iat !== undefined && iat > now + tolerance) {
    throw new AuthError(AuthErrorCodes.IAT_INVALID, `The token was issued in the future (${iso(iat)}).`);
  }
  if (rules.maxTokenAgeSeconds !== null) {
    if (iat === undefined)
      throw new AuthError(
        AuthErrorCodes.CLAIM_MISSING,
        "The token has no iat claim, needed for maxTokenAgeSeconds.",
      );
    if (now - iat > rules.maxTokenAgeSeconds + tolerance) {
      throw new AuthError(
        AuthErrorCodes.IAT_INVALID,
        `The token is older than ${rules.maxTokenAgeSeconds} seconds.`,
      );
    }
  }
  // The kind of token (`token_use`, `typ`) and its tenant first: what a wrong audience or client means depends on them.
  if (rules.requiredClaimValues !== undefined) checkClaimValues(payload, rules.requiredClaimValues);
  if (rules.audience !== null) checkAudience(payload.aud, rules.audience);
  if (rules.clientId !== undefined) checkClient(payload, rules.clientId, rules.clientIdClaim);
  for (const name of rules.requiredClaims) {
    const value = payload[name];
    if (value === undefined || value === null || !Object.hasOwn(payload, name)) {
      throw new AuthError(AuthErrorCodes.CLAIM_MISSING, `The token has no ${quote(name)} claim.`);
    }
  }
}

function checkAudience(aud: unknown, expected: readonly string[]): void {
  if (aud === undefined) throw new AuthError(AuthErrorCodes.AUDIENCE_INVALID, "The token has no aud claim.");
  if (typeof aud === "string") {
    if (expected.includes(aud)) return;
  } else if (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === "string")) {
    if (aud.some((a) => expected.includes(a))) return;
  } else {
    throw new AuthError(
      AuthErrorCodes.AUDIENCE_INVALID,
      "The aud claim is not a string or an array of strings.",
    );
  }
  throw new AuthError(
    AuthErrorCodes.AUDIENCE_INVALID,
    `The audience ${quote(aud)} is not one of ${quote(expected)}.`,
  );
}

/**
 * The client the token was issued to (`client_id`, `azp`, `cid`…: the first of `claims` the token
 * has) must be one of `expected`. A wrong or missing client is not authenticated (401), like a
 * wrong audience: the token was not issued for this API.
 */
function checkClient(
  payload: JsonObject,
  expected: readonly string[],
  claims: readonly string[] = DEFAULT_CLIENT_ID_CLAIM,
): void {
  const name = claims.find(
    (c) => Object.hasOwn(payload, c) && payload[c] !== undefined && payload[c] !== null,
  );
  if (name === undefined)
    throw new AuthError(
      AuthErrorCodes.AUDIENCE_INVALID,
      `The token has no client id claim (${claims.join(" or ")}), needed for clientId.`,
    );
  const value = payload[name];
  const values = typeof value === "string" ? [value] : Array.isArray(value) ? value : [];
  if (!values.some((v) => typeof v === "string" && expected.includes(v)))
    throw new AuthError(
      AuthErrorCodes.AUDIENCE_INVALID,
      `The token's client (${name}) is not one of the configured clientId values.`,
    );
}

/** Each claim of `required` must be a string equal to one of its values (`token_use`, `tid`, `typ`…). */
function checkClaimValues(payload: JsonObject, required: Readonly<Record<string, readonly string[]>>): void {
  for (const name of Object.keys(required)) {
    const value = Object.hasOwn(payload, name) ? payload[name] : undefined;
    if (value === undefined || value === null)
      throw new AuthError(
        AuthErrorCodes.CLAIM_MISSING,
        `The token has no ${quote(name)} claim, needed for requiredClaimValues.`,
      );
    if (typeof value !== "string" || !required[name]!.includes(value))
      throw new AuthError(
        AuthErrorCodes.CLAIM_INVALID,
        `The token's ${quote(name)} claim is not one of the values requiredClaimValues accepts.`,
      );
  }
}
