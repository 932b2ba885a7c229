import type { RuleDecision } from "../rules/rules.js";
import { type ArnParts, arnTarget, stageWildcard } from "./arn.js";
import { evaluatePolicy } from "./evaluate.js";
import type { PolicyRules } from "./iam-types.js";
import { MAX_POLICY_RESOURCE_LENGTH } from "./limits.js";

/**
 * The cache-safe IAM policy (README, "Why the policy is cache-safe").
 *
 * API Gateway caches an authorizer's answer per token (per identity sources) and evaluates the same
 * policy for every other route the token calls while the TTL lasts. So the policy returned for one
 * request must answer every request of the stage, not just the one that was asked.
 */

/** IAM statement effects, spelled exactly as IAM wants them. */
export type PolicyEffect = "Allow" | "Deny";

// Type aliases rather than interfaces: they stay assignable to `Record<string, unknown>`.
/** One statement of a built policy: resources grouped in one array per effect. */
export type PolicyStatement = {
  readonly Action: "execute-api:Invoke";
  readonly Effect: PolicyEffect;
  readonly Resource: string[];
};

/** The policy document of an authorizer response. */
export type PolicyDocument = {
  readonly Version: "2012-10-17";
  readonly Statement: PolicyStatement[];
};

/**
 * Structurally an `APIGatewayAuthorizerResult` (`@types/aws-lambda`) when `C` is a flat context type,
 * without depending on those types.
 */
export interface AuthorizerPolicyResponse<C extends Record<string, unknown> = Record<string, unknown>> {
  principalId: string;
  policyDocument: PolicyDocument;
  context?: C;
}

/** Input of {@link buildPolicyResult}. */
export interface BuildPolicyInput<C extends Record<string, unknown> = Record<string, unknown>> {
  /** A non-empty string (the principal claim). */
  readonly principalId: string;
  /** The parsed method/route ARN of the request being authorized. */
  readonly arn: ArnParts;
  readonly ruleSet: PolicyRules;
  /** The verified token's claims. */
  readonly claims: Record<string, unknown>;
  /** An already encoded context (see `encodeContext`), attached as is when given. */
  readonly context?: C | undefined;
  /** The claims `scopes` rules read: the token's issuer's `scopeClaims` [`["scope", "scp"]`]. */
  readonly scopeClaims?: readonly string[] | undefined;
  /** `ruleSet.decide(claims, arnTarget(arn))`, when the caller has it already [computed here]. */
  readonly decision?: RuleDecision | undefined;
  /**
   * The largest response API Gateway accepts, in UTF-8 bytes of its JSON (see `maxResultBytes`) [no
   * limit]. A regular policy that would not fit is replaced by the narrow answer for this request
   * alone (see {@link PolicyResult.narrowed}); a `context` that would not fit with it is left out.
   */
  readonly maxBytes?: number | undefined;
}

/** The outcome of {@link buildPolicyResult}. */
export interface PolicyResult<C extends Record<string, unknown> = Record<string, unknown>> {
  readonly response: AuthorizerPolicyResponse<C>;
  /** Whether the policy allows the request it was built for: what API Gateway will answer. */
  readonly allowsRequest: boolean;
  /** The size of `response` as JSON, in UTF-8 bytes. */
  readonly bytes: number;
  /**
   * `true` when the regular policy exceeded `maxBytes` and the response holds the narrow answer
   * instead: an Allow of the request's exact ARN, or a Deny of the stage. Correct for this request;
   * a cached copy then denies (403) other routes that a fresh call would allow.
   */
  readonly narrowed: boolean;
}

const ACTION = "execute-api:Invoke";
const VERSION = "2012-10-17";

/**
 * Builds the IAM policy response for one authorized principal (`response`), and tells whether it
 * allows the request it was built for (`allowsRequest`) — which is what API Gateway will answer, and
 * what the authorizer logs. It differs from the rule decision only in the Deny-side fallbacks below
 * (an allowed request whose ARN cannot be written as an exact resource).
 *
 * Shape: at most one `Allow` and one `Deny` statement (resources grouped into arrays),
 * `Action: "execute-api:Invoke"`, resources built only from the request ARN's own partition, region,
 * account, API id and stage, none longer than 512 characters. When the principal may call nothing,
 * a single Deny of `…/{stage}/*`.
 *
 * How (see `PolicyRules.iamPlan`): when unmatched routes are allowed, Allow every method of the stage
 * (`…/{stage}/GET/*`, …, plus `…/{stage}/$connect` when allowed) and Deny the IAM resources of the
 * rules the principal fails (explicit Deny wins). When they are denied, Allow the resources of the
 * rules the principal passes, and Deny what IAM's wildcards would add to them (`GET/orders/*` also
 * covers `GET /orders/1/x`): the empty and the slash-crossing values of each `{param}`, and the
 * resources of more specific rules the principal fails.
 *
 * The guarantee, for a policy P built for principal `c` and request A, evaluated (IAM semantics, as
 * `evaluatePolicy`) for any request ARN B:
 * 1. **Scope.** P allows nothing outside A's own stage.
 * 2. **Safety.** For every B of the stage: if P allows B, then `ruleSet.decide(c, B)` allows B.
 *    Always, whatever the rules: where IAM wildcards cannot express a rule set exactly, P errs on Deny.
 * 3. **Self.** P's answer for A equals `decide(c, A)`. If that needs an Allow of A's exact ARN (see
 *    below) and A cannot be written as one (its path holds `*`, `?` or `${`, or it is longer than 512
 *    characters), P denies A, never the reverse.
 * 4. **Exactness.** If `ruleSet.warnings` is empty, then for every B of the stage that API Gateway can
 *    send (a verb and path, or `$connect`), P allows B exactly when `decide(c, B)` does: on rule routes
 *    and on unmatched routes alike. (`decide` denies unmatched requests inside the IAM resource of a
 *    rule the principal fails precisely so that this holds.)
 *
 * A `$connect` request (WebSocket) gets a policy about `…/{stage}/$connect` alone (Allow it, or
 * Deny the stage): WebSocket authorizers run for nothing else, and the resources of HTTP rules
 * would only weigh against the 8 KB result limit; guarantee 4 then holds for B = `$connect`.
 * With `maxBytes`, a policy that does not fit becomes the narrow answer: an Allow of A's exact ARN
 * when the decision allows A (still safe; cached, it denies other routes), else a Deny.
 *
 * Limits, all in the Deny direction: with warnings, the routes they name may get a cached 403 that a
 * fresh call would not (IAM globs cannot separate `GET /orders/mine` from `GET /orders/{id}`, nor one
 * segment from several). When the regular policy would not give A its fresh answer, P falls back to
 * the allow-list form plus A's exact ARN, and then to A's exact ARN alone, both still safe.
 *
 * Throws a `TypeError` when `principalId` is not a non-empty string (a caller bug: API Gateway would
 * answer 500 for such a response).
 *
 * @example
 * const ruleSet = compilePolicyRules({ routes: [{ route: "DELETE /orders/{id}", scopes: ["orders:admin"] }] });
 * const arn = parseArn("arn:aws:execute-api:us-east-1:123456789012:abcdef1234/prod/GET/orders/7")!;
 * buildPolicyResult({ principalId: "u1", arn, ruleSet, claims: { sub: "u1", scope: "orders:read" } }).response;
 * // Allow …/prod/GET/*, …/prod/POST/*, … ; Deny …/prod/DELETE/orders/*
 */
export function buildPolicyResult<C extends Record<string, unknown> = Record<string, unknown>>(
  input: BuildPolicyInput<C>,
): PolicyResult<C> {
  const { principalId, arn, ruleSet, claims } = input;
  if (typeof principalId !== "string" || principalId.length === 0) {
    throw new TypeError("buildPolicy: principalId must be a non-empty string.");
  }
  const decision = input.decision ?? ruleSet.decide(claims, arnTarget(arn), input.scopeClaims);
  let { document, allowsRequest } = chooseDocument(arn, ruleSet, claims, decision.allowed, input.scopeClaims);
  const maxBytes = input.maxBytes ?? Number.POSITIVE_INFINITY;
  const frame = RESPONSE_FRAME_BYTES + jsonBytes(principalId);
  let bytes = frame + documentBytes(document);
  const narrowed = bytes > maxBytes;
  if (narrowed) {
    // Too large for API Gateway (a 500): answer this request alone, never more than before; or Deny.
    const exact = allowsRequest ? exactResource(arn) : null;
    document = exact === null ? denyStage(arn) : allowOnly(exact);
    if (frame + documentBytes(document) > maxBytes) document = denyStage(arn);
    allowsRequest = document.Statement[0]!.Effect === "Allow";
    bytes = frame + documentBytes(document);
    if (bytes > maxBytes) throw new RangeError("maxBytes");
  }
  const response: AuthorizerPolicyResponse<C> = { principalId, policyDocument: document };
  if (input.context !== undefined) {
    const withContext = bytes + CONTEXT_MEMBER_BYTES + jsonBytes(input.context);
    // A context that does not fit is left out (the response has no `context` then).
    if (withContext <= maxBytes) {
      response.context = input.context;
      bytes = withContext;
    }
  }
  return { response, allowsRequest, bytes, narrowed };
}

/** UTF-8 bytes of `JSON.stringify(value)` (0 when it has no JSON). */
const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? "");

/** `{"principalId":…,"policyDocument":…}` around its two values. */
const RESPONSE_FRAME_BYTES = 34;
/** `,"context":` before the context's own JSON. */
export const CONTEXT_MEMBER_BYTES = 11;

/** JSON sizes of the shared regular documents, measured once each (see `regularDocument`). */
const documentSizes = new WeakMap<PolicyDocument, number>();

const documentBytes = (document: PolicyDocument): number =>
  documentSizes.get(document) ?? jsonBytes(document);

/**
 * A policy that denies the whole stage of `arn`, for principals that may call nothing.
 *
 * @example
 * buildDenyPolicy("u1", arn) // { principalId: "u1", policyDocument: { …, Statement: [{ Effect: "Deny", Resource: ["…/prod/*"] }] } }
 */
export function buildDenyPolicy<C extends Record<string, unknown> = Record<string, unknown>>(
  principalId: string,
  arn: ArnParts,
  context?: C,
): AuthorizerPolicyResponse<C> {
  if (typeof principalId !== "string" || principalId.length === 0) {
    throw new TypeError("buildDenyPolicy: principalId must be a non-empty string.");
  }
  const response: AuthorizerPolicyResponse<C> = { principalId, policyDocument: denyStage(arn) };
  if (context !== undefined) response.context = context;
  return response;
}

function chooseDocument(
  arn: ArnParts,
  ruleSet: PolicyRules,
  claims: Record<string, unknown>,
  allowed: boolean,
  scopeClaims: readonly string[] | undefined,
): { document: PolicyDocument; allowsRequest: boolean } {
  // A `$connect` request: a WebSocket authorizer's policy is evaluated for `…/{stage}/$connect`
  // alone, so the policy names that ARN only (HTTP rules' resources would only add to its size).
  if (arn.kind === "route")
    return { document: allowed ? allowOnly(arn.arn) : denyStage(arn), allowsRequest: allowed };
  const plan = ruleSet.iamPlan(claims, { scopeClaims });
  const regular = regularDocument(arn, plan);
  // An allowed request under rules without IAM warnings is allowed by the regular policy: that is
  // guarantee 4 (exactness), property-tested. Skipping its evaluation saves about a tenth of an
  // invocation. Everything else — every denied request, any rule set with warnings, paths holding
  // IAM wildcard characters or a `:` — is evaluated: a Deny decision must never leave with an Allow policy.
  if (allowed && ruleSet.warnings.length === 0 && !hasGlobCharacters(arn.tail)) {
    return { document: regular, allowsRequest: true };
  }
  const outcome = evaluatePolicy(regular, arn.arn);
  if (allowed ? outcome === "allow" : outcome !== "allow")
    return { document: regular, allowsRequest: allowed };
  // Unreachable by construction (the plan only allows what the rules allow); err on Deny regardless.
  if (!allowed) return { document: denyStage(arn), allowsRequest: false };
  // A is allowed but the regular policy denies it: a rule A belongs to is not separable from one the
  // principal fails (a warning names it). Allow A itself, in the form that never allows unmatched routes.
  const exact = exactResource(arn);
  if (exact === null) return { document: denyStage(arn), allowsRequest: false };
  const list = plan.mode === "list" ? plan : ruleSet.iamPlan(claims, { list: true, scopeClaims });
  const withExact = assemble(arn, list.allow, list.deny, exact);
  if (evaluatePolicy(withExact, arn.arn) === "allow") return { document: withExact, allowsRequest: true };
  return { document: allowOnly(exact), allowsRequest: true };
}

const allowOnly = (resource: string): PolicyDocument => ({
  Version: VERSION,
  Statement: [{ Action: ACTION, Effect: "Allow", Resource: [resource] }],
});

/**
 * Regular documents by plan and stage prefix. Plans are memoized per verdict vector by the rule
 * set, so each (plan, stage) is assembled once; documents are deeply frozen because every response
 * for that principal class shares them.
 */
const documents = new WeakMap<object, Map<string, PolicyDocument>>();

function regularDocument(
  arn: ArnParts,
  plan: { allow: readonly string[]; deny: readonly string[] },
): PolicyDocument {
  let byPrefix = documents.get(plan);
  if (byPrefix === undefined) {
    byPrefix = new Map();
    documents.set(plan, byPrefix);
  }
  let document = byPrefix.get(arn.prefix);
  if (document === undefined) {
    if (byPrefix.size >= 64) byPrefix.clear();
    document = freezeDocument(assemble(arn, plan.allow, plan.deny, null));
    byPrefix.set(arn.prefix, document);
    documentSizes.set(document, jsonBytes(document));
  }
  return document;
}

function freezeDocument(document: PolicyDocument): PolicyDocument {
  for (const statement of document.Statement) {
    Object.freeze(statement.Resource);
    Object.freeze(statement);
  }
  Object.freeze(document.Statement);
  return Object.freeze(document);
}

function assemble(
  arn: ArnParts,
  allowTails: readonly string[],
  denyTails: readonly string[],
  exact: string | null,
): PolicyDocument {
  const allow = new Set<string>();
  for (const tail of allowTails) {
    const resource = arn.prefix + tail;
    // Too long for IAM: leave it out; a smaller Allow is never more permissive.
    if (resource.length <= MAX_POLICY_RESOURCE_LENGTH) allow.add(resource);
  }
  if (exact !== null) allow.add(exact);
  if (allow.size === 0) return denyStage(arn);
  const deny = new Set<string>();
  for (const tail of denyTails) deny.add(shortenDeny(arn.prefix + tail));
  const Statement: PolicyStatement[] = [{ Action: ACTION, Effect: "Allow", Resource: [...allow] }];
  if (deny.size > 0) Statement.push({ Action: ACTION, Effect: "Deny", Resource: [...deny] });
  return { Version: VERSION, Statement };
}

/**
 * Too long for IAM: keep a prefix and end it with `*`. Any string matching the glob also matches
 * "prefix of the glob + `*`", so the shorter Deny covers at least as much.
 */
function shortenDeny(resource: string): string {
  return resource.length <= MAX_POLICY_RESOURCE_LENGTH
    ? resource
    : `${resource.slice(0, MAX_POLICY_RESOURCE_LENGTH - 1)}*`;
}

function denyStage(arn: ArnParts): PolicyDocument {
  return {
    Version: VERSION,
    Statement: [{ Action: ACTION, Effect: "Deny", Resource: [stageWildcard(arn)] }],
  };
}

/**
 * IAM reads `*`, `?` and `${…}` in a resource specially, and a `*` inside an ARN segment does not run
 * past a `:` (so `…/GET/users/*` + `/items` misses `…/GET/users/a:b/items`): a path holding one of
 * these is always evaluated.
 */
const hasGlobCharacters = (tail: string) =>
  tail.includes("*") || tail.includes("?") || tail.includes("${") || tail.includes(":");

/**
 * A's ARN as a resource that matches A alone, or `null` when IAM would read part of it as a wildcard
 * (`*`, `?`) or a policy variable (`${…}`), or it is too long.
 */
function exactResource(arn: ArnParts): string | null {
  const tail = arn.tail;
  if (tail.includes("*") || tail.includes("?") || tail.includes("${")) return null;
  return arn.arn.length <= MAX_POLICY_RESOURCE_LENGTH ? arn.arn : null;
}
