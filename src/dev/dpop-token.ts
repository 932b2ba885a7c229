import { isAuthError } from "../errors.js";
import { ASYMMETRIC, normalizedUrl, verifyDpopProof } from "../lambda/dpop.js";
import { memoryReplayStore } from "../lambda/replay-store.js";

/**
 * DPoP at the development issuer's token endpoint (RFC 9449 §5): a `DPoP` proof header on
 * `POST /token` binds the token to the proof's key (`cnf.jkt`, `token_type: "DPoP"`). The proof is
 * checked as the authorizer checks one (`lambda/dpop.ts`: `typ`, an asymmetric `alg`, a public
 * `jwk` that verifies the signature, `jti`, `htm` = `POST`, `htu` = the token endpoint's URL, `iat`
 * within 60 s), without `ath` (no access token yet), and its `jti` is refused a second time.
 */

/** RFC 9449 §5: a proof that fails a check answers 400 `invalid_dpop_proof`. */
export class DpopProofError extends Error {
  readonly error = "invalid_dpop_proof";
}

/** How far a proof's `iat` may be from now, s. */
const WINDOW_SECONDS = 60;

/** The token endpoint's proof check: `bind(header, tokenUrl)` answers the proof key's thumbprint. */
export function tokenEndpointDpop(now: () => number): {
  bind(header: string | string[] | undefined, tokenUrl: string): string | undefined;
} {
  const seen = memoryReplayStore(now, 1000);
  return {
    /** The thumbprint the token is bound to, `undefined` without a `DPoP` header; throws {@link DpopProofError}. */
    bind(header, tokenUrl) {
      if (header === undefined) return undefined;
      // Node joins repeated headers with ", ": a JWT has no comma.
      if (Array.isArray(header) || header.includes(","))
        throw new DpopProofError("the request has more than one DPoP proof");
      try {
        const proof = verifyDpopProof(header, {
          algorithms: ASYMMETRIC,
          method: "POST",
          url: normalizedUrl(tokenUrl),
          at: now(),
          windowSeconds: WINDOW_SECONDS,
        });
        if (seen.remember(`${proof.thumbprint} ${proof.jti}`, proof.iat + WINDOW_SECONDS) !== true)
          throw new DpopProofError("the DPoP proof's jti was already used (replay)");
        return proof.thumbprint;
      } catch (error) {
        if (isAuthError(error)) throw new DpopProofError(error.message);
        throw error;
      }
    },
  };
}
