import type { TokenSource } from "../config/types.js";
import type { TokenProblemCode } from "./token-source.js";

/**
 * The API Gateway authorizer event shapes gatepass accepts (README, "Every API Gateway event type"), one adapter each:
 * - `rest-token`: REST API `TOKEN` authorizer (`authorizationToken`, `methodArn`, nothing else);
 * - `rest-request`: REST API `REQUEST` authorizer (headers, query, `methodArn`);
 * - `http-v1`: HTTP API Lambda authorizer, payload format `1.0` (REST-compatible, `methodArn`);
 * - `http-v2`: HTTP API Lambda authorizer, payload format `2.0` (`routeArn`, lowercased headers, `cookies[]`);
 * - `websocket`: WebSocket API `REQUEST` authorizer on `$connect`.
 */
export type EventKind = "rest-token" | "rest-request" | "http-v1" | "http-v2" | "websocket";

/**
 * What the core needs from an authorizer event, whatever its shape. The core never sees the event
 * itself: adapters build this, and nothing else crosses the boundary.
 */
export interface AuthRequest {
  readonly kind: EventKind;
  /** `methodArn` (REST, WebSocket, HTTP 1.0) or `routeArn` (HTTP 2.0), exactly as received (not validated here). */
  readonly arn: string;
  /**
   * The HTTP method when the event carries one (REST `REQUEST` and HTTP 1.0 `httpMethod`, HTTP 2.0
   * `requestContext.http.method`); `null` for `TOKEN` and WebSocket events, or when absent.
   */
  readonly method: string | null;
  /** The request path when the event carries one (REST `REQUEST`/HTTP 1.0 `path`, HTTP 2.0 `rawPath`); else `null`. */
  readonly path: string | null;
  /** HTTP 2.0 `routeKey` (`"GET /pets"`, `"$default"`) or the WebSocket route key (`"$connect"`); else `null`. */
  readonly routeKey: string | null;
  /**
   * HTTP 2.0 only: the `identitySource` values (API Gateway's cache key for the authorizer's answer),
   * `null` when absent or not an array of strings. Other event kinds leave it out.
   */
  readonly identitySource?: readonly string[] | null;
  /** The JWT, extracted per the configured token sources; `null` when there is none. */
  readonly token: string | null;
  /**
   * Why `token` is `null`, in a short sentence safe to log: it names the source, never echoes a
   * value (`"no Authorization header"`, `"Authorization scheme is not Bearer"`). `null` when a token was found.
   */
  readonly tokenProblem: string | null;
  /**
   * The reason code of `tokenProblem`: `ERR_JWT_TOO_LARGE` for an oversized credential, else
   * `ERR_JWT_MISSING`. `null` when a token was found.
   */
  readonly tokenProblemCode: TokenProblemCode | null;
}

/** `toAuthRequest`'s answer for an event no adapter recognises. */
export interface UnrecognizedEvent {
  readonly kind: null;
  /** What was missing or wrong, naming fields only (never their values). */
  readonly missing: string;
}

/**
 * One API Gateway event shape. `matches` and `toRequest` never throw for events that are JSON
 * values (every map may be `null`, every value of any type), and never read inherited properties.
 */
export interface Adapter<E> {
  readonly kind: EventKind;
  /** Type guard: true when `event` has this shape. Each adapter documents which fields it tests. */
  matches(event: unknown): event is E;
  /** Builds the {@link AuthRequest}; `tokenSources` says where to look for the token, first present wins. */
  toRequest(event: E, tokenSources: readonly TokenSource[]): AuthRequest;
}
