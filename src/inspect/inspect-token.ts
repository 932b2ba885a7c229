import type { GatepassConfig } from "../config/types.js";
import { AuthErrorCodes, isAuthError } from "../errors.js";
import { decodeUnverified } from "../token/decode.js";
import type { JsonObject } from "../util/json.js";
import { type VerificationCheck, verificationChecks } from "./checks.js";
import { decideRoute, type Route, type RouteResult } from "./route.js";
import { type TimeInfo, timesOf } from "./times.js";
import { type InspectEnvironment, type Verification, verify } from "./verification.js";

/**
 * Why a token is accepted or refused, and what the authorizer answers for a route: the computing
 * core of `gatepass inspect` and of the dev console's token explainer (both only print it).
 */

/** The token decoded without verification: header and payload, never the signature. */
export interface DecodedView {
  header: JsonObject | null;
  payload: JsonObject | null;
  verified: false;
  note: string;
  error?: { code: string; message: string };
}

export interface TokenInspection {
  token: DecodedView;
  /** `auth_time`, `iat`, `nbf`, `exp` in words, relative to now. */
  times: Record<string, TimeInfo>;
  verification: Verification;
  /** The verification as checks, passed, failed or not reached. */
  checks: VerificationCheck[];
  /** The answer for the route asked about (with a configuration only). */
  route?: RouteResult;
}

export interface InspectOptions {
  /** A request to decide, as API Gateway would see it. */
  route?: Route;
  /** Seconds since the epoch [the environment's clock, or Date.now]. */
  now?: number;
  /** Clock and HTTP client for the verifier and the authorizer. */
  environment?: InspectEnvironment;
  /** The explanation when `config` is `null` (nothing to verify against). */
  noConfiguration?: string;
}

/** Decodes `token` for display (a generous cap: verification applies the configured one). */
export function decodeForDisplay(token: string): DecodedView {
  try {
    const { header, payload } = decodeUnverified(token, 65536);
    return { header, payload, verified: false, note: "decoded without verification" };
  } catch (error) {
    return {
      header: null,
      payload: null,
      verified: false,
      note: "decoded without verification",
      error: isAuthError(error)
        ? { code: error.code, message: error.message }
        : { code: AuthErrorCodes.MALFORMED, message: String(error) },
    };
  }
}

/**
 * Inspects `token` against `config` (`null`: decode only). Throws a `ConfigError` when `config`
 * cannot build an authorizer for the route.
 *
 * @example
 * const report = await inspectToken(token, config, { route: { method: "GET", path: "/orders/42" } });
 * report.checks.find((c) => c.status === "failed")?.detail; // "The token expired 3 minutes ago (exp …)."
 */
export async function inspectToken(
  token: string,
  config: GatepassConfig | null,
  options: InspectOptions = {},
): Promise<TokenInspection> {
  const environment = options.environment ?? {};
  const now = options.now ?? (environment.now ?? Date.now)() / 1000;
  const decoded = decodeForDisplay(token);
  const { header, payload } = decoded;
  const verification: Verification =
    config === null
      ? {
          valid: false,
          skipped: true,
          explanation: options.noConfiguration ?? "no configuration to verify against.",
        }
      : await verify(token, config, header, payload, now, environment);
  const route =
    options.route && config !== null
      ? await decideRoute(token, config, options.route, environment)
      : undefined;
  const times = timesOf(payload, now);
  return {
    token: decoded,
    times,
    verification,
    checks: verificationChecks(verification, header, payload, times),
    ...(route ? { route } : {}),
  };
}
