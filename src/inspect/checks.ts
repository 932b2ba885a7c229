import { AuthErrorCodes } from "../errors.js";
import type { JsonObject } from "../util/json.js";
import type { TimeInfo } from "./times.js";
import { quoted, quotedList, type Verification } from "./verification.js";

/**
 * The verification of a token as a list of checks, in the order the verifier runs them (decode,
 * issuer, header, key, signature, time, claims, principal): the checks before the one that refused
 * the token passed, the refusing one failed with the explanation, the later ones were not reached.
 * Derived from one {@link Verification}, so it says exactly what `gatepass inspect` says.
 */

export type CheckName =
  | "decode"
  | "issuer"
  | "header"
  | "key"
  | "signature"
  | "time"
  | "claims"
  | "principal";

export interface VerificationCheck {
  readonly name: CheckName;
  /** What the check asks, e.g. "the signature verifies with the issuer's key". */
  readonly label: string;
  readonly status: "passed" | "failed" | "not reached" | "skipped";
  /** Why: the refusal's explanation, or what was found. */
  readonly detail: string;
}

const LABELS: Readonly<Record<CheckName, string>> = {
  decode: "the token is a well-formed compact JWS",
  issuer: "the iss claim names a configured issuer",
  header: "the header's alg, typ and crit are allowed",
  key: "a key of the issuer matches the kid and alg",
  signature: "the signature verifies with that key",
  time: "exp, nbf and iat allow the token now",
  claims: "the audience, client and required claims match",
  principal: "the principal claim is present",
};

const ORDER: readonly CheckName[] = [
  "decode",
  "issuer",
  "header",
  "key",
  "signature",
  "time",
  "claims",
  "principal",
];

/** The check a reason code refuses at; `undefined` for codes of no single check (internal errors, hooks). */
export function checkOfCode(code: string | undefined): CheckName | undefined {
  switch (code) {
    case AuthErrorCodes.MISSING:
    case AuthErrorCodes.MALFORMED:
    case AuthErrorCodes.TOO_LARGE:
      return "decode";
    case AuthErrorCodes.ISSUER_INVALID:
      return "issuer";
    case AuthErrorCodes.ALGORITHM_NOT_ALLOWED:
    case AuthErrorCodes.TYPE_INVALID:
    case AuthErrorCodes.CRIT_UNSUPPORTED:
      return "header";
    case AuthErrorCodes.KEY_NOT_FOUND:
    case AuthErrorCodes.KEY_REFUSED:
    case AuthErrorCodes.KEYS_UNAVAILABLE:
      return "key";
    case AuthErrorCodes.SIGNATURE_INVALID:
      return "signature";
    case AuthErrorCodes.EXPIRED:
    case AuthErrorCodes.NOT_YET_VALID:
    case AuthErrorCodes.IAT_INVALID:
    case AuthErrorCodes.CLAIM_INVALID:
      return "time";
    case AuthErrorCodes.AUDIENCE_INVALID:
    case AuthErrorCodes.CLAIM_MISSING:
    case AuthErrorCodes.CHECK_REFUSED:
      return "claims";
    default:
      return undefined;
  }
}

/** What a passed check found, from the decoded token (never the signature). */
function found(
  name: CheckName,
  header: JsonObject | null,
  payload: JsonObject | null,
  times: Record<string, TimeInfo>,
  verification: Verification,
): string {
  switch (name) {
    case "decode":
      return "three base64url parts, a JSON header and payload";
    case "issuer":
      return verification.issuer ? `iss ${quoted(verification.issuer)}` : "any issuer is accepted";
    case "header":
      return [
        typeof header?.alg === "string" ? `alg ${header.alg}` : "",
        typeof header?.typ === "string" ? `typ ${quoted(header.typ)}` : "",
      ]
        .filter(Boolean)
        .join(", ");
    case "key":
      return typeof header?.kid === "string" ? `kid ${quoted(header.kid)}` : "the issuer's key (no kid)";
    case "signature":
      return "verified";
    case "time": {
      const parts = ["exp", "nbf", "iat"].flatMap((c) => (times[c] ? [times[c]!.relative] : []));
      return parts.length > 0 ? parts.join("; ") : "no time claims";
    }
    case "claims": {
      const aud = payload?.aud;
      if (typeof aud === "string") return `aud ${quoted(aud)}`;
      if (Array.isArray(aud)) return `aud ${quotedList(aud)}`;
      return "no audience required";
    }
    case "principal":
      return verification.principal !== undefined ? `principal ${quoted(verification.principal)}` : "";
  }
}

/** The checks of one verification (see the file comment). */
export function verificationChecks(
  verification: Verification,
  header: JsonObject | null,
  payload: JsonObject | null,
  times: Record<string, TimeInfo>,
): VerificationCheck[] {
  if (verification.skipped)
    return ORDER.map((name) => ({
      name,
      label: LABELS[name],
      status: "skipped",
      detail: verification.explanation,
    }));
  // A refusal that names the issuer came after the verifier accepted the token: the principal.
  const failedAt = verification.valid
    ? undefined
    : verification.issuer !== undefined
      ? "principal"
      : checkOfCode(verification.code);
  let reached = true;
  return ORDER.map((name): VerificationCheck => {
    if (!reached) return { name, label: LABELS[name], status: "not reached", detail: "" };
    if (name === failedAt) {
      reached = false;
      return { name, label: LABELS[name], status: "failed", detail: verification.explanation };
    }
    if (!verification.valid && failedAt === undefined) {
      // Refused by no single check (a hook, an internal error): nothing is claimed to have passed.
      reached = false;
      return { name, label: LABELS[name], status: "failed", detail: verification.explanation };
    }
    return {
      name,
      label: LABELS[name],
      status: "passed",
      detail: found(name, header, payload, times, verification),
    };
  });
}
