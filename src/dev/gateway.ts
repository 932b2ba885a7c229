import type { DevApiType } from "../config/types.js";
import type { Logger } from "../log.js";
import {
  type ApiIdentity,
  type AuthorizedCaller,
  buildAuthorizerEvent,
  type EventInput,
  requestArn,
} from "./events.js";
import { type IdentitySource, readIdentitySources } from "./identity.js";
import { errorMessage, invokeHandler, type LambdaHandler } from "./invoke.js";
import { type CheckedResponse, checkAuthorizerResponse, evaluateCachedPolicy } from "./policy-check.js";
import type { DevRequest, RouteTable } from "./request.js";
import { ResultCache } from "./result-cache.js";

/**
 * The authorization step of API Gateway: identity sources, the authorizer call (with its time
 * limit), the result cache, and the outcome → status mapping, with AWS's status codes, bodies and
 * `x-amzn-ErrorType` headers (contract §3). Knows nothing about sockets: the server feeds it a
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
export type Outcome = "allow" | "unauthorized" | "deny" | "implicit-deny" | "forbidden" | "error";

export type Verdict =
  | {
      readonly allowed: true;
      readonly outcome: "allow";
      readonly caller: AuthorizedCaller;
      readonly reason: string;
      readonly cache: CacheState;
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

/** The gateway response bodies and error types API Gateway sends (contract §3.1, §3.2). */
export const GATEWAY_RESPONSES = {
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
} as const;

const isHttpApi = (api: DevApiType) => api === "http-v1" || api === "http-v2-simple" || api === "http-v2-iam";

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

/** The API Gateway authorization step; one per server. */
export class Gateway {
  readonly cache: ResultCache<CheckedResponse>;
  private readonly flatContext: boolean;
  private readonly responseKind: "policy" | "simple";

  constructor(private readonly options: GatewayOptions) {
    // WebSocket APIs have no authorizer cache; the others cache per identity values.
    this.cache = new ResultCache(options.api === "websocket" ? 0 : options.resultTtlSeconds, options.now);
    this.flatContext = !(options.api === "http-v2-simple" || options.api === "http-v2-iam");
    this.responseKind = options.api === "http-v2-simple" ? "simple" : "policy";
  }

  /** Authorizes one request. Never throws. */
  async authorize(request: DevRequest): Promise<Authorization> {
    const { api, stage, ids } = this.options;
    const route = this.options.routes.match(request.method, request.path);
    const arn = requestArn(ids, api, stage, request);
    const identity = readIdentitySources(this.options.identitySources, request, route, stage);
    const base = { api, ids, stage, request, route, arn, identity: identity.ok ? identity.values : [] };
    const deny = (outcome: Exclude<Outcome, "allow">, reason: string, cache: CacheState): Authorization => ({
      input: base,
      verdict: {
        allowed: false,
        outcome,
        response: gatewayResponse(api, outcome, request.requestId),
        reason,
        cache,
      },
    });
    if (!identity.ok) {
      // API Gateway answers 401 itself: the authorizer is not invoked.
      return deny(
        "unauthorized",
        `identity source ${identity.missing} is missing or empty; authorizer not invoked`,
        "skip",
      );
    }
    const key = ResultCache.key(identity.values);
    const cached = this.cache.get(key);
    if (cached) return { input: base, verdict: this.evaluate(cached, arn, request.requestId, "hit", 0) };
    const cacheState: CacheState = this.cache.enabled ? "miss" : "off";

    const event = buildAuthorizerEvent(base);
    const invocation = await invokeHandler(this.options.authorizer, event, {
      functionName: this.options.authorizerName ?? "authorizer",
      // The request id doubles as the invocation id, so the authorizer's own log lines can be matched.
      awsRequestId: request.requestId,
      timeoutMs: this.options.timeoutMs,
      region: ids.region,
      accountId: ids.accountId,
    });
    if (!invocation.ok) {
      const message = errorMessage(invocation.error);
      if (!invocation.timedOut && message === UNAUTHORIZED) {
        return deny("unauthorized", "the authorizer failed with Unauthorized", cacheState);
      }
      if (invocation.timedOut) {
        this.options.logger.error("authorizer_timeout", {
          requestId: request.requestId,
          detail: `The authorizer did not answer within ${this.options.timeoutMs} ms; API Gateway answers 500.`,
        });
        return deny("error", `authorizer timed out after ${this.options.timeoutMs} ms`, cacheState);
      }
      const shown = clip(message);
      this.options.logger.error("authorizer_error", {
        requestId: request.requestId,
        detail: `The authorizer failed with ${JSON.stringify(shown)}; only the exact message "Unauthorized" gives 401, anything else gives 500.`,
      });
      return deny("error", `authorizer error: ${shown}`, cacheState);
    }
    const checked = checkAuthorizerResponse(invocation.value, this.responseKind, {
      flatContext: this.flatContext,
    });
    if (!checked.ok) {
      this.options.logger.error("authorizer_invalid_response", {
        requestId: request.requestId,
        api,
        detail: `Invalid authorizer response: ${checked.reason}`,
      });
      return deny("error", `invalid authorizer response: ${checked.reason}`, cacheState);
    }
    this.cache.set(key, checked.response);
    return {
      input: base,
      verdict: this.evaluate(checked.response, arn, request.requestId, cacheState, invocation.durationMs),
    };
  }

  /** The answer for `arn` from a (fresh or cached) authorizer response. */
  private evaluate(
    response: CheckedResponse,
    arn: string,
    requestId: string,
    cache: CacheState,
    latencyMs: number,
  ): Verdict {
    const api = this.options.api;
    const refuse = (outcome: Exclude<Outcome, "allow">, reason: string): Verdict => ({
      allowed: false,
      outcome,
      response: gatewayResponse(api, outcome, requestId),
      reason,
      cache,
    });
    if (response.kind === "simple") {
      if (!response.isAuthorized) return refuse("forbidden", "isAuthorized is false");
      return {
        allowed: true,
        outcome: "allow",
        caller: { principalId: null, context: response.context, latencyMs },
        reason: "isAuthorized",
        cache,
      };
    }
    const effect = evaluateCachedPolicy(response.policyDocument, arn);
    if (effect.effect === "deny") return refuse("deny", `an explicit Deny matches ${arn}`);
    if (effect.effect === "implicit-deny")
      return refuse("implicit-deny", `no Allow statement matches ${arn}`);
    return {
      allowed: true,
      outcome: "allow",
      caller: { principalId: response.principalId, context: response.context, latencyMs },
      reason: `an Allow matches ${arn}`,
      cache,
    };
  }
}

const clip = (text: string) => (text.length > 300 ? `${text.slice(0, 297)}...` : text);
