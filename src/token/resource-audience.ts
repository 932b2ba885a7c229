import { AuthError, AuthErrorCodes } from "../errors.js";
import type { JsonObject } from "../util/json.js";
import { type ClaimRules, validateClaims as validateRegisteredClaims } from "./claims.js";

/**
 * The claims check of the verifier: `claims.ts`'s, then the protected resource's audience.
 *
 * RFC 8707 §2 and the MCP authorization specification (2025-11-25, "Token Handling", "Access Token
 * Privilege Restriction"): with `resource` configured, a token is accepted only when its `aud` names
 * `resource.uri` (a string equal to it, or an array holding it; compared exactly, as strings), on top
 * of its issuer's own `audience` check. Refused: `ERR_JWT_AUDIENCE_INVALID` (401).
 *
 * A module of its own so that `gatepass bundle --config` for a configuration without `resource`
 * resolves the verifier's import of it to `claims.ts` directly: such a bundle carries none of this.
 */
export function validateClaims(payload: JsonObject, rules: ClaimRules, now: number): void {
  validateRegisteredClaims(payload, rules, now);
  const resource = rules.resourceAudience;
  if (resource === undefined) return;
  const aud = payload.aud;
  if (aud === resource || (Array.isArray(aud) && aud.includes(resource))) return;
  throw new AuthError(
    AuthErrorCodes.AUDIENCE_INVALID,
    aud === undefined
      ? "The token has no aud claim; it must name this resource (resource.uri)."
      : "The token's aud does not name this resource (resource.uri): it was not issued for this resource.",
  );
}
