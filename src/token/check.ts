import { AuthError, AuthErrorCodes, type CheckReasonCode, ConfigError, ReasonCodes } from "../errors.js";
import { deepFreeze } from "../util/freeze.js";
import type { JsonObject } from "../util/json.js";

/**
 * The `check` hook of `createVerifier` and `createAuthorizer`: a test of the application's own
 * that configuration cannot say, run after every other check passed (like aws-jwt-verify's
 * `customJwtCheck`), on every verification, cached tokens included.
 *
 * It gets the verified payload and header (frozen: a hook cannot change what the rules then read)
 * and the issuer that accepted the token, and answers (or resolves to):
 * - `undefined` (nothing) or `true`: accepted;
 * - `false`: refused, reason `ERR_CHECK_REFUSED`;
 * - a reason code of its own, `ERR_` then `A-Z`, `0-9`, `_` (`"ERR_TENANT_SUSPENDED"`): refused,
 *   with that code as the refusal's `reason` (the error's `code` is `ERR_CHECK_REFUSED`).
 * Every refusal is not authenticated: a 401. A hook that throws, rejects or answers anything else
 * fails closed with `ERR_HOOK_FAILED` (also a 401, logged at level `error`): never an Allow.
 */
export type TokenCheck = (
  payload: Readonly<JsonObject>,
  header: Readonly<JsonObject>,
  token: { readonly issuer: string | null },
) => TokenCheckResult | Promise<TokenCheckResult>;

/** What a {@link TokenCheck} answers (see there); `void` so that a hook may simply not return. */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook written without a return statement returns void
export type TokenCheckResult = undefined | boolean | CheckReasonCode | void;

const OWN_CODE = /^ERR_[A-Z0-9_]{1,60}$/;
/** Codes that mean a 403 (the rules' own): a hook refusal is a 401 and may not claim them. */
const RULE_CODES: readonly string[] = [
  ReasonCodes.SCOPE_MISSING,
  ReasonCodes.CLAIM_MISMATCH,
  ReasonCodes.ROUTE_NOT_ALLOWED,
];

/** A sentence about what a hook threw, safe to log: the error's name and the start of its message. */
export function describeThrown(error: unknown): string {
  if (!(error instanceof Error)) return "a non-error value";
  const message = error.message.length > 160 ? `${error.message.slice(0, 157)}...` : error.message;
  return `${error.name}: ${message}`;
}

/** Applies a check's answer: returns when it accepts, throws the {@link AuthError} it means otherwise. */
function settle(answer: unknown): void {
  if (answer === undefined || answer === true) return;
  if (answer === false)
    throw new AuthError(AuthErrorCodes.CHECK_REFUSED, "The check hook refused the token.");
  if (typeof answer === "string" && OWN_CODE.test(answer) && !RULE_CODES.includes(answer)) {
    throw new AuthError(AuthErrorCodes.CHECK_REFUSED, `The check hook refused the token (${answer}).`, {
      reason: answer as CheckReasonCode,
    });
  }
  throw new AuthError(
    AuthErrorCodes.HOOK_FAILED,
    "The check hook answered neither true, false, undefined nor a reason code ERR_[A-Z0-9_]+ (a rule code is not one).",
  );
}

function failed(error: unknown): never {
  throw new AuthError(AuthErrorCodes.HOOK_FAILED, `The check hook threw (${describeThrown(error)}).`, {
    cause: error,
  });
}

/** What {@link withCheck} needs of a verifier (the `Verifier` of `verifier.ts`, structurally). */
export interface CheckableVerifier {
  verify<T = JsonObject>(
    token: string,
  ): Promise<{
    readonly header: JsonObject;
    readonly payload: T & JsonObject;
    readonly issuer: string | null;
  }>;
  hydrate(): Promise<void>;
}

/**
 * A verifier that runs `check` after `verifier` accepted a token. Only `createVerifier` and
 * `createAuthorizer` build one, when a hook is given: the Lambda bundles (which build their handler
 * with `buildAuthorizer`) carry none of this module.
 */
export function withCheck<V extends CheckableVerifier>(verifier: V, check: TokenCheck): V {
  if (typeof check !== "function")
    throw new ConfigError("options.check", `expected a function, got ${typeof check}.`);
  async function verify<T = JsonObject>(token: string) {
    const verified = await verifier.verify<T>(token);
    deepFreeze(verified);
    let answer: unknown;
    try {
      answer = check(verified.payload, verified.header, { issuer: verified.issuer });
      if (typeof (answer as PromiseLike<unknown> | null)?.then === "function") answer = await answer;
    } catch (error) {
      failed(error);
    }
    settle(answer);
    return verified;
  }
  return { verify, hydrate: () => verifier.hydrate() } as CheckableVerifier as V;
}
