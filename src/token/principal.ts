import { AuthError, AuthErrorCodes } from "../errors.js";
import type { JsonObject } from "../util/json.js";
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
