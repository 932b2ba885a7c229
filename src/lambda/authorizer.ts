import { toAuthRequest } from "../adapters/detect.js";
import type { AuthRequest, EventKind } from "../adapters/types.js";
import type { GatepassConfigInput } from "../config/input.js";
import type { GatepassConfig } from "../config/types.js";
import {
  AuthError,
  AuthErrorCodes,
  type CheckReasonCode,
  ConfigError,
  isAuthError,
  type ReasonCode,
  ReasonCodes,
} from "../errors.js";
import { shortSecretWarnings } from "../keys/short-secrets.js";
import { createLogger, type Logger, startInvocation } from "../log.js";
import { type ArnParts, arnFault, arnTarget, parseArn } from "../policy/arn.js";
import { buildPolicyResult, CONTEXT_MEMBER_BYTES, type PolicyDocument } from "../policy/build.js";
import { encodeContext, type FlatContext } from "../policy/context.js";
import { maxResultBytes } from "../policy/limits.js";
import type { PolicyRules } from "../policy/rule-policy.js";
import type { RuleTarget } from "../rules/rules.js";
import { principalOf, usageKeyOf } from "../token/principal.js";
import {
  buildVerifier,
  type VerifiedToken,
  type Verifier,
  type VerifierOptions,
  verifyNowOf,
} from "../token/verifier.js";
import { claimPath } from "../util/json-pointer.js";
import { certBinding } from "./cert-binding.js";
import { resourceChallenge } from "./challenge.js";
import { dpop } from "./dpop.js";
import { type AuthorizerHooks, authorizerHooks, type ContextHook } from "./hooks.js";
import { type AuthorizerMetrics, metricsFor } from "./metrics.js";
import type { DynamoDbClientLike } from "./replay-dynamodb.js";

export type { ContextHook, ContextHookResult } from "./hooks.js";

import { parseConfig, rulesFor } from "./config.js";

/**
 * The IAM policy answer: REST API (TOKEN, REQUEST), WebSocket `$connect`, HTTP API payload 1.0,
 * and payload 2.0 with `httpApi.response: "iam"`. Structurally `@types/aws-lambda`'s
 * `APIGatewayAuthorizerResult` when the context is flat (`C` = {@link FlatContext}, as REST and
 * WebSocket require); HTTP API 2.0 contexts may also hold arrays and objects.
 */
// Type aliases rather than interfaces: they stay assignable to `Record<string, unknown>`.
export type PolicyAuthorizerResponse<C extends Record<string, unknown> = FlatContext> = {
  principalId: string;
  policyDocument: PolicyDocument;
  context?: C;
  /**
   * The caller's usage-plan API key (`usageIdentifierClaim`), for a REST API whose API key source
   * is `AUTHORIZER` or a WebSocket API keyed by `$context.authorizer.usageIdentifierKey`.
   */
  usageIdentifierKey?: string;
};

/** The HTTP API simple answer (payload 2.0, `httpApi.response: "simple"`, the default). */
export type SimpleAuthorizerResponse = {
  isAuthorized: boolean;
  /** Arrives at `event.requestContext.authorizer.lambda` in the integration, with its types. */
  context?: Record<string, unknown>;
};

/** What API Gateway gets back: an IAM policy response, or an HTTP API simple response. */
export type AuthorizerResponse = PolicyAuthorizerResponse<Record<string, unknown>> | SimpleAuthorizerResponse;

/**
 * The events answered with an IAM policy: REST API TOKEN and REQUEST authorizers, WebSocket
 * `$connect`, HTTP API payload 1.0 (the fields the handler's type selects on; the events carry more).
 */
export interface PolicyAuthorizerEvent {
  type: "TOKEN" | "REQUEST";
  methodArn: string;
}

/** The event of an HTTP API authorizer with payload format 2.0 (the fields the type selects on). */
export interface HttpApiAuthorizerEventV2 {
  type: "REQUEST";
  routeArn: string;
}

/** What the handler reads of Lambda's context object. */
export interface AuthorizerInvocationContext {
  awsRequestId?: string;
}

/**
 * A Lambda authorizer handler for every API Gateway authorizer event shape. Its call signatures
 * make it assignable to `@types/aws-lambda`'s `APIGatewayTokenAuthorizerHandler`,
 * `APIGatewayRequestAuthorizerHandler` and, with `HttpApiResponse` the simple response (the
 * default configuration), `APIGatewayRequestSimpleAuthorizerHandlerV2`.
 *
 * @typeParam HttpApiResponse - the answer to HTTP API payload 2.0 events, per `httpApi.response`.
 */
export interface AuthorizerHandler<HttpApiResponse extends AuthorizerResponse = AuthorizerResponse> {
  (event: PolicyAuthorizerEvent, context?: AuthorizerInvocationContext): Promise<PolicyAuthorizerResponse>;
  (event: HttpApiAuthorizerEventV2, context?: AuthorizerInvocationContext): Promise<HttpApiResponse>;
  (event: unknown, context?: AuthorizerInvocationContext): Promise<AuthorizerResponse>;
  /** Fetches remote keys ahead of the first request; call at module scope (cold start). Never rejects. */
  hydrate(): Promise<void>;
}

/**
 * The answer to HTTP API payload 2.0 events for a configuration of type `C`: the simple response
 * unless `httpApi.response` is `"iam"` (either, when the type does not say).
 */
export type HttpApiResponseOf<C> = C extends { httpApi: { response: "iam" } }
  ? PolicyAuthorizerResponse<Record<string, unknown>>
  : C extends { httpApi: { response: "simple" } }
    ? SimpleAuthorizerResponse
    : C extends { httpApi: { response: unknown } }
      ? AuthorizerResponse
      : C extends object
        ? SimpleAuthorizerResponse
        : AuthorizerResponse;

export interface AuthorizerOptions extends VerifierOptions {
  /** Use this verifier instead of building one from the configuration (`check` still applies). */
  verifier?: Verifier;
  /**
   * Context values of your own, added after the configured claims for every authenticated request
   * (see {@link ContextHook}).
   */
  context?: ContextHook;
  /**
   * Where decisions and key-set events are counted. {@link createAuthorizer} builds this from
   * `metrics` / `POWERTOOLS_METRICS_NAMESPACE` (see `metrics.ts`) unless given; absent: no metrics.
   */
  metrics?: AuthorizerMetrics;
  /**
   * With `dpopReplay.store: "dynamodb"`: the DynamoDB client to use (an `@aws-sdk/client-dynamodb`
   * `DynamoDBClient`, with your endpoint, credentials or retries) instead of one made from
   * `dpopReplay.region` with the SDK Lambda's Node.js runtime provides.
   */
  dynamoDbClient?: DynamoDbClientLike;
  /**
   * The URL the client sent the request to (query and fragment are dropped), for the DPoP proofs'
   * `htu`, instead of the issuers' `dpopUrlBase` or `https://` + `Host` followed by the path API
   * Gateway received; `null`: unknown, the proof is refused. For a gateway that is not API Gateway:
   * `gatepass dev` passes the URL its local clients called (`http://127.0.0.1:4000/orders/42`).
   */
  dpopRequestUrl?: (event: Readonly<Record<string, unknown>>, kind: EventKind) => string | null;
  /**
   * The DynamoDB table of the DPoP replay store, over `dpopReplay` (the `GATEPASS_DPOP_REPLAY_TABLE`
   * of a bundle whose configuration is embedded); refused when no issuer uses `dpop`.
   */
  dpopReplayTable?: string;
}

/** The one error API Gateway turns into 401. Its message must be exactly this word. */
const UNAUTHORIZED = "Unauthorized";

/**
 * A request refused with a 401, before or after verification: the reason code for the log's
 * `reason` field, and a sentence safe to log (`detail`).
 */
class Refusal {
  constructor(
    readonly reason: ReasonCode | CheckReasonCode,
    readonly detail: string,
  ) {}
}

/**
 * Creates the authorizer. The configuration, rules and keys are compiled now (a bad
 * configuration throws a `ConfigError` here, at cold start); each call then:
 * - answers `throw new Error("Unauthorized")` (401) when the request is not authenticated:
 *   no token, a token that fails verification, keys unavailable, an unknown event shape, or any
 *   unexpected error — it fails closed and never returns an invalid response;
 * - returns a Deny policy (403) or `isAuthorized: false` when the rules refuse the route;
 * - returns an Allow policy that is correct for every route of the API (API Gateway caches it),
 *   or `isAuthorized: true`, with the configured claims as `context`.
 * It logs one JSON line per decision, never the token.
 *
 * @example
 * export const handler = createAuthorizer({
 *   issuers: [{ issuer: "https://id.example.com/", audience: ["orders-api"], discovery: true }],
 *   routes: [{ route: "GET /orders/{id}", scopes: ["orders:read"] }],
 * });
 */
export function createAuthorizer<const C extends GatepassConfigInput | GatepassConfig>(
  config: C,
  options?: AuthorizerOptions,
): AuthorizerHandler<HttpApiResponseOf<C>>;
/** A document known only at run time (parsed JSON): validated here like any other. */
export function createAuthorizer(config: unknown, options?: AuthorizerOptions): AuthorizerHandler;
export function createAuthorizer(
  config: unknown,
  options: AuthorizerOptions = {},
): AuthorizerHandler<HttpApiResponseOf<unknown>> {
  const cfg: GatepassConfig = parseConfig(config);
  // Hooks are applied here, not in buildAuthorizer: the Lambda bundles build their handler with
  // buildAuthorizer and so carry no hook code.
  const hooks =
    options.check === undefined && options.context === undefined ? undefined : authorizerHooks(options);
  const metrics = options.metrics ?? metricsFor(cfg);
  return buildAuthorizer(
    cfg,
    rulesFor(cfg),
    metrics === undefined ? options : { ...options, metrics },
    hooks,
  );
}

/**
 * The authorizer for a configuration validated already, with its compiled rules: what
 * {@link createAuthorizer} does after validation. `gatepass bundle --config` calls this with the
 * configuration it validated at bundle time, so the Lambda bundle carries neither the
 * configuration schema nor, when there are no rules, the rule compiler.
 */
export function buildAuthorizer(
  cfg: GatepassConfig,
  rules: PolicyRules,
  options: AuthorizerOptions = {},
  hooks?: AuthorizerHooks,
): AuthorizerHandler {
  if (hooks === undefined && (options.check !== undefined || options.context !== undefined)) {
    // Never drop a hook silently: a check the caller believes in must run.
    throw new ConfigError("options.check", "hooks are applied by createAuthorizer; use it to pass them.");
  }
  const logger: Logger = options.logger ?? createLogger(cfg.logLevel);
  for (const warning of rules.warnings) logger.warn("rules_warning", { warning });
  for (const u of rules.unmatchedMethods)
    logger.warn("rules_unmatched_methods", {
      path: u.path,
      methods: u.methods,
      detail: `no rule decides these methods: ${u.decidedBy} allows any authenticated principal`,
    });
  // At every cold start, while a short shared secret is trusted (and once the opt-in serves none).
  const secrets = shortSecretWarnings(cfg);
  for (const w of secrets.short) logger.warn("insecure_short_secret", { field: w.field, detail: w.detail });
  for (const w of secrets.unused)
    logger.warn("insecure_short_secret_unused", { field: w.field, detail: w.detail });
  const metrics = options.metrics;
  const built =
    options.verifier ??
    buildVerifier(
      cfg,
      metrics === undefined ? { ...options, logger } : { ...options, logger, keyEvents: metrics },
    );
  const verifier = hooks?.verifier === undefined ? built : hooks.verifier(built);
  // gatepass's own verifier answers synchronously while its key is at hand: no promise to await.
  const verifyNow = verifyNowOf(verifier);
  // RFC 8705 certificate binding: `undefined` (no work per call) unless an issuer sets `certificateBound`.
  const binding = certBinding(cfg, logger);
  // RFC 9449 DPoP: `undefined` (no work per call) unless an issuer sets `dpop`.
  const dpopCheck = dpop(cfg, options, logger);
  // RFC 9728 / RFC 6750 §3: `undefined` (no work per call) unless `resource` is configured.
  const challenges = resourceChallenge(cfg, rules, logger);
  // Claim pointers (`/realm_access/roles`) are parsed once here, not per request.
  const contextClaims = cfg.context.claims.map(claimPath);
  const contextValues = hooks?.contextValues;
  const maxContextBytes = cfg.context.maxBytes;
  const simpleHttp = cfg.httpApi.response === "simple";
  // API keys exist for REST and WebSocket APIs only; HTTP APIs get no key and need no claim.
  const usageClaim = cfg.usageIdentifierClaim === undefined ? null : claimPath(cfg.usageIdentifierClaim);
  let warnedUsageIgnored = false;
  let warnedRouteIndependent = false;
  // Allow lines may be sampled (`logSampleRate`); deny, 401 and error lines are always written.
  const decisionLog = cfg.logSampleRate < 1 ? sampledAllows(logger, cfg.logSampleRate) : logger;
  // The claims `scopes` rules read, per accepting issuer (`iss`), where one names its own.
  const scopeClaimsOf = new Map<string | null, readonly string[]>();
  for (const issuer of cfg.issuers)
    if (issuer.scopeClaims !== undefined) scopeClaimsOf.set(issuer.issuer, issuer.scopeClaims);

  /**
   * What the rules decide for a request. A simple response is cached by API Gateway for every
   * request with the same identity-source values, so it must be the same for all of them: it is
   * decided on the route key (the same answer for every request of that route) when the route key
   * is among the identity values, else route-independently (as for `$default`: allowed only when
   * every rule allows). Without identity sources nothing is cached and the request itself decides,
   * with HTTP API route selection.
   */
  function targetOf(request: AuthRequest, arn: ArnParts): RuleTarget {
    const target = arnTarget(arn);
    if (!("method" in target)) return target;
    // Policies: API Gateway evaluates the (cached) policy against each request's ARN, and the policy
    // plan follows the rules' own specificity order, so the decision must follow it too.
    if (request.kind !== "http-v2" || !simpleHttp) return target;
    const identity = request.identitySource ?? [];
    if (identity.length === 0) return { ...target, selection: "http" };
    if (request.routeKey !== null && identity.includes(request.routeKey))
      return { routeKey: request.routeKey };
    if (!warnedRouteIndependent) {
      warnedRouteIndependent = true;
      logger.warn("simple_response_route_independent", {
        detail: "$context.routeKey is not an identity source: answering as for $default",
      });
    }
    return { routeKey: "$default" };
  }

  function decide(
    request: AuthRequest,
    arn: ArnParts,
    verified: VerifiedToken,
    extra: Readonly<Record<string, unknown>> | undefined,
  ) {
    const claims = verified.payload;
    const principalId = principalOf(claims, cfg.principalClaim);
    let usageKey: string | undefined;
    if (usageClaim !== null) {
      if (request.kind === "http-v1" || request.kind === "http-v2") {
        if (!warnedUsageIgnored) {
          warnedUsageIgnored = true;
          logger.warn("usage_identifier_ignored", {
            detail: "HTTP APIs have no API keys or usage plans: usageIdentifierClaim is not used for them",
          });
        }
      } else usageKey = usageKeyOf(claims, usageClaim);
    }
    // The ARN, not the event's own fields, names the route: it is what the policy is evaluated against.
    const scopeClaims = scopeClaimsOf.get(verified.issuer);
    const decision = rules.decide(claims, targetOf(request, arn), scopeClaims);
    const flat = request.kind !== "http-v2";
    // Every response stays within API Gateway's result size for the API (WebSocket: 8 KB): the
    // policy first, then the context claims in the room left (`context_truncated` names the rest).
    const maxBytes = maxResultBytes(request.kind);
    const simple = request.kind === "http-v2" && simpleHttp;
    const built = simple
      ? null
      : buildPolicyResult({ principalId, arn, ruleSet: rules, claims, decision, maxBytes, scopeClaims });
    if (built?.narrowed) logger.warn("policy_too_large", { maxBytes, kind: request.kind });
    // The Deny's WWW-Authenticate challenge (`resource`), first in the context: claims get the rest.
    const challenge = challenges?.valueFor(
      request.kind,
      claims,
      scopeClaims,
      built?.response.policyDocument,
      arn,
    );
    // Simple responses: `{"isAuthorized":false,"context":{"principalId":…}}` and one separator.
    const frame =
      (built ? built.bytes + CONTEXT_MEMBER_BYTES : Buffer.byteLength(JSON.stringify(principalId)) + 50) +
      (usageKey === undefined ? 0 : Buffer.byteLength(JSON.stringify(usageKey)) + 22);
    const room = Math.min(maxContextBytes, maxBytes - frame) - (challenge ? challenge.bytes : 0);
    const { context, dropped } = encodeContext(claims, contextClaims, { flat, maxBytes: room, extra });
    if (dropped.length > 0) logger.warn("context_truncated", { dropped, maxBytes: room });
    // An HTTP API 2.0 integration gets the context (`requestContext.authorizer.lambda`) and no
    // principalId, after IAM responses too: carry the principal there, over any claim of that name.
    if (request.kind === "http-v2") context.principalId = principalId;
    if (!built) {
      return {
        response: { isAuthorized: decision.allowed, context },
        allows: decision.allowed,
        decision,
        principalId,
      };
    }
    if (challenge) built.response.context = Object.assign(context, challenge.context);
    else if (room >= 2) built.response.context = context;
    if (usageKey !== undefined) (built.response as PolicyAuthorizerResponse).usageIdentifierKey = usageKey;
    // What API Gateway will answer for this request: the policy's own answer, which the log must report.
    return { response: built.response, allows: built.allowsRequest, decision, principalId };
  }

  const handler = async (
    event: unknown,
    lambdaContext?: { awsRequestId?: string },
  ): Promise<AuthorizerResponse> => {
    const started = process.hrtime.bigint();
    startInvocation(lambdaContext?.awsRequestId);
    let request: AuthRequest | undefined;
    let issuer: string | null | undefined;
    let principal: string | undefined;
    try {
      const detected = toAuthRequest(event, cfg.tokenSources);
      if (detected.kind === null)
        throw new Refusal(ReasonCodes.EVENT_UNSUPPORTED, `Unsupported event: ${detected.missing}`);
      request = detected;
      // `Authorization: DPoP <token>` is a credential only when an issuer accepts DPoP.
      let viaDpop = false;
      if (dpopCheck !== undefined && request.token === null) {
        const token = dpopCheck.credential(event, request.kind);
        if (token !== null) {
          request = { ...request, token, tokenProblem: null, tokenProblemCode: null };
          viaDpop = true;
        }
      }
      const arn = parseArn(request.arn);
      if (arn === null)
        throw new Refusal(
          ReasonCodes.EVENT_INVALID_ARN,
          `The event's methodArn/routeArn is not a valid execute-api ARN: bad ${arnFault(request.arn)}.`,
        );
      if (request.token === null) {
        throw new AuthError(
          request.tokenProblemCode ?? AuthErrorCodes.MISSING,
          request.tokenProblem ?? "No token in the request.",
        );
      }
      let verified: VerifiedToken;
      if (verifyNow === undefined) verified = await verifier.verify(request.token);
      else {
        const now = verifyNow(request.token);
        verified = now instanceof Promise ? await now : now;
      }
      issuer = verified.issuer;
      binding?.check(verified, event, request.kind);
      // A shared replay store answers with a promise; the in-memory one synchronously (no await).
      const replay = dpopCheck?.check(verified, request.token, viaDpop, event, request.kind, request.method);
      if (replay !== undefined) await replay;
      const extra = contextValues === undefined ? undefined : await contextValues(verified);
      const { response, allows, decision, principalId } = decide(request, arn, verified, extra);
      principal = principalId;
      const reason = allows ? null : (decision.reason ?? ReasonCodes.ROUTE_NOT_ALLOWED);
      const durationMs = elapsed(started);
      decisionLog.info("decision", {
        outcome: allows ? "allow" : "deny",
        reason,
        detail:
          allows === decision.allowed
            ? decision.detail
            : "the route's ARN cannot be allowed exactly in a cached policy",
        rule: decision.route,
        principal,
        issuer,
        kind: request.kind,
        route: routeOf(request, arn),
        requestId: lambdaContext?.awsRequestId,
        durationMs,
      });
      metrics?.decision({ outcome: allows ? "allow" : "deny", reason, rule: decision.route, durationMs });
      return response;
    } catch (error) {
      const refusal =
        error instanceof Refusal
          ? error
          : isAuthError(error)
            ? new Refusal(error.reason ?? error.code, error.message)
            : new Refusal(
                ReasonCodes.INTERNAL,
                error instanceof Error ? `${error.name}: ${error.message}` : "non-error thrown",
              );
      const level =
        refusal.reason === AuthErrorCodes.KEYS_UNAVAILABLE ||
        refusal.reason === AuthErrorCodes.REVOCATION_UNAVAILABLE ||
        refusal.reason === AuthErrorCodes.INTROSPECTION_UNAVAILABLE ||
        refusal.reason === ReasonCodes.INTERNAL ||
        refusal.reason === AuthErrorCodes.HOOK_FAILED
          ? "error"
          : "info";
      const durationMs = elapsed(started);
      logger[level]("decision", {
        outcome: "unauthorized",
        reason: refusal.reason,
        detail: refusal.detail,
        principal,
        issuer,
        kind: request?.kind ?? null,
        route: request ? routeOf(request, parseArn(request.arn)) : null,
        requestId: lambdaContext?.awsRequestId,
        durationMs,
      });
      // `error`: refused because of this side (keys unavailable, a hook or gatepass failing).
      metrics?.decision({
        outcome: level === "error" ? "error" : "unauthorized",
        reason: refusal.reason,
        rule: null,
        durationMs,
      });
      // Exactly this message: API Gateway answers 401 for it and 500 for anything else.
      throw new Error(UNAUTHORIZED);
    }
  };
  // One implementation for every event shape: the adapters pick the answer's shape by event kind,
  // which the overloads of AuthorizerHandler describe.
  // The cold start also loads a shared DPoP replay store's SDK, so no request waits for it.
  const hydrate =
    dpopCheck === undefined
      ? () => verifier.hydrate()
      : () => Promise.all([verifier.hydrate(), dpopCheck.hydrate()]).then(() => undefined);
  return Object.assign(handler, { hydrate }) as AuthorizerHandler;
}

function routeOf(request: AuthRequest, arn: ArnParts | null): string | null {
  if (arn?.method) return `${arn.method} ${arn.path ?? "/"}`;
  return request.routeKey ?? (request.method ? `${request.method} ${request.path ?? ""}` : null);
}

/**
 * Milliseconds since `started`, to the microsecond. `process.hrtime` rather than `performance.now()`:
 * the `performance` global loads `perf_hooks` on first use, a cost on every cold start.
 */
const elapsed = (started: bigint) => Math.round(Number(process.hrtime.bigint() - started) / 1000) / 1000;

/**
 * `logger`, writing only a `rate` of the `decision` lines whose outcome is `allow` (each one marked
 * with `sampling_rate`, to scale counts by); every other line as is.
 */
function sampledAllows(logger: Logger, rate: number): Logger {
  return {
    ...logger,
    info: (event, fields) => {
      if (event !== "decision" || fields?.outcome !== "allow") return logger.info(event, fields);
      if (Math.random() < rate) logger.info(event, { sampling_rate: rate, ...fields });
    },
  };
}
