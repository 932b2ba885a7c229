import { AuthError, AuthErrorCodes } from "../errors.js";
import type { JsonObject } from "../util/json.js";

/** The longest `principalId` accepted, in characters. */
export const MAX_PRINCIPAL_LENGTH = 1024;

/** How many of a token's claim names a message lists, and how much of each. */
const LISTED_CLAIMS = 12;
const LISTED_NAME_LENGTH = 40;

/**
 * A token's claim names for a message: names only (never a value), at most {@link LISTED_CLAIMS},
 * each cut to {@link LISTED_NAME_LENGTH} characters, with anything but printable ASCII replaced.
 */
export function claimNames(payload: JsonObject): string {
  const names = Object.keys(payload);
  if (names.length === 0) return "none";
  const shown = names.slice(0, LISTED_CLAIMS).map((name) => {
    const clean = name.replace(/[^\x20-\x7e]/g, "?");
    return clean.length > LISTED_NAME_LENGTH ? `${clean.slice(0, LISTED_NAME_LENGTH - 3)}...` : clean;
  });
  const more = names.length - shown.length;
  return `${shown.join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
}

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
      `The token has no ${name} claim to use as the principal; set principalClaim (GATEPASS_PRINCIPAL_CLAIM) to one of its claims: ${claimNames(payload)}.`,
    );
  }
  const what =
    typeof raw === "string"
      ? raw.length === 0
        ? "an empty string"
        : `a string longer than ${MAX_PRINCIPAL_LENGTH} characters`
      : Array.isArray(raw)
        ? "an array"
        : typeof raw === "number"
          ? "not a finite number"
          : `${typeof raw === "object" ? "an" : "a"} ${typeof raw}`;
  // The same reason as a missing claim (the token has no usable principal); the sentence tells them apart.
  throw new AuthError(
    AuthErrorCodes.CLAIM_MISSING,
    `The principal claim ${name} is ${what}; it must be a non-empty string or a number.`,
  );
}
