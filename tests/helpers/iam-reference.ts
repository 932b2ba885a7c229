/**
 * An independent reference of how API Gateway judges an authorizer's IAM policy for one request ARN:
 * the tests' oracle. It is written from AWS's documentation only and imports nothing from `src/`, so
 * a bug in gatepass's own evaluator (`src/policy/evaluate.ts`) cannot hide in the tests that use it.
 *
 * What the documentation says, and where:
 * - Evaluation: "An explicit deny in any policy overrides any allows"; by default every request is
 *   implicitly denied, and an Allow must match to override that.
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 *   For authorizer policies: a matching Deny gives 403 "…with an explicit deny", no matching Allow
 *   403 "User is not authorized to access this resource" (AWS: api-gateway-lambda-authorizer-output.html, supported-gateway-response-types.html).
 * - Resource: "You can use wildcard characters (* and ?) within the individual segments of an ARN (the
 *   parts separated by colons)"; `*` is "any combination of characters", `?` "any single character";
 *   "If the * wildcard is the last character of a resource ARN segment, it can expand to match beyond
 *   the colon boundaries"; the `*` "can expand to replace everything within the segment, including
 *   characters like a forward slash (/)"; `Resource` is one ARN or an array of them; resource names
 *   are case-sensitive.
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 * - Action: "The prefix and the action name are case insensitive", wildcards allowed.
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html
 * - The execute-api ARN: `arn:{partition}:execute-api:{region}:{account-id}:{api-id}/{stage}/{METHOD}/{path}`
 *   (WebSocket: `…/{stage}/{route-key}`), and examples such as
 *   `arn:aws:execute-api:us-east-1:*:a123456789/test/POST/my-demo-resource-path/*` (any POST under that
 *   path in stage `test`), or any stage and method of `petstorewalkthrough/pets` with `*` in the
 *   region, account, stage and method.
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
 *   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-iam-policy-examples-for-api-execution.html
 *
 * Where the documentation leaves room, the reference is conservative (it never grants more, never
 * denies less, than any reading would):
 * - A `*` or `?` inside a segment may or may not be able to span a `:` (a path may hold one). An Allow
 *   is matched with the narrow reading (only a `*` ending a segment, i.e. followed by `:` or the end of
 *   the pattern, may span colons; `?` never matches `:`), a Deny with the wide one (every `*` spans
 *   anything, `?` is any one character).
 * - A statement with a `Condition`, `NotAction`, `NotResource`, or any element other than `Sid`,
 *   `Effect`, `Action`, `Resource`, is not evaluated exactly: as an Allow it never matches, as a Deny
 *   it matches whenever what it does state (`Action`, `Resource`) matches.
 * - Characters are UTF-16 code units, as in JavaScript strings.
 *
 * The matcher is a dynamic program over the pattern and the text; no regular expression is built.
 */

/** What API Gateway concludes, or `"invalid"` for a document it would refuse (500, never an Allow). */
export type ReferenceVerdict = "allow" | "explicit-deny" | "implicit-deny" | "invalid";

/**
 * How `*` and `?` treat `:` (see the header): `"wide"`, any character; `"narrow"`, only a `*` ending a
 * segment (followed by `:` or the end of the pattern) spans colons; `"strict"`, only a `*` ending the
 * whole pattern does. `?` matches `:` only in the wide reading. strict ⊆ narrow ⊆ wide.
 */
export type WildcardReading = "strict" | "narrow" | "wide";

const COLON = ":";

/**
 * Glob match of a whole `text` by `pattern`, by dynamic programming: `reach[j]` says whether the
 * pattern read so far can consume exactly `text[0, j)`.
 */
export function referenceGlobMatch(
  pattern: string,
  text: string,
  options: { reading?: WildcardReading; ignoreAsciiCase?: boolean } = {},
): boolean {
  const reading = options.reading ?? "wide";
  const fold = options.ignoreAsciiCase === true;
  const n = text.length;
  let reach: boolean[] = new Array<boolean>(n + 1).fill(false);
  reach[0] = true;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const next: boolean[] = new Array<boolean>(n + 1).fill(false);
    if (p === "*") {
      const last = i === pattern.length - 1;
      const spansColon = reading === "wide" || last || (reading === "narrow" && pattern[i + 1] === COLON);
      // Zero characters, or one more character than a position already reached.
      for (let j = 0; j <= n; j++) {
        if (reach[j]) next[j] = true;
        else if (j > 0 && next[j - 1] && (spansColon || text[j - 1] !== COLON)) next[j] = true;
      }
    } else {
      for (let j = 1; j <= n; j++) {
        if (!reach[j - 1]) continue;
        const c = text[j - 1]!;
        if (p === "?") next[j] = reading === "wide" || c !== COLON;
        else next[j] = fold ? asciiLower(p) === asciiLower(c) : p === c;
      }
    }
    reach = next;
  }
  return reach[n] === true;
}

function asciiLower(c: string): string {
  const code = c.charCodeAt(0);
  return code >= 65 && code <= 90 ? String.fromCharCode(code + 32) : c;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** A string or an array of strings as a list; `undefined` when absent; `null` when of another type. */
function listOf(value: unknown): string[] | null | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return [...value];
  return null;
}

const EXACT_ELEMENTS = ["Sid", "Effect", "Action", "Resource"];

/** The default readings: an Allow matched narrowly, a Deny widely (see the header). */
export const CONSERVATIVE = { allow: "narrow", deny: "wide" } as const;

/**
 * Whether the verdict depends on how `*` and `?` treat a `:` (the one point the documentation leaves
 * open): the verdicts with every wildcard read strictly and with every wildcard read widely differ.
 */
export function referenceDependsOnColonReading(policyDocument: unknown, arn: string): boolean {
  const strict = referenceEvaluate(policyDocument, arn, { allow: "strict", deny: "strict" });
  const wide = referenceEvaluate(policyDocument, arn, { allow: "wide", deny: "wide" });
  return strict !== wide;
}

/**
 * API Gateway's answer for `execute-api:Invoke` on `arn` under `policyDocument` (an authorizer's
 * `policyDocument`), with the conservative choices of the header (`readings` overrides how wildcards
 * treat `:` for Allow and Deny statements).
 *
 * @example
 * referenceEvaluate({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "execute-api:Invoke",
 *   Resource: "arn:aws:execute-api:us-east-1:*:a123456789/test/POST/my-demo-resource-path/*" }] },
 *   "arn:aws:execute-api:us-east-1:123456789012:a123456789/test/POST/my-demo-resource-path/1") // "allow"
 */
export function referenceEvaluate(
  policyDocument: unknown,
  arn: string,
  readings: { allow: WildcardReading; deny: WildcardReading } = CONSERVATIVE,
): ReferenceVerdict {
  if (typeof arn !== "string" || !isObject(policyDocument)) return "invalid";
  const statements = policyDocument.Statement;
  if (!Array.isArray(statements)) return "invalid";
  let anyAllow = false;
  let anyDeny = false;
  for (const statement of statements) {
    if (!isObject(statement)) return "invalid";
    const effect = statement.Effect;
    if (effect !== "Allow" && effect !== "Deny") return "invalid";
    const action = listOf(statement.Action);
    const notAction = listOf(statement.NotAction);
    const resource = listOf(statement.Resource);
    const notResource = listOf(statement.NotResource);
    if (action === null || notAction === null || resource === null || notResource === null) return "invalid";
    if ((action === undefined) === (notAction === undefined)) return "invalid";
    if ((resource === undefined) === (notResource === undefined)) return "invalid";
    const exact = Object.keys(statement).every((k) => EXACT_ELEMENTS.includes(k));
    if (effect === "Allow") {
      if (!exact || action === undefined || resource === undefined) continue;
      const actionHit = action.some((a) =>
        referenceGlobMatch(a, "execute-api:Invoke", { ignoreAsciiCase: true }),
      );
      const resourceHit = resource.some((r) => referenceGlobMatch(r, arn, { reading: readings.allow }));
      if (actionHit && resourceHit) anyAllow = true;
    } else {
      const actionHit =
        action === undefined ||
        action.some((a) => referenceGlobMatch(a, "execute-api:Invoke", { ignoreAsciiCase: true }));
      const resourceHit =
        resource === undefined ||
        resource.some((r) => referenceGlobMatch(r, arn, { reading: readings.deny }));
      if (actionHit && resourceHit) anyDeny = true;
    }
  }
  if (anyDeny) return "explicit-deny";
  return anyAllow ? "allow" : "implicit-deny";
}

/** Whether API Gateway lets the request through: `referenceEvaluate(…) === "allow"`. */
export function referenceAllows(policyDocument: unknown, arn: string): boolean {
  return referenceEvaluate(policyDocument, arn) === "allow";
}
