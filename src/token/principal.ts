import { AuthError, AuthErrorCodes } from "../errors.js";
import type { JsonObject } from "../util/json.js";
import { type ClaimPath, readClaimPath } from "../util/json-pointer.js";
import { listNames } from "../util/names.js";

/** The longest `principalId` accepted, in characters. */
export const MAX_PRINCIPAL_LENGTH = 1024;

/**
 * The `principalId` of a verified token: the `principalClaim`, a non-empty string or a finite
 * number (the classic hand-written authorizers put a numeric user `id` there), at most
 * {@link MAX_PRINCIPAL_LENGTH} characters. Throws an `AuthError` whose sentence says what to change:
 * a missing claim names the setting and the claims the token does have. Both refusals are
 * `ERR_JWT_CLAIM_MISSING` (no usable principal).
 */
export function principalOf(payload: JsonObject, claim: string): string {
  const raw = Object.hasOwn(payload, claim) ? payload[claim] : undefined;
  if (typeof raw === "string" && raw.length > 0 && raw.length <= MAX_PRINCIPAL_LENGTH) return raw;
  if (typeof raw === "number" && Number.isFinite(raw)) return String(raw);
  const name = JSON.stringify(claim.length > 64 ? `${claim.slice(0, 61)}...` : claim);
  if (raw === undefined || raw === null) {
    throw new AuthError(
      AuthErrorCodes.CLAIM_MISSING,
      `The token has no ${name} claim to use as the principal; set principalClaim (GATEPASS_PRINCIPAL_CLAIM) to one of its claims: ${listNames(Object.keys(payload), 12)}.`,
    );
  }
  const what =
    typeof raw === "string"
      ? `a string of ${raw.length} characters`
      : `of type ${Array.isArray(raw) ? "array" : typeof raw === "number" ? "number (not finite)" : typeof raw}`;
  // The same reason as a missing claim (the token has no usable principal); the sentence tells them apart.
  throw new AuthError(
    AuthErrorCodes.CLAIM_MISSING,
    `The principal claim ${name} is ${what}; it must be a non-empty string (at most ${MAX_PRINCIPAL_LENGTH} characters) or a number.`,
  );
}

/** The longest `usageIdentifierKey` sent, in characters (API Gateway's API key values are 20 to 128). */
export const MAX_USAGE_KEY_LENGTH = 1024;

/**
 * The `usageIdentifierKey` of a verified token: the `usageIdentifierClaim`, a non-empty string of at
 * most {@link MAX_USAGE_KEY_LENGTH} characters, taken as is (never converted from a number, an
 * array or an object: a metering key is not guessed). Anything else throws `ERR_JWT_CLAIM_MISSING`,
 * a 401, like a token without a usable principal: the caller cannot be metered, and leaving the key
 * out would only make API Gateway answer 403 `Forbidden` for every such token.
 */
export function usageKeyOf(payload: JsonObject, path: ClaimPath): string {
  const raw = readClaimPath(payload, path);
  if (typeof raw === "string" && raw.length > 0 && raw.length <= MAX_USAGE_KEY_LENGTH) return raw;
  const name = JSON.stringify(path.name.length > 64 ? `${path.name.slice(0, 61)}...` : path.name);
  const what =
    raw === undefined || raw === null
      ? "absent"
      : typeof raw === "string"
        ? `a string of ${raw.length} characters`
        : `of type ${Array.isArray(raw) ? "array" : typeof raw}`;
  throw new AuthError(
    AuthErrorCodes.CLAIM_MISSING,
    `The usage identifier claim ${name} (usageIdentifierClaim) is ${what}; it must be a non-empty string of at most ${MAX_USAGE_KEY_LENGTH} characters.`,
  );
}
