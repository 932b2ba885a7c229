import { CONTEXT_JSON_KEYS } from "../policy/context.js";
import { isJsonObject, type JsonObject } from "../util/json.js";

/** What a backend learns about the caller from the authorizer. */
export interface AuthorizerContext {
  /**
   * The authorizer's principal (its `principalClaim`, default `sub`): API Gateway's
   * `requestContext.authorizer.principalId` (REST, WebSocket, HTTP 1.0), else the `principalId` the
   * authorizer put in an HTTP API 2.0 context. Never a claim. `null` when the event carries none.
   */
  readonly principalId: string | null;
  /**
   * The claims the authorizer passed on (`context.claims`), each with the type it had in the token:
   * HTTP API 2.0 values as delivered; REST, WebSocket and HTTP 1.0 values (all strings by then)
   * decoded from JSON text exactly when the context lists their key under `gatepass:json`.
   */
  readonly claims: Record<string, unknown>;
}

/** Keys that are not claims: API Gateway's own in flat contexts, the authorizer's own in every context. */
const FLAT_GATEWAY_KEYS = new Set(["principalId", "integrationLatency"]);
const NOT_CLAIMS = new Set(["principalId", CONTEXT_JSON_KEYS, "__proto__"]);

const NONE: ReadonlySet<string> = new Set();

/**
 * The keys the context lists under {@link CONTEXT_JSON_KEYS} as holding JSON text. Anything but a
 * JSON array of strings (absent, forged, truncated) lists nothing: every value stays as delivered.
 */
function jsonKeysOf(source: JsonObject): ReadonlySet<string> {
  const listed = Object.hasOwn(source, CONTEXT_JSON_KEYS) ? source[CONTEXT_JSON_KEYS] : undefined;
  if (typeof listed !== "string") return NONE;
  let keys: unknown;
  try {
    keys = JSON.parse(listed);
  } catch {
    return NONE;
  }
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string")) return NONE;
  return new Set(keys as string[]);
}

/** A listed value back from its JSON text; a value that is not JSON text stays as it is. */
function fromJsonText(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * Reads the authorizer's output in a backend Lambda: from a REST or WebSocket proxy event or an HTTP
 * API 1.0 event (`requestContext.authorizer.principalId` and the context, every value stringified by
 * API Gateway) or from an HTTP API 2.0 event (`requestContext.authorizer.lambda`, types kept). Each
 * claim reads back with the type it had in the token: in flat contexts gatepass lists under
 * `gatepass:json` the keys whose value is JSON text (numbers, booleans, arrays, objects), and only
 * those are decoded, so a string claim such as `'["admin"]'` or `"true"` stays a string. A missing or
 * malformed list decodes nothing. Never throws.
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
  const natural = isJsonObject(authorizer.lambda);
  const source = natural ? (authorizer.lambda as JsonObject) : authorizer;
  const jsonKeys = jsonKeysOf(source);
  const claims: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (NOT_CLAIMS.has(key) || (!natural && FLAT_GATEWAY_KEYS.has(key))) continue;
    claims[key] = jsonKeys.has(key) ? fromJsonText(value) : value;
  }
  // API Gateway's own principalId first; an HTTP API 2.0 context carries the authorizer's (gatepass
  // writes it after the claims, so a claim of that name never stands in for it).
  const principal = isPrincipal(authorizer.principalId)
    ? authorizer.principalId
    : natural && isPrincipal(source.principalId)
      ? source.principalId
      : null;
  return { principalId: principal, claims };
}

const isPrincipal = (value: unknown): value is string => typeof value === "string" && value.length > 0;
