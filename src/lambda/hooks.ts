import { AuthError, AuthErrorCodes, ConfigError } from "../errors.js";
import { describeThrown, type TokenCheck, withCheck } from "../token/check.js";
import type { VerifiedToken, Verifier } from "../token/verifier.js";
import { deepFreeze } from "../util/freeze.js";
import type { JsonObject } from "../util/json.js";

/**
 * The library hooks of `createAuthorizer` (`check`, `context`), made ready for `buildAuthorizer`.
 * Only `createAuthorizer` imports this module, so the Lambda bundles (`gatepass/lambda`,
 * `gatepass bundle`), which cannot carry functions in their configuration, carry none of it.
 */

/**
 * The `context` hook of `createAuthorizer`: values to add to the authorizer context, computed from
 * the verified (frozen) payload and header. Sync or async. Its answer is `undefined` or an object
 * whose values are strings, finite numbers or booleans; they are added after the configured claims,
 * under the same size cap (`context.maxBytes` and the API's result size). A key is left out (logged
 * in `context_truncated`) when its value is of another type, when there is no room, or when it is
 * gatepass's own: a `context.claims` name (whether or not the token has it), a name starting with
 * `/` (claim pointers), `principalId`, `integrationLatency`, `claims`, `gatepass:json`, `__proto__`.
 * A hook that throws or answers anything else fails closed: 401, reason `ERR_HOOK_FAILED`.
 */
export type ContextHook = (
  payload: Readonly<JsonObject>,
  header: Readonly<JsonObject>,
  token: { readonly issuer: string | null },
) => ContextHookResult | Promise<ContextHookResult>;

/** What a {@link ContextHook} answers. */
export type ContextHookResult = Readonly<Record<string, string | number | boolean>> | undefined;

/** The hooks as `buildAuthorizer` applies them. */
export interface AuthorizerHooks {
  /** Wraps the verifier (the `check` hook). */
  readonly verifier?: (verifier: Verifier) => Verifier;
  /** The context hook's values for a verified token; rejects with `ERR_HOOK_FAILED`. */
  readonly contextValues?: (
    verified: VerifiedToken,
  ) => Promise<Readonly<Record<string, unknown>> | undefined>;
}

/** The hooks of `options`; a hook that is not a function is a `ConfigError` (cold start). */
export function authorizerHooks(options: {
  readonly check?: TokenCheck;
  readonly context?: ContextHook;
}): AuthorizerHooks {
  const { check, context } = options;
  if (check !== undefined && typeof check !== "function")
    throw new ConfigError("options.check", `expected a function, got ${typeof check}.`);
  if (context !== undefined && typeof context !== "function")
    throw new ConfigError("options.context", `expected a function, got ${typeof context}.`);
  return {
    verifier: check === undefined ? undefined : (verifier) => withCheck(verifier, check),
    contextValues: context === undefined ? undefined : (verified) => runContextHook(context, verified),
  };
}

/** The context hook's values for a verified token; throws `ERR_HOOK_FAILED` when it fails. */
async function runContextHook(
  hook: ContextHook,
  verified: VerifiedToken,
): Promise<Readonly<Record<string, unknown>> | undefined> {
  deepFreeze(verified);
  // The answer is copied inside the try: a getter or proxy that throws is the hook's failure too.
  // A prototype-less copy: a "__proto__" key stays an ordinary key (and is then left out).
  const values: Record<string, unknown> = Object.create(null);
  let answer: unknown;
  try {
    answer = await hook(verified.payload, verified.header, { issuer: verified.issuer });
    if (typeof answer === "object" && answer !== null && !Array.isArray(answer)) {
      for (const key of Object.keys(answer)) values[key] = (answer as Record<string, unknown>)[key];
    }
  } catch (error) {
    throw new AuthError(AuthErrorCodes.HOOK_FAILED, `The context hook threw (${describeThrown(error)}).`, {
      cause: error,
    });
  }
  if (answer === undefined) return undefined;
  if (typeof answer !== "object" || answer === null || Array.isArray(answer))
    throw new AuthError(
      AuthErrorCodes.HOOK_FAILED,
      "The context hook answered neither an object nor undefined.",
    );
  return values;
}
