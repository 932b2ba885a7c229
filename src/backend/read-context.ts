import { isJsonObject } from "../util/json.js";

/** What a backend learns about the caller from the authorizer. */
export interface AuthorizerContext {
  /** The principal (`principalClaim`, default `sub`); `null` when the event carries no authorizer data. */
  readonly principalId: string | null;
  /** The claims the authorizer passed on (`context.claims`), with JSON-encoded arrays and objects decoded again. */
  readonly claims: Record<string, unknown>;
}

/** REST and WebSocket keys that API Gateway adds itself; not claims. */
const GATEWAY_KEYS = new Set(["principalId", "integrationLatency"]);

function decode(value: unknown): unknown {
  // REST, WebSocket and HTTP 1.0 contexts hold only scalars, so gatepass sends arrays and objects
  // as JSON text, and API Gateway turns every value into a string; undo both.
  if (typeof value !== "string") return value;
  const first = value[0];
  if (first === "[" || first === "{") {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

/**
 * Reads the authorizer's output in a backend Lambda: from a REST or WebSocket proxy event
 * (`requestContext.authorizer.principalId` and the stringified context) or from an HTTP API 2.0
 * event (`requestContext.authorizer.lambda`, types kept). Never throws.
 *
 * @example
 * export const handler = async (event) => {
 *   const { principalId, claims } = readAuthorizerContext(event);
 *   return { statusCode: 200, body: JSON.stringify({ hello: principalId, scope: claims.scope }) };
 * };
 */
export function readAuthorizerContext(event: unknown): AuthorizerContext {
  const requestContext = isJsonObject(event) ? event.requestContext : undefined;
  const authorizer = isJsonObject(requestContext) ? requestContext.authorizer : undefined;
  if (!isJsonObject(authorizer)) return { principalId: null, claims: {} };
  const source = isJsonObject(authorizer.lambda) ? authorizer.lambda : authorizer;
  const claims: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (!GATEWAY_KEYS.has(key) && key !== "__proto__") claims[key] = decode(value);
  }
  const principal = authorizer.principalId ?? source.principalId ?? source.sub;
  return {
    principalId: typeof principal === "string" && principal.length > 0 ? principal : null,
    claims,
  };
}
