import type { GatepassConfig } from "../config/types.js";
import { type AuthorizerResponse, createAuthorizer } from "../lambda/authorizer.js";
import { createMemoryLogger } from "../log.js";
import { evaluatePolicy, validateAuthorizerResponse } from "../policy/evaluate.js";
import { isRoutedMethod, ROUTED_METHODS } from "../rules/methods.js";
import type { InspectEnvironment } from "./verification.js";

/**
 * What the authorizer answers for one request (`gatepass inspect --route "METHOD /path"`, the dev
 * console's explainer and routes table), and what API Gateway then answers the client: the authorizer runs on a REST `TOKEN` event, and its policy is evaluated
 * with IAM semantics.
 */

/** A concrete request, as API Gateway would see it. */
export interface Route {
  method: string;
  path: string;
}

/**
 * Reads `"METHOD /path"` (a query or fragment is dropped), as `gatepass inspect --route` and the
 * console's explainer take it. Throws an `Error` saying what is expected.
 *
 * @example
 * parseRoute("get /orders/42?x=1"); // { method: "GET", path: "/orders/42" }
 */
export function parseRoute(text: string): Route {
  const match = /^\s*([A-Za-z]+)\s+(\/[^\s?#]*)(?:[?#]\S*)?\s*$/.exec(text);
  if (!match || !isRoutedMethod(match[1]!.toUpperCase())) {
    throw new Error(
      `expected "METHOD /path" with METHOD one of ${ROUTED_METHODS.join(", ")}, got "${text.slice(0, 60)}"`,
    );
  }
  return { method: match[1]!.toUpperCase(), path: match[2]! };
}

/** A fixed, real-looking API: 12-digit account, 10-character API id, stage `dev`. */
const ARN_PREFIX = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/dev";

export interface RouteResult {
  route: string;
  methodArn: string;
  decision: "allow" | "deny" | "unauthorized" | "error";
  /** What API Gateway answers the client. */
  status: 200 | 401 | 403 | 500;
  reason?: string;
  detail?: string;
  /** What the authorizer returned; `null` when it threw. */
  authorizerResponse: AuthorizerResponse | null;
  /** The error message when it threw (`Unauthorized` for a 401). */
  thrown: string | null;
  /** API Gateway's answer when the request does not reach the integration. */
  gatewayResponse: { statusCode: number; headers: Record<string, string>; body: string } | null;
}

const GATEWAY: Record<"401" | "403" | "403-explicit" | "500", RouteResult["gatewayResponse"]> = {
  "401": {
    statusCode: 401,
    headers: { "x-amzn-ErrorType": "UnauthorizedException" },
    body: '{"message":"Unauthorized"}',
  },
  "403": {
    statusCode: 403,
    headers: { "x-amzn-ErrorType": "AccessDeniedException" },
    body: '{"Message":"User is not authorized to access this resource"}',
  },
  "403-explicit": {
    statusCode: 403,
    headers: { "x-amzn-ErrorType": "AccessDeniedException" },
    body: '{"Message":"User is not authorized to access this resource with an explicit deny"}',
  },
  "500": {
    statusCode: 500,
    headers: { "x-amzn-ErrorType": "AuthorizerConfigurationException" },
    body: '{"message":null}',
  },
};

/**
 * What gatepass's authorizer, built from `config`, answers for `token` on `route` (a REST TOKEN
 * event), and what API Gateway then answers. Throws a `ConfigError` when no authorizer can be
 * built from `config`.
 */
export async function decideRoute(
  token: string,
  config: GatepassConfig,
  route: Route,
  environment: InspectEnvironment = {},
): Promise<RouteResult> {
  const methodArn = `${ARN_PREFIX}/${route.method}/${route.path.replace(/^\//, "")}`;
  const logger = createMemoryLogger();
  const authorizer = createAuthorizer(config, { logger, sharedKeyCache: false, ...environment });
  const base = { route: `${route.method} ${route.path}`, methodArn };
  let response: AuthorizerResponse;
  try {
    response = await authorizer({ type: "TOKEN", authorizationToken: `Bearer ${token}`, methodArn });
  } catch (error) {
    const thrown = error instanceof Error ? error.message : String(error);
    const logged = [...logger.lines].reverse().find((l) => l.event === "decision");
    const unauthorized = thrown === "Unauthorized";
    return {
      ...base,
      decision: unauthorized ? "unauthorized" : "error",
      status: unauthorized ? 401 : 500,
      ...(typeof logged?.reason === "string" ? { reason: logged.reason } : {}),
      ...(typeof logged?.detail === "string" ? { detail: logged.detail } : {}),
      authorizerResponse: null,
      thrown,
      gatewayResponse: unauthorized ? GATEWAY["401"] : GATEWAY["500"],
    };
  }
  const logged = [...logger.lines].reverse().find((l) => l.event === "decision");
  const why = {
    ...(typeof logged?.reason === "string" ? { reason: logged.reason } : {}),
    ...(typeof logged?.detail === "string" ? { detail: logged.detail } : {}),
  };
  const simple = !("policyDocument" in response);
  // What API Gateway would refuse as a malformed answer (500), however it looks.
  const problems = validateAuthorizerResponse(response, simple ? "simple" : "iam", { flatContext: !simple });
  if (problems.length > 0) {
    return {
      ...base,
      decision: "error",
      status: 500,
      reason: "ERR_INVALID_RESPONSE",
      detail: problems.join("; "),
      authorizerResponse: response,
      thrown: null,
      gatewayResponse: GATEWAY["500"],
    };
  }
  // A simple response only answers HTTP API 2.0 events; a TOKEN event gets a policy, evaluated
  // here with IAM semantics, as API Gateway does (explicit Deny wins).
  const outcome =
    "policyDocument" in response
      ? evaluatePolicy(response.policyDocument, methodArn)
      : response.isAuthorized
        ? "allow"
        : "implicit-deny";
  const allowed = outcome === "allow";
  return {
    ...base,
    decision: allowed ? "allow" : "deny",
    status: allowed ? 200 : 403,
    ...why,
    authorizerResponse: response,
    thrown: null,
    gatewayResponse: allowed ? null : outcome === "explicit-deny" ? GATEWAY["403-explicit"] : GATEWAY["403"],
  };
}
