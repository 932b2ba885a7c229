/**
 * API Gateway's limits on what a Lambda authorizer returns, in one place: the policy builder and the
 * authorizer keep every response within them, and the local gateway (`gatepass dev`) refuses a
 * response beyond them with a 500, as API Gateway does.
 *
 * Sources (AWS documentation):
 * - WebSocket APIs: "AWS Lambda authorizer result size: 8 KB", not adjustable (API Gateway developer
 *   guide, "Quotas for configuring and running a WebSocket API").
 * - REST and HTTP APIs document no authorizer result size; the response is a synchronous Lambda
 *   response, at most 6 MB (Lambda `Invoke` API reference).
 * - A `Resource` ARN in a returned policy: at most 512 characters ("Output from an API Gateway
 *   Lambda authorizer").
 */

/** Max length of a `Resource` ARN in a returned policy. */
export const MAX_POLICY_RESOURCE_LENGTH = 512;

/** The WebSocket authorizer result limit (8 KB), in bytes of the response's JSON. */
const WEBSOCKET_RESULT_MAX_BYTES = 8 * 1024;

/** A synchronous Lambda response (6 MB): the bound for APIs without an authorizer result quota. */
const LAMBDA_RESPONSE_MAX_BYTES = 6 * 1024 * 1024;

/**
 * The most levels of arrays and objects a value of an HTTP payload 2.0 context may nest (the value
 * itself counts as level 1). Deeper claims are left out of the context by `encodeContext`, and the
 * local gateway refuses a deeper context.
 */
export const MAX_CONTEXT_DEPTH = 64;

/**
 * The largest authorizer response, in UTF-8 bytes of its JSON, for an API kind (an
 * `AuthorizerApiKind`, an event kind or a `gatepass dev` API type: only `"websocket"` differs).
 */
export function maxResultBytes(kind: string): number {
  return kind === "websocket" ? WEBSOCKET_RESULT_MAX_BYTES : LAMBDA_RESPONSE_MAX_BYTES;
}

/** The size API Gateway measures: UTF-8 bytes of the response's JSON (`undefined` when it has none). */
export function resultBytes(response: unknown): number | undefined {
  let text: string | undefined;
  try {
    text = JSON.stringify(response);
  } catch {
    return undefined;
  }
  return text === undefined ? undefined : Buffer.byteLength(text, "utf8");
}

/**
 * Whether `value` nests arrays and objects more than `max` levels deep (a scalar: 0 levels, `[]`: 1,
 * `[[1]]`: 2). Looks no deeper than `max + 1` levels, so a hostile value cannot exhaust the stack.
 */
export const nestsDeeperThan = (value: unknown, max: number = MAX_CONTEXT_DEPTH): boolean =>
  typeof value === "object" &&
  value !== null &&
  (max <= 0 || Object.values(value).some((child) => nestsDeeperThan(child, max - 1)));
