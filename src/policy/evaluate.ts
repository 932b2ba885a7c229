import { matchIamGlob, matchIamGlobAt } from "./iam-glob.js";
import { MAX_CONTEXT_DEPTH, MAX_POLICY_RESOURCE_LENGTH, nestsDeeperThan } from "./limits.js";

/**
 * IAM evaluation of an authorizer's policy against a request ARN, as API Gateway does when it
 * reuses a cached result (AWS: api-gateway-lambda-authorizer-output.html, "Authorizer caching"),
 * and validation of authorizer responses against every rule AWS documents for them (the local gateway answers 500 when this reports a problem).
 */

/** What IAM concludes for one request: allowed, denied by a matching Deny, or denied for lack of an Allow (both denials give 403). */
export type PolicyOutcome = "allow" | "explicit-deny" | "implicit-deny";

const INVOKE = "execute-api:Invoke";
const BENIGN_KEYS = new Set(["Sid", "Effect", "Action", "Resource"]);
const STATEMENT_KEYS = new Set([
  "Sid",
  "Effect",
  "Action",
  "NotAction",
  "Resource",
  "NotResource",
  "Condition",
]);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A string or an array of strings, else `null`. */
function stringList(value: unknown): readonly string[] | null {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value as string[];
  return null;
}

function actionCovers(action: string): boolean {
  return matchIamGlob(action, INVOKE, true);
}

const STAR = 42;
const QUESTION = 63;
const COLON = 58;

/**
 * ARN matching for an Allow, as AWS documents it: wildcards work "within the individual segments of
 * an ARN (the parts separated by colons)", and "If the * wildcard is the last character of a resource
 * ARN segment, it can expand to match beyond the colon boundaries". So a `*` followed by `:` or ending
 * the pattern spans any run (colons included); every other `*`, and every `?`, stays within one
 * `:`-separated field of the ARN.
 *
 * The pattern is read segment by segment. A segment that does not end with `*` matches exactly one
 * field of the ARN (a plain glob: no field holds a `:`). A segment ending with `*` matches the start
 * of one field, then its last `*` may take any number of whole fields more. Greedy with one
 * restart point (the last such segment takes one more field), as a glob with `*` over fields: at
 * most O(pattern × ARN); gatepass's own resources match in one pass, allocating nothing.
 *
 * A colon inside a path counts as a boundary too. That is the stricter reading: one user report
 * (serverless-offline issue #560) says API Gateway let `…/POST/foo/*` + `/baz` allow `…/foo/bar:bar/baz`.
 */
function allowMatches(pattern: string, arn: string): boolean {
  // The literal head of the pattern (usually `arn:…:{account}:{api}/{stage}/`) is compared at once;
  // the segments it holds whole are then done.
  const head = Math.min(pattern.length, arn.length);
  let i = 0;
  let start = 0;
  for (; i < head; i++) {
    const c = pattern.charCodeAt(i);
    if (c === STAR || c === QUESTION) break;
    if (c !== arn.charCodeAt(i)) return false;
    if (c === COLON) start = i + 1;
  }
  if (i === pattern.length) return i === arn.length;
  let p = start; // start of the current pattern segment
  let a = start; // start of the current ARN field
  let restartP = -1; // pattern segment after the last segment ending with `*`
  let restartA = 0; // ARN field where that `*` stopped
  for (;;) {
    let pe = pattern.indexOf(":", p);
    if (pe === -1) pe = pattern.length;
    let ae = arn.indexOf(":", a);
    if (ae === -1) ae = arn.length;
    const lastSegment = pe === pattern.length;
    const lastField = ae === arn.length;
    if (pe > p && pattern.charCodeAt(pe - 1) === STAR) {
      if (matchIamGlobAt(pattern, p, pe, arn, a, ae)) {
        if (lastSegment) return true; // its `*` takes the rest of the ARN
        // Later segments need a field each; moving an earlier `*` on only leaves fewer.
        if (lastField) return false;
        restartP = pe + 1;
        restartA = ae + 1;
        p = pe + 1;
        a = ae + 1;
        continue;
      }
    } else if (lastSegment === lastField && matchIamGlobAt(pattern, p, pe, arn, a, ae)) {
      if (lastSegment) return true;
      p = pe + 1;
      a = ae + 1;
      continue;
    }
    // Mismatch: let the last segment-ending `*` take one more whole field, and retry after it.
    if (restartP === -1) return false;
    const next = arn.indexOf(":", restartA);
    if (next === -1) return false;
    restartA = next + 1;
    p = restartP;
    a = restartA;
  }
}

/**
 * ARN matching for a Deny: the whole string at once, every `*` spanning colons and `?` matching any
 * character (looser than {@link allowMatches}): whether AWS lets a `*` inside a segment span a `:` of
 * a path is not documented, so a Deny that might apply, applies.
 */
function denyMatches(pattern: string, arn: string): boolean {
  return matchIamGlob(pattern, arn);
}

/**
 * Evaluates an IAM policy document for `execute-api:Invoke` on `requestArn`:
 * an explicit Deny wins; otherwise a matching Allow allows; otherwise the request is implicitly denied.
 *
 * - `Action` (string or array) is matched case-insensitively (IAM action names are), wildcards
 *   included: `execute-api:*` and `*` cover `execute-api:Invoke`.
 * - `Resource` (string or array) uses IAM globs: `*` spans any run of characters including `/` and
 *   nothing, `?` exactly one character (so `…/Prod/*` + `/*` covers the root `…/Prod/GET/`). For an
 *   Allow, as AWS documents: wildcards stay within a `:`-separated segment of the ARN, except a `*`
 *   that is the last character of a segment of the pattern (followed by `:` or ending it), which runs
 *   past colons (`arn:aws:execute-api:*` covers every ARN of the service; `…/dev/GET/a*b` does not
 *   cover `…/dev/GET/a:b`). For a Deny, every `*` spans colons and `?` matches any character, so a
 *   Deny applies wherever any reading would apply it.
 * - Conservative where gatepass cannot evaluate exactly: an Allow with `Condition`, `NotAction`,
 *   `NotResource` or any other extra element is ignored (never allows); a Deny's `Condition` is assumed
 *   true, and its `NotAction` / `NotResource` are assumed to leave the request in (the Deny applies).
 * - A malformed document or statement (no `Statement` array, an `Effect` other than exactly `Allow` or
 *   `Deny`, missing or non-string `Action`/`Resource`) cannot allow: the result is then at best
 *   `"implicit-deny"` (API Gateway would answer 500; use {@link validateAuthorizerResponse} for why).
 *
 * @example
 * evaluatePolicy(
 *   { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "execute-api:Invoke", Resource: "arn:aws:execute-api:us-east-1:123456789012:abc/dev/*" }] },
 *   "arn:aws:execute-api:us-east-1:123456789012:abc/dev/GET/",
 * ) // "allow"
 */
export function evaluatePolicy(policyDocument: unknown, requestArn: string): PolicyOutcome {
  if (typeof requestArn !== "string" || !isRecord(policyDocument)) return "implicit-deny";
  const statements = policyDocument.Statement;
  if (!Array.isArray(statements)) return "implicit-deny";
  let allowed = false;
  let malformed = false;
  for (const statement of statements) {
    if (!isRecord(statement)) {
      malformed = true;
      continue;
    }
    const effect = statement.Effect;
    if (effect !== "Allow" && effect !== "Deny") {
      malformed = true;
      continue;
    }
    const actions = stringList(statement.Action);
    const resources = stringList(statement.Resource);
    if (effect === "Deny") {
      // What gatepass cannot evaluate is assumed to match: a Deny that might apply, applies.
      const actionHit = actions !== null ? actions.some(actionCovers) : statement.NotAction !== undefined;
      const resourceHit =
        resources !== null
          ? resources.some((r) => denyMatches(r, requestArn))
          : statement.NotResource !== undefined;
      if (actionHit && resourceHit) return "explicit-deny";
      if (
        (actions === null && statement.NotAction === undefined) ||
        (resources === null && statement.NotResource === undefined)
      ) {
        malformed = true;
      }
      continue;
    }
    if (actions === null || resources === null) {
      // NotAction / NotResource grants are ignored; anything else missing is malformed.
      if (
        (actions === null && statement.NotAction === undefined) ||
        (resources === null && statement.NotResource === undefined)
      ) {
        malformed = true;
      }
      continue;
    }
    if (allowed) continue;
    let conditional = false;
    for (const key in statement) {
      if (Object.hasOwn(statement, key) && !BENIGN_KEYS.has(key)) conditional = true;
    }
    // An Allow with a Condition (or any other element) might not apply: never count it.
    if (!conditional && actions.some(actionCovers) && resources.some((r) => allowMatches(r, requestArn)))
      allowed = true;
  }
  return allowed && !malformed ? "allow" : "implicit-deny";
}

/** Options of {@link validateAuthorizerResponse}. */
export interface ValidateOptions {
  /**
   * Context values must be strings, numbers or booleans (REST, WebSocket, HTTP payload 1.0). For
   * HTTP payload 2.0 pass `false`: any JSON value is accepted.
   */
  readonly flatContext: boolean;
  /** Context keys that must not be used, e.g. `["claims"]` for HTTP payload 1.0 [none]. */
  readonly reservedContextKeys?: readonly string[];
}

const show = (value: unknown): string => {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 76)}..."` : text;
  }
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return `a ${typeof value}`;
};

export { MAX_POLICY_RESOURCE_LENGTH };

// Field paths are built only for a message: a valid response (every response the local gateway
// checks) allocates none of them.
const contextPath = (key: string) =>
  `context${/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`;
const statementPath = (index: number) => `policyDocument.Statement[${index}]`;

function validateContext(context: unknown, options: ValidateOptions, errors: string[]): void {
  if (context === undefined) return;
  if (!isRecord(context)) {
    errors.push(`context must be an object (got ${show(context)})`);
    return;
  }
  const reserved = options.reservedContextKeys ?? [];
  for (const key of Object.keys(context)) {
    const value = context[key];
    if (reserved.includes(key)) errors.push(`${contextPath(key)} uses a reserved key`);
    if (value === undefined) continue; // dropped by JSON serialization
    if (options.flatContext) {
      const ok =
        typeof value === "string" ||
        typeof value === "boolean" ||
        (typeof value === "number" && Number.isFinite(value));
      if (!ok) errors.push(`${contextPath(key)} must be a string, number or boolean (got ${show(value)})`);
    } else if (nestsDeeperThan(value, MAX_CONTEXT_DEPTH)) {
      errors.push(`${contextPath(key)} nests more than ${MAX_CONTEXT_DEPTH} levels of arrays and objects`);
    } else if (!isJsonValue(value)) {
      errors.push(`${contextPath(key)} must be a JSON value (got ${show(value)})`);
    }
  }
}

/** A JSON value (its depth checked already, so the recursion is bounded). */
function isJsonValue(value: unknown): boolean {
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isJsonValue(v));
  if (isRecord(value)) return Object.values(value).every((v) => v === undefined || isJsonValue(v));
  return false;
}

function validateStatement(statement: unknown, index: number, errors: string[]): void {
  if (!isRecord(statement)) {
    errors.push(`${statementPath(index)} must be an object (got ${show(statement)})`);
    return;
  }
  for (const key of Object.keys(statement)) {
    if (!STATEMENT_KEYS.has(key))
      errors.push(
        `${statementPath(index)}.${key} is not a statement element (expected ${[...STATEMENT_KEYS].join(", ")})`,
      );
  }
  if (statement.Effect !== "Allow" && statement.Effect !== "Deny") {
    errors.push(`${statementPath(index)}.Effect must be "Allow" or "Deny" (got ${show(statement.Effect)})`);
  }
  if (statement.Sid !== undefined && typeof statement.Sid !== "string")
    errors.push(`${statementPath(index)}.Sid must be a string (got ${show(statement.Sid)})`);
  const actionKey =
    statement.Action !== undefined ? "Action" : statement.NotAction !== undefined ? "NotAction" : null;
  if (actionKey === null) errors.push(`${statementPath(index)}.Action is required`);
  else if (statement.Action !== undefined && statement.NotAction !== undefined)
    errors.push(`${statementPath(index)} must not have both Action and NotAction`);
  else {
    const value = statement[actionKey];
    const list = stringList(value);
    if (list === null || list.length === 0) {
      errors.push(
        `${statementPath(index)}.${actionKey} must be a string or a non-empty array of strings (got ${show(value)})`,
      );
    } else if (actionKey === "Action") {
      list.forEach((action, i) => {
        if (!actionCovers(action)) {
          const field =
            typeof value === "string"
              ? `${statementPath(index)}.Action`
              : `${statementPath(index)}.Action[${i}]`;
          errors.push(
            `${field} must be "execute-api:Invoke" (or a wildcard such as "execute-api:*" covering it) (got ${show(action)})`,
          );
        }
      });
    }
  }
  const resourceKey =
    statement.Resource !== undefined
      ? "Resource"
      : statement.NotResource !== undefined
        ? "NotResource"
        : null;
  if (resourceKey === null) errors.push(`${statementPath(index)}.Resource is required`);
  else if (statement.Resource !== undefined && statement.NotResource !== undefined)
    errors.push(`${statementPath(index)} must not have both Resource and NotResource`);
  else {
    const value = statement[resourceKey];
    const list = stringList(value);
    if (list === null) {
      errors.push(
        `${statementPath(index)}.${resourceKey} must be an ARN string or an array of ARN strings (got ${show(value)})`,
      );
    } else {
      for (let i = 0; i < list.length; i++) {
        const resource = list[i]!;
        const bad =
          resource !== "*" && !resource.startsWith("arn:")
            ? `must be an ARN ("arn:…") or "*" (got ${show(resource)})`
            : resource.length > MAX_POLICY_RESOURCE_LENGTH
              ? `must be at most ${MAX_POLICY_RESOURCE_LENGTH} characters (got ${resource.length})`
              : null;
        if (bad === null) continue;
        const field = `${statementPath(index)}.${resourceKey}`;
        errors.push(`${typeof value === "string" ? field : `${field}[${i}]`} ${bad}`);
      }
    }
  }
  if (statement.Condition !== undefined && !isRecord(statement.Condition)) {
    errors.push(`${statementPath(index)}.Condition must be an object (got ${show(statement.Condition)})`);
  }
}

/**
 * Checks an authorizer response against AWS's output rules (api-gateway-lambda-authorizer-output.html, http-api-lambda-authorizer.html) and returns one message per problem
 * (empty when valid). Messages name the exact field and what it held, e.g.
 * `policyDocument.Statement[0].Effect must be "Allow" or "Deny" (got "allow")`.
 *
 * - `"iam"`: `principalId` a non-empty string; `policyDocument` an object with `Version`
 *   `"2012-10-17"` and `Statement` an array of statement objects, each with `Effect` exactly `Allow`
 *   or `Deny`, `Action` (string or non-empty array) covering `execute-api:Invoke`, `Resource` an ARN
 *   string (or `*`) or an array of them, each at most 512 characters (`NotAction`/`NotResource` are
 *   accepted in their place, `Condition` must be an object, other elements are refused);
 *   `usageIdentifierKey`, when present, a string; `context`, when present, an object.
 * - `"simple"`: `isAuthorized` a real boolean; `context`, when present, an object.
 * - `context` with `flatContext`: every value a string, finite number or boolean (no null, object or
 *   array); without it, any JSON value. `undefined` values are ignored (JSON drops them).
 *
 * @example
 * validateAuthorizerResponse({ isAuthorized: "true" }, "simple", { flatContext: false })
 * // ['isAuthorized must be a boolean (got "true")']
 */
export function validateAuthorizerResponse(
  response: unknown,
  kind: "iam" | "simple",
  options: ValidateOptions,
): string[] {
  const errors: string[] = [];
  if (!isRecord(response)) return [`the response must be an object (got ${show(response)})`];
  if (kind === "simple") {
    if (typeof response.isAuthorized !== "boolean")
      errors.push(`isAuthorized must be a boolean (got ${show(response.isAuthorized)})`);
    validateContext(response.context, options, errors);
    return errors;
  }
  if (typeof response.principalId !== "string" || response.principalId.length === 0) {
    errors.push(`principalId must be a non-empty string (got ${show(response.principalId)})`);
  }
  const doc = response.policyDocument;
  if (!isRecord(doc)) {
    errors.push(`policyDocument must be an object (got ${show(doc)})`);
  } else {
    if (doc.Version !== "2012-10-17")
      errors.push(`policyDocument.Version must be "2012-10-17" (got ${show(doc.Version)})`);
    if (!Array.isArray(doc.Statement)) {
      errors.push(`policyDocument.Statement must be an array (got ${show(doc.Statement)})`);
    } else {
      doc.Statement.forEach((statement, i) => {
        validateStatement(statement, i, errors);
      });
    }
  }
  if (response.usageIdentifierKey !== undefined && typeof response.usageIdentifierKey !== "string") {
    errors.push(`usageIdentifierKey must be a string (got ${show(response.usageIdentifierKey)})`);
  }
  validateContext(response.context, options, errors);
  return errors;
}
