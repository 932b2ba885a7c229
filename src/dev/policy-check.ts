import { evaluatePolicy, validateAuthorizerResponse } from "../policy/evaluate.js";
import { resultBytes } from "../policy/limits.js";

/**
 * The gateway's view of an authorizer response: validated once (as API Gateway does before it
 * caches anything), then kept in a normalized form the result cache stores and every later
 * request re-evaluates. Validation and IAM evaluation themselves live in `policy/evaluate.ts`.
 */
export type CheckedResponse =
  | {
      readonly kind: "policy";
      readonly principalId: string;
      readonly policyDocument: unknown;
      readonly context: Record<string, unknown>;
      /** The API key a usage plan meters (REST, key source `AUTHORIZER`); `null` when none. */
      readonly usageIdentifierKey: string | null;
    }
  | { readonly kind: "simple"; readonly isAuthorized: boolean; readonly context: Record<string, unknown> };

/**
 * Validates `response` for the expected kind; `reason` lists exactly what is invalid. With
 * `maxBytes` (see `maxResultBytes`), a response whose JSON is larger is invalid too.
 */
export function checkAuthorizerResponse(
  response: unknown,
  kind: "policy" | "simple",
  options: { flatContext: boolean; maxBytes?: number },
): { ok: true; response: CheckedResponse } | { ok: false; reason: string } {
  const problems = validateAuthorizerResponse(response, kind === "policy" ? "iam" : "simple", options);
  if (options.maxBytes !== undefined && problems.length === 0) {
    const bytes = resultBytes(response);
    if (bytes === undefined) problems.push("the response cannot be serialized as JSON");
    else if (bytes > options.maxBytes)
      problems.push(
        `the response is ${bytes} bytes of JSON; API Gateway accepts at most ${options.maxBytes} for this API type`,
      );
  }
  if (problems.length > 0) {
    const expected = kind === "policy" ? "an IAM policy response" : "a simple response";
    return { ok: false, reason: `expected ${expected}: ${problems.join("; ")}` };
  }
  const r = response as Record<string, unknown>;
  const context: Record<string, unknown> = {};
  const given = r.context;
  if (typeof given === "object" && given !== null) {
    // What reaches the integration: JSON drops undefined values. (`for…in` with an own-property
    // check walks the same keys as `Object.entries`, without an array of pairs per response.)
    const source = given as Record<string, unknown>;
    for (const key in source) {
      if (!Object.hasOwn(source, key)) continue;
      const value = source[key];
      if (value !== undefined && key !== "__proto__") context[key] = value;
    }
  }
  if (kind === "simple")
    return { ok: true, response: { kind, isAuthorized: r.isAuthorized === true, context } };
  return {
    ok: true,
    response: {
      kind,
      principalId: r.principalId as string,
      policyDocument: r.policyDocument,
      context,
      usageIdentifierKey: typeof r.usageIdentifierKey === "string" ? r.usageIdentifierKey : null,
    },
  };
}

/** The IAM answer of a (validated) policy document for `arn`: explicit Deny wins, then Allow, else implicit deny. */
export function evaluateCachedPolicy(
  policyDocument: unknown,
  arn: string,
): { effect: "allow" | "deny" | "implicit-deny" } {
  const outcome = evaluatePolicy(policyDocument, arn);
  return { effect: outcome === "explicit-deny" ? "deny" : outcome };
}
