import type { TokenSource } from "../config/types.js";
import { isRecord, own } from "./event-lookup.js";
import { httpV1Adapter } from "./http-v1.js";
import { httpV2Adapter } from "./http-v2.js";
import { restRequestAdapter } from "./rest-request.js";
import { restTokenAdapter } from "./rest-token.js";
import type { AuthRequest, EventKind, UnrecognizedEvent } from "./types.js";
import { websocketAdapter } from "./websocket.js";

/**
 * Event shape detection. Some shapes are supersets of others: an HTTP 1.0 event is a REST
 * `REQUEST` event plus `version` (and carries an `authorizationToken` too), and a WebSocket event
 * is a REST `REQUEST` event with a `$connect` ARN. So the guards run in this order:
 * 1. HTTP 2.0 (`version: "2.0"`, `routeArn`);
 * 2. REST `TOKEN` (`type: "TOKEN"`: HTTP APIs have no TOKEN type, so this is unambiguous, and it
 *    comes before 1.0 so that an emulator's TOKEN event that also carries `version: "1.0"`, as
 *    serverless-offline's does, still uses its `authorizationToken`);
 * 3. HTTP 1.0 (`version: "1.0"`, `methodArn`);
 * 4. WebSocket and 5. REST `REQUEST`, both refusing any event with a `version`, so an HTTP API
 *    event with a missing ARN is reported as such instead of being read as another shape.
 */

/**
 * The kind of an authorizer event, or `null` when it is none of them. Never throws.
 *
 * @example
 * detectEventKind({ version: "2.0", type: "REQUEST", routeArn: "arn:aws:execute-api:…" }) // "http-v2"
 */
export function detectEventKind(event: unknown): EventKind | null {
  try {
    if (httpV2Adapter.matches(event)) return "http-v2";
    if (restTokenAdapter.matches(event)) return "rest-token";
    if (httpV1Adapter.matches(event)) return "http-v1";
    if (websocketAdapter.matches(event)) return "websocket";
    if (restRequestAdapter.matches(event)) return "rest-request";
  } catch {
    // Only reachable with a non-JSON object (a throwing getter or proxy): not an event.
  }
  return null;
}

/**
 * Turns any API Gateway authorizer event into an {@link AuthRequest}, reading the token from
 * `tokenSources` (first present wins; a `TOKEN` event always uses its `authorizationToken`). For
 * anything else it answers `{ kind: null, missing }`, naming what was missing (never a value).
 * Never throws.
 *
 * @example
 * const request = toAuthRequest(event, config.tokenSources);
 * if (request.kind === null) throw new Error("Unauthorized"); // log request.missing
 * if (request.token === null) throw new Error("Unauthorized"); // log request.tokenProblem
 */
export function toAuthRequest(
  event: unknown,
  tokenSources: readonly TokenSource[],
): AuthRequest | UnrecognizedEvent {
  try {
    if (httpV2Adapter.matches(event)) return httpV2Adapter.toRequest(event, tokenSources);
    if (restTokenAdapter.matches(event)) return restTokenAdapter.toRequest(event, tokenSources);
    if (httpV1Adapter.matches(event)) return httpV1Adapter.toRequest(event, tokenSources);
    if (websocketAdapter.matches(event)) return websocketAdapter.toRequest(event, tokenSources);
    if (restRequestAdapter.matches(event)) return restRequestAdapter.toRequest(event, tokenSources);
    return { kind: null, missing: describeMissing(event) };
  } catch {
    // The adapters never throw for JSON values (every Lambda event is one); this only catches
    // objects built in code with throwing getters or proxies, and keeps the promise anyway.
    return { kind: null, missing: "the event could not be read" };
  }
}

/** Why no guard matched, naming fields only: the log line must say what to fix, never echo input. */
function describeMissing(event: unknown): string {
  if (!isRecord(event)) {
    const what =
      event === null || event === undefined
        ? String(event)
        : Array.isArray(event)
          ? "an array"
          : `a ${typeof event}`;
    return `the event is ${what}, not an object`;
  }
  const version = own(event, "version");
  const type = own(event, "type");
  if (version === "2.0") return 'an HTTP API 2.0 event (version "2.0") without a string routeArn';
  if (version === "1.0") return 'an HTTP API 1.0 event (version "1.0") without a string methodArn';
  if (version !== undefined) return 'an unsupported version (expected "1.0" or "2.0")';
  if (type === "TOKEN") {
    const hasToken = typeof own(event, "authorizationToken") === "string";
    const hasArn = typeof own(event, "methodArn") === "string";
    if (!hasToken && !hasArn) return "a TOKEN event without a string authorizationToken and methodArn";
    return hasToken
      ? "a TOKEN event without a string methodArn"
      : "a TOKEN event without a string authorizationToken";
  }
  if (type === "REQUEST")
    return 'a REQUEST event without a string methodArn (or routeArn with version "2.0")';
  if (type !== undefined) return 'an unsupported type (expected "TOKEN" or "REQUEST")';
  return 'no type ("TOKEN" or "REQUEST") and no version ("1.0" or "2.0")';
}
