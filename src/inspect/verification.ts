import type { GatepassConfig, IssuerConfig } from "../config/types.js";
import { AuthErrorCodes, isAuthError, ReasonCodes } from "../errors.js";
import { silentLogger } from "../log.js";
import { principalOf } from "../token/principal.js";
import { createVerifier } from "../token/verifier.js";
import type { JsonObject } from "../util/json.js";
import { timesOf } from "./times.js";

/** Verifies the token against the configuration, and explains a refusal with what inspection knows more. */

/** What verification may use from its surroundings: a clock and an HTTP client for keys [Date.now, node's]. */
export interface InspectEnvironment {
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

export interface Verification {
  valid: boolean;
  skipped?: boolean;
  code?: string;
  /** The library's sentence. */
  message?: string;
  /** The CLI's sentence, with what it knows more (relative times, configured values). */
  explanation: string;
  issuer?: string | null;
  principal?: string;
}

/** A value for a sentence, single-quoted and cut at 80 characters. */
export const quoted = (value: unknown) => {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return `'${text.length > 80 ? `${text.slice(0, 77)}...` : text}'`;
};
export const quotedList = (values: readonly unknown[]) => `[${values.map(quoted).join(", ")}]`;

function issuerFor(config: GatepassConfig, payload: JsonObject | null): IssuerConfig | undefined {
  const iss = payload?.iss;
  return config.issuers.find((i) => i.issuer === iss) ?? config.issuers.find((i) => i.issuer === null);
}

/** One sentence for a refused token, richer than the library's where the CLI knows more. */
function explain(
  code: string,
  message: string,
  config: GatepassConfig,
  header: JsonObject | null,
  payload: JsonObject | null,
  now: number,
): string {
  const times = timesOf(payload, now);
  const issuer = issuerFor(config, payload);
  switch (code) {
    case AuthErrorCodes.EXPIRED:
      if (times.exp) return `The token ${times.exp.relative} (exp ${times.exp.iso}).`;
      break;
    case AuthErrorCodes.NOT_YET_VALID:
      if (times.nbf) return `The token is ${times.nbf.relative} (nbf ${times.nbf.iso}).`;
      break;
    case AuthErrorCodes.IAT_INVALID:
      if (times.iat && typeof payload?.iat === "number" && payload.iat > now) {
        return `The token was ${times.iat.relative} (iat ${times.iat.iso}).`;
      }
      if (times.iat && typeof issuer?.maxTokenAgeSeconds === "number") {
        return `The token was ${times.iat.relative}, more than maxTokenAgeSeconds (${issuer.maxTokenAgeSeconds}) allows.`;
      }
      break;
    case AuthErrorCodes.AUDIENCE_INVALID:
      if (payload?.aud !== undefined && issuer?.audience) {
        const aud = Array.isArray(payload.aud) ? quotedList(payload.aud) : quoted(payload.aud);
        return `The audience ${aud} is not one of ${quotedList(issuer.audience)}.`;
      }
      break;
    case AuthErrorCodes.ISSUER_INVALID:
      if (typeof payload?.iss === "string") {
        const known = config.issuers.map((i) => i.issuer).filter((i) => i !== null);
        const iss = payload.iss;
        const near = known.find((i) => i === `${iss}/` || `${i}/` === iss);
        if (near !== undefined)
          return `The issuer ${quoted(iss)} differs from the configured issuer ${quoted(near)} only by a trailing slash (iss is compared exactly).`;
        return `The issuer ${quoted(payload.iss)} is not one of the configured issuers ${quotedList(known)}.`;
      }
      break;
    case AuthErrorCodes.ALGORITHM_NOT_ALLOWED:
      if (typeof header?.alg === "string" && header.alg.toLowerCase() !== "none") {
        const allowed = issuer?.algorithms ? ` (allowed: ${issuer.algorithms.join(", ")})` : "";
        return `The algorithm ${quoted(header.alg)} is not allowed for ${issuer?.issuer ? `the issuer ${quoted(issuer.issuer)}` : "this issuer"} or its key${allowed}.`;
      }
      break;
    case AuthErrorCodes.KEY_NOT_FOUND:
      if (typeof header?.kid === "string")
        return message.includes("the token's kid (")
          ? message.replace("the token's kid (", `the token's kid ${quoted(header.kid)} (`)
          : `${message.replace(/\.$/, "")} (kid ${quoted(header.kid)}).`;
      break;
    case AuthErrorCodes.SIGNATURE_INVALID:
      return "The signature does not verify: the token was signed with another key, or altered after signing.";
  }
  return message;
}

export async function verify(
  token: string,
  config: GatepassConfig,
  header: JsonObject | null,
  payload: JsonObject | null,
  now: number,
  environment: InspectEnvironment = {},
): Promise<Verification> {
  const verifier = createVerifier(config, { logger: silentLogger, sharedKeyCache: false, ...environment });
  try {
    const verified = await verifier.verify(token);
    // The authorizer also needs the principal; a token without one is refused there (401).
    let principal: string;
    try {
      principal = principalOf(verified.payload, config.principalClaim);
    } catch (error) {
      if (!isAuthError(error)) throw error;
      return {
        valid: false,
        code: error.code,
        message: error.message,
        explanation: error.message,
        issuer: verified.issuer,
      };
    }
    return {
      valid: true,
      explanation: "The signature and every claim check out",
      issuer: verified.issuer,
      principal,
    };
  } catch (error) {
    if (!isAuthError(error)) {
      const message = error instanceof Error ? error.message : String(error);
      return { valid: false, code: ReasonCodes.INTERNAL, message, explanation: message };
    }
    return {
      valid: false,
      code: error.code,
      message: error.message,
      explanation: explain(error.code, error.message, config, header, payload, now),
    };
  }
}
