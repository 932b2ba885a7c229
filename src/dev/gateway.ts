import type { DevApiType } from "../config/types.js";
import type { Logger } from "../log.js";
import { maxResultBytes } from "../policy/limits.js";
import type { GatewayResponseDefinition } from "./definition/model.js";
import {
  type ApiIdentity,
  type AuthorizedCaller,
  buildAuthorizerEvent,
  type EventInput,
  requestArn,
} from "./events.js";
import {
  customizeGatewayResponse,
  type GatewayAnswer,
  type GatewayResponseContext,
  type GatewayResponseType,
} from "./gateway-responses.js";
import { type IdentitySource, readIdentitySources } from "./identity.js";
import { errorMessage, Invoker, type LambdaHandler } from "./invoke.js";
import { type LimitAnswer, noRouteAnswer, plainLimitHeaders } from "./limits.js";
import { type CheckedResponse, checkAuthorizerResponse, evaluateCachedPolicy } from "./policy-check.js";
import type { DevRequest, RouteMatch, RouteTable } from "./request.js";
import { ResultCache } from "./result-cache.js";
import type { MeterOutcome, UsagePlans } from "./usage-plans.js";

/**
 * The authorization step of API Gateway: identity sources, the authorizer call (with its time
 * limit), the result cache, and the outcome → status mapping, with AWS's status codes, bodies and
 * `x-amzn-ErrorType` headers (AWS: supported-gateway-response-types.html). Knows nothing about sockets: the server feeds it a
 * {@link DevRequest} and writes what it answers.
 */

export interface GatewayOptions {
  readonly api: DevApiType;
  readonly stage: string;
  readonly identitySources: readonly IdentitySource[];
  /** Authorizer result cache TTL; 0 disables it. */
  readonly resultTtlSeconds: number;
  readonly authorizer: LambdaHandler;
  /** Name reported in the Lambda context and logs [`authorizer`]. */
  readonly authorizerName?: string;
  /** The authorizer's time limit, ms (HTTP APIs: 10 000). */
  readonly timeoutMs: number;
  readonly ids: ApiIdentity;
  readonly routes: RouteTable;
  /** Clock in ms. */
  readonly now: () => number;
  readonly logger: Logger;
  /** REST methods require an API key from the authorizer, metered by these plans; absent: no API keys. */
  readonly usagePlans?: UsagePlans;
  /**
   * The Gateway Responses the API's definition customizes (`definition.gatewayResponses`), applied
   * to every answer the gateway gives itself; REST APIs only (HTTP and WebSocket APIs have none).
   */
  readonly gatewayResponses?: readonly GatewayResponseDefinition[];
  /** Told what the authorizer was asked and answered, per request id (the dev console's record) [none]. */
  readonly observe?: AuthorizerObserver;
}

/** Sees each authorizer call: its event and raw answer, or, on a cache hit, the cached checked answer. */
export interface AuthorizerObserver {
  invoked(
    requestId: string,
    event: Record<string, unknown>,
    answer: { ok: true; value: unknown } | { ok: false; error: string },
  ): void;
  cached(requestId: string, answer: CheckedResponse): void;
}

/** What a gateway response is made of (401, 403, 500). */
export interface GatewayResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Whether the result cache answered: `hit`, `miss` (the authorizer ran), `off` (TTL 0), `skip` (not consulted). */
export type CacheState = "hit" | "miss" | "off" | "skip";

/** How authorization ended. */
export type Outcome =
  | "allow"
  | "unauthorized"
  | "deny"
  | "implicit-deny"
  | "forbidden"
  | "error"
  | MeterOutcome;

export type Verdict =
  | {
      readonly allowed: true;
      readonly outcome: "allow";
      readonly caller: AuthorizedCaller;
      readonly reason: string;
      readonly cache: CacheState;
      /** The authorizer's `usageIdentifierKey`, when it returned one. */
      readonly usageIdentifierKey?: string | null;
    }
  | {
      readonly allowed: false;
      readonly outcome: Exclude<Outcome, "allow">;
      readonly response: GatewayResponse;
      readonly reason: string;
      readonly cache: CacheState;
    };

/** Everything about one request the gateway worked out; the backends reuse `input` for proxy events. */
export interface Authorization {
  readonly input: EventInput;
  readonly verdict: Verdict;
}

const UNAUTHORIZED = "Unauthorized";

/** The gateway response bodies and error types API Gateway sends (AWS: supported-gateway-response-types.html, http-api-lambda-authorizer.html). */
const GATEWAY_RESPONSES = {
  unauthorized: { status: 401, body: { message: "Unauthorized" }, errorType: "UnauthorizedException" },
  deny: {
    status: 403,
    body: { Message: "User is not authorized to access this resource with an explicit deny" },
    errorType: "AccessDeniedException",
  },
  "implicit-deny": {
    status: 403,
    body: { Message: "User is not authorized to access this resource" },
    errorType: "AccessDeniedException",
  },
  forbidden: { status: 403, body: { message: "Forbidden" }, errorType: undefined },
  error: { status: 500, body: { message: null }, errorType: "AuthorizerConfigurationException" },
  // Usage plans (REST): INVALID_API_KEY, THROTTLED and QUOTA_EXCEEDED, with the default template
  // `{"message":$context.error.messageString}` (AWS: api-gateway-api-key-source.html, api-gateway-429-limit).
  "invalid-api-key": { status: 403, body: { message: "Forbidden" }, errorType: undefined },
  throttled: { status: 429, body: { message: "Too Many Requests" }, errorType: undefined },
  "quota-exceeded": { status: 429, body: { message: "Limit Exceeded" }, errorType: undefined },
} as const;

const isHttpApi = (api: DevApiType) => api === "http-v1" || api === "http-v2-simple" || api === "http-v2-iam";

/** The Gateway Response type of each refusal (supported-gateway-response-types.html). */
const RESPONSE_TYPES: Record<Exclude<Outcome, "allow">, GatewayResponseType> = {
  unauthorized: "UNAUTHORIZED",
  deny: "ACCESS_DENIED",
  "implicit-deny": "ACCESS_DENIED",
  forbidden: "ACCESS_DENIED",
  error: "AUTHORIZER_CONFIGURATION_ERROR",
  "invalid-api-key": "INVALID_API_KEY",
  throttled: "THROTTLED",
  "quota-exceeded": "QUOTA_EXCEEDED",
};

/** The message of a refusal's default body (`$context.error.message`). */
const refusalMessage = (kind: Exclude<Outcome, "allow">): string | null => {
  const body = GATEWAY_RESPONSES[kind].body as { message?: string | null; Message?: string };
  return body.message !== undefined ? body.message : (body.Message ?? null);
};

/** What Gateway Response mappings read about a request: its id, headers, query string, authorizer context. */
export function gatewayResponseContext(
  request: DevRequest,
  message: string | null,
  authorizer?: Readonly<Record<string, unknown>>,
  variables?: Readonly<Record<string, string | undefined>>,
): GatewayResponseContext {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2)
    headers[request.rawHeaders[i]!.toLowerCase()] = request.rawHeaders[i + 1]!;
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(request.rawQuery)) query[name] = value;
  return {
    requestId: request.requestId,
    message,
    headers,
    query,
    ...(authorizer !== undefined ? { authorizer } : {}),
    variables: { httpMethod: request.method, path: request.path, ...variables },
  };
}
/** The headers every response of the emulated API carries: the request id, under the name the API type uses. */
export function requestIdHeaders(api: DevApiType, requestId: string): Record<string, string> {
  return isHttpApi(api) ? { "apigw-requestid": requestId } : { "x-amzn-RequestId": requestId };
}

export function gatewayResponse(
  api: DevApiType,
  kind: Exclude<Outcome, "allow">,
  requestId: string,
): GatewayResponse {
  const spec = GATEWAY_RESPONSES[kind];
  const headers: Record<string, string> = {
    "content-type": "application/json",
    ...requestIdHeaders(api, requestId),
  };
  if (spec.errorType !== undefined) headers["x-amzn-ErrorType"] = spec.errorType;
  return { status: spec.status, headers, body: JSON.stringify(spec.body) };
}

/**
 * A result-cache entry: the authorizer's checked answer, and what it answered for each request ARN
 * it was evaluated against (bounded; the policy is re-evaluated only for an ARN not seen yet, so a
 * policy written for one route still denies the next one).
 */
interface CachedResult {
  readonly response: CheckedResponse;
  readonly verdicts: Map<string, Evaluation>;
}

/** An allowing evaluation; `hit` is the allow verdict cache hits return as is (built on the first one). */
interface AllowEvaluation {
  readonly allowed: true;
  readonly reason: string;
  hit?: Verdict;
}

/** The outcome of one (authorizer response, ARN) evaluation. */
type Evaluation =
  | AllowEvaluation
  | { readonly allowed: false; readonly outcome: Exclude<Outcome, "allow">; readonly reason: string };

/** ARNs remembered per cached result (a dev server's routes × paths; beyond it the oldest goes). */
const MAX_ARNS_PER_RESULT = 256;

/** The API Gateway authorization step; one per server. */
export class Gateway {
  readonly cache: ResultCache<CachedResult>;
  private readonly flatContext: boolean;
  private readonly maxBytes: number;
  private readonly responseKind: "policy" | "simple";
  private readonly invoker: Invoker;
  /** Whether Gateway Responses are customized (REST APIs with definitions only). */
  private readonly customized: boolean;

  constructor(private readonly options: GatewayOptions) {
    this.customized =
      (options.api === "rest-token" || options.api === "rest-request") &&
      (options.gatewayResponses?.length ?? 0) > 0;
    // WebSocket APIs have no authorizer cache; the others cache per identity values.
    this.cache = new ResultCache(options.api === "websocket" ? 0 : options.resultTtlSeconds, options.now);
    this.flatContext = !(options.api === "http-v2-simple" || options.api === "http-v2-iam");
    this.responseKind = options.api === "http-v2-simple" ? "simple" : "policy";
    this.maxBytes = maxResultBytes(options.api);
    this.invoker = new Invoker(options.authorizer, {
      functionName: options.authorizerName ?? "authorizer",
      timeoutMs: options.timeoutMs,
      region: options.ids.region,
      accountId: options.ids.accountId,
    });
  }

  /**
   * Authorizes one request, then, when the API requires API keys, meters the authorizer's
   * `usageIdentifierKey` against the usage plans (every request, cache hits too). Never throws.
   * `route`: the route already selected (an API definition's), instead of the `routes` table's.
   */
  async authorize(request: DevRequest, route?: RouteMatch): Promise<Authorization> {
    const authorization = await this.authorizeRequest(request, route);
    const plans = this.options.usagePlans;
    const { verdict } = authorization;
    if (plans === undefined || !verdict.allowed) return authorization;
    const key = verdict.usageIdentifierKey ?? null;
    const metered = plans.meter(key);
    // The metered key reaches the integration as `$context.identity.apiKey`.
    if (metered.ok && key !== null)
      return { ...authorization, verdict: { ...verdict, caller: { ...verdict.caller, apiKey: key } } };
    if (metered.ok) return authorization;
    return this.deny(authorization.input, metered.outcome, metered.reason, verdict.cache);
  }

  private async authorizeRequest(request: DevRequest, given: RouteMatch | undefined): Promise<Authorization> {
    const { api, stage, ids } = this.options;
    const route = given ?? this.options.routes.match(request.method, request.path);
    const arn = requestArn(ids, api, stage, request);
    const identity = readIdentitySources(this.options.identitySources, request, route, stage);
    const input: EventInput = {
      api,
      ids,
      stage,
      request,
      route,
      arn,
      identity: identity.ok ? identity.values : [],
    };
    if (!identity.ok) {
      // API Gateway answers 401 itself: the authorizer is not invoked.
      return this.deny(
        input,
        "unauthorized",
        `identity source ${identity.missing} is missing or empty; authorizer not invoked`,
        "skip",
      );
    }
    const cacheOn = this.cache.enabled;
    const key = cacheOn ? ResultCache.key(identity.values) : "";
    const cached = cacheOn ? this.cache.get(key) : undefined;
    if (cached) {
      this.options.observe?.cached(request.requestId, cached.response);
      return { input, verdict: this.verdict(cached, arn, request, "hit", 0) };
    }
    const cacheState: CacheState = cacheOn ? "miss" : "off";

    const event = buildAuthorizerEvent(input);
    // The request id doubles as the invocation id, so the authorizer's own log lines can be matched.
    const invocation = await this.invoker.invoke(event, request.requestId);
    this.options.observe?.invoked(
      request.requestId,
      event,
      invocation.ok
        ? { ok: true, value: invocation.value }
        : { ok: false, error: invocation.timedOut ? "timed out" : clip(errorMessage(invocation.error)) },
    );
    if (!invocation.ok) {
      const message = errorMessage(invocation.error);
      if (!invocation.timedOut && message === UNAUTHORIZED) {
        return this.deny(input, "unauthorized", "the authorizer failed with Unauthorized", cacheState);
      }
      if (invocation.timedOut) {
        this.options.logger.error("authorizer_timeout", {
          requestId: request.requestId,
          detail: `The authorizer did not answer within ${this.options.timeoutMs} ms; API Gateway answers 500.`,
        });
        return this.deny(
          input,
          "error",
          `authorizer timed out after ${this.options.timeoutMs} ms`,
          cacheState,
        );
      }
      const shown = clip(message);
      this.options.logger.error("authorizer_error", {
        requestId: request.requestId,
        detail: `The authorizer failed with ${JSON.stringify(shown)}; only the exact message "Unauthorized" gives 401, anything else gives 500.`,
      });
      return this.deny(input, "error", `authorizer error: ${shown}`, cacheState);
    }
    const checked = checkAuthorizerResponse(invocation.value, this.responseKind, {
      flatContext: this.flatContext,
      maxBytes: this.maxBytes,
    });
    if (!checked.ok) {
      this.options.logger.error("authorizer_invalid_response", {
        requestId: request.requestId,
        api,
        detail: `Invalid authorizer response: ${checked.reason}`,
      });
      return this.deny(input, "error", `invalid authorizer response: ${checked.reason}`, cacheState);
    }
    if (!cacheOn) {
      // Nothing will reuse this answer: evaluate it for this one ARN, without the per-ARN memo.
      const evaluation = evaluate(checked.response, arn);
      return {
        input,
        verdict: this.verdictOf(evaluation, checked.response, request, "off", invocation.durationMs),
      };
    }
    const result: CachedResult = { response: checked.response, verdicts: new Map() };
    this.cache.set(key, result);
    return {
      input,
      verdict: this.verdict(result, arn, request, cacheState, invocation.durationMs),
    };
  }

  private deny(
    input: EventInput,
    outcome: Exclude<Outcome, "allow">,
    reason: string,
    cache: CacheState,
  ): Authorization {
    return { input, verdict: this.refuse(outcome, reason, input.request, cache) };
  }

  private refuse(
    outcome: Exclude<Outcome, "allow">,
    reason: string,
    request: DevRequest,
    cache: CacheState,
    authorizerContext?: Readonly<Record<string, unknown>>,
  ): Verdict {
    let response = gatewayResponse(this.options.api, outcome, request.requestId);
    if (this.customized)
      response = customizeGatewayResponse(
        RESPONSE_TYPES[outcome],
        response,
        this.options.gatewayResponses,
        gatewayResponseContext(request, refusalMessage(outcome), authorizerContext, {
          stage: this.options.stage,
        }),
      );
    return { allowed: false, outcome, response, reason, cache };
  }

  /**
   * One of the gateway's own answers for `request` (a limit broken, the integration failing or
   * timing out), with the request id header and `x-amzn-ErrorType` (REST, WebSocket), and the
   * definition's Gateway Responses applied (REST).
   */
  answer(
    limit: LimitAnswer,
    request: DevRequest,
    extraHeaders?: Readonly<Record<string, string>>,
  ): GatewayAnswer {
    const api = this.options.api;
    const response: GatewayAnswer = {
      status: limit.status,
      headers: { ...extraHeaders, ...plainLimitHeaders(api, limit, request.requestId) },
      body: limit.body,
    };
    if (!this.customized) return response;
    return customizeGatewayResponse(
      limit.type,
      response,
      this.options.gatewayResponses,
      gatewayResponseContext(request, limit.message, undefined, { stage: this.options.stage }),
    );
  }

  /** The gateway's answer for a refusal decided elsewhere (a native JWT authorizer's 401/403), Gateway Responses applied. */
  refusal(outcome: "unauthorized" | "forbidden", request: DevRequest): GatewayResponse {
    return (this.refuse(outcome, "", request, "skip") as Extract<Verdict, { allowed: false }>).response;
  }

  /**
   * The answer to a request no route matches: REST 403 `{"message":"Missing Authentication Token"}`
   * (`MISSING_AUTHENTICATION_TOKEN`, customizable), HTTP API 404 `{"message":"Not Found"}`.
   */
  noRoute(request: DevRequest, extraHeaders?: Readonly<Record<string, string>>): GatewayAnswer {
    return this.answer(noRouteAnswer(this.options.api), request, extraHeaders);
  }

  /** The answer for `arn` from a (fresh or cached) authorizer response, evaluated once per ARN. */
  private verdict(
    result: CachedResult,
    arn: string,
    request: DevRequest,
    cache: CacheState,
    latencyMs: number,
  ): Verdict {
    let evaluation = result.verdicts.get(arn);
    if (evaluation === undefined) {
      evaluation = evaluate(result.response, arn);
      if (result.verdicts.size >= MAX_ARNS_PER_RESULT) {
        const oldest = result.verdicts.keys().next();
        if (!oldest.done) result.verdicts.delete(oldest.value);
      }
      result.verdicts.set(arn, evaluation);
    }
    if (cache === "hit" && evaluation.allowed) return hitVerdict(evaluation, result.response);
    return this.verdictOf(evaluation, result.response, request, cache, latencyMs);
  }

  /** The verdict of one evaluation (a refusal carries this request's id, so it is never shared). */
  private verdictOf(
    evaluation: Evaluation,
    response: CheckedResponse,
    request: DevRequest,
    cache: CacheState,
    latencyMs: number,
  ): Verdict {
    if (!evaluation.allowed)
      return this.refuse(evaluation.outcome, evaluation.reason, request, cache, response.context);
    return allowVerdict(response, evaluation.reason, cache, latencyMs);
  }
}

/** The allow verdict cache hits for one (result, ARN) share: built on the first hit, then returned as is. */
function hitVerdict(evaluation: AllowEvaluation, response: CheckedResponse): Verdict {
  evaluation.hit ??= allowVerdict(response, evaluation.reason, "hit", 0);
  return evaluation.hit;
}

/** Evaluates a checked authorizer response for `arn` (the policy's IAM answer, or `isAuthorized`). */
function evaluate(response: CheckedResponse, arn: string): Evaluation {
  if (response.kind === "simple") {
    if (!response.isAuthorized)
      return { allowed: false, outcome: "forbidden", reason: "isAuthorized is false" };
    return { allowed: true, reason: "isAuthorized" };
  }
  const effect = evaluateCachedPolicy(response.policyDocument, arn);
  if (effect.effect === "deny")
    return { allowed: false, outcome: "deny", reason: `an explicit Deny matches ${arn}` };
  if (effect.effect === "implicit-deny")
    return { allowed: false, outcome: "implicit-deny", reason: `no Allow statement matches ${arn}` };
  return { allowed: true, reason: `an Allow matches ${arn}` };
}

function allowVerdict(
  response: CheckedResponse,
  reason: string,
  cache: CacheState,
  latencyMs: number,
): Verdict {
  return {
    allowed: true,
    outcome: "allow",
    caller: {
      principalId: response.kind === "policy" ? response.principalId : null,
      context: response.context,
      latencyMs,
    },
    reason,
    cache,
    usageIdentifierKey: response.kind === "policy" ? response.usageIdentifierKey : null,
  };
}

const clip = (text: string) => (text.length > 300 ? `${text.slice(0, 297)}...` : text);
