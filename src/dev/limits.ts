import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { DevApiType } from "../config/types.js";
import type { GatewayResponseType } from "./gateway-responses.js";

/**
 * API Gateway's request limits and the answers it gives itself when a request breaks one or the
 * integration fails, byte for byte, per API type. Sources (README, "Local development"):
 * - quotas: REST payload 10 MB, total of all header values 10 240 bytes, integration timeout 50 ms
 *   to 29 s; HTTP API payload 10 MB, request line plus header values 10 240 bytes, integration
 *   timeout 30 s (limits.html, api-gateway-execution-service-limits-table.html); Lambda's
 *   synchronous invocation payload 6 MB;
 * - REST answers: 502 `{"message": "Internal server error"}` and 504 `{"message": "Endpoint request
 *   timed out"}`, both `x-amzn-ErrorType: InternalServerErrorException`; a Lambda event over 6 MB:
 *   413 `{"message": "Request Too Long"}` with `BadRequestException`; a body over 10 MB: 413
 *   `HTTP content length exceeded 10485760 bytes.` (observed on deployed APIs);
 * - HTTP API answers: 500 `{"message":"Internal Server Error"}` (http-api-troubleshooting-lambda.html),
 *   503 `{"message":"Service Unavailable"}` on an integration timeout, 413 on a payload too large.
 * What AWS does not document (the status for headers over the limit) is answered 431.
 */

/** A request body API Gateway accepts: 10 MB. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
/** Lambda's synchronous invocation payload (the proxy event): 6 MB. */
export const MAX_LAMBDA_EVENT_BYTES = 6 * 1024 * 1024;
/** REST: all header values; HTTP API: the request line and all header values. */
export const MAX_HEADER_BYTES = 10_240;

const isHttpApi = (api: DevApiType) => api === "http-v1" || api === "http-v2-simple" || api === "http-v2-iam";

/** The integration timeout API Gateway applies by default: REST and WebSocket 29 s, HTTP APIs 30 s. */
export const defaultIntegrationTimeoutMs = (api: DevApiType): number => (isHttpApi(api) ? 30_000 : 29_000);

/** One of the gateway's own answers, before the request id and Gateway Responses are applied. */
export interface LimitAnswer {
  readonly status: number;
  /** The exact bytes AWS sends. */
  readonly body: string;
  readonly contentType: string;
  /** `x-amzn-ErrorType` (REST and WebSocket only). */
  readonly errorType?: string;
  /** The Gateway Response type it is (REST), for customization. */
  readonly type: GatewayResponseType;
  /** `$context.error.message`. */
  readonly message: string | null;
}

const json = "application/json";

/** An answer whose body is `{"message":"…"}` (HTTP APIs; REST's Missing Authentication Token). */
const compactAnswer = (status: number, type: GatewayResponseType, message: string): LimitAnswer => ({
  status,
  body: `{"message":${JSON.stringify(message)}}`,
  contentType: json,
  type,
  message,
});

/** A REST (and WebSocket) answer whose body is `{"message": "…"}` (with a space), with `x-amzn-ErrorType`. */
const spacedAnswer = (
  status: number,
  type: GatewayResponseType,
  message: string,
  errorType: string,
): LimitAnswer => ({
  status,
  body: `{"message": ${JSON.stringify(message)}}`,
  contentType: json,
  errorType,
  type,
  message,
});

/** The answer when the integration fails (`timedOut`: it did not answer in time). */
export function integrationFailureAnswer(api: DevApiType, timedOut: boolean): LimitAnswer {
  if (isHttpApi(api))
    return timedOut
      ? compactAnswer(503, "DEFAULT_5XX", "Service Unavailable")
      : compactAnswer(500, "DEFAULT_5XX", "Internal Server Error");
  return timedOut
    ? spacedAnswer(504, "INTEGRATION_TIMEOUT", "Endpoint request timed out", "InternalServerErrorException")
    : spacedAnswer(502, "DEFAULT_5XX", "Internal server error", "InternalServerErrorException");
}

/** The answer to a body over {@link MAX_PAYLOAD_BYTES}. */
export function payloadTooLargeAnswer(api: DevApiType): LimitAnswer {
  if (isHttpApi(api)) return compactAnswer(413, "REQUEST_TOO_LARGE", "Request Entity Too Large");
  const message = `HTTP content length exceeded ${MAX_PAYLOAD_BYTES} bytes.`;
  return {
    status: 413,
    body: message,
    contentType: "text; charset=utf-8",
    type: "REQUEST_TOO_LARGE",
    message,
  };
}

/** The answer when the proxy event would exceed Lambda's {@link MAX_LAMBDA_EVENT_BYTES}. */
export function lambdaEventTooLargeAnswer(api: DevApiType): LimitAnswer {
  if (isHttpApi(api)) return compactAnswer(413, "REQUEST_TOO_LARGE", "Request Entity Too Large");
  return spacedAnswer(413, "REQUEST_TOO_LARGE", "Request Too Long", "BadRequestException");
}

/** The answer to headers over {@link MAX_HEADER_BYTES}. */
export function headersTooLargeAnswer(): LimitAnswer {
  return compactAnswer(431, "DEFAULT_4XX", "Request Header Fields Too Large");
}

/** The answer to a request no route matches: REST 403 Missing Authentication Token, HTTP API 404 Not Found. */
export function noRouteAnswer(api: DevApiType): LimitAnswer {
  if (isHttpApi(api)) return compactAnswer(404, "RESOURCE_NOT_FOUND", "Not Found");
  return {
    ...compactAnswer(403, "MISSING_AUTHENTICATION_TOKEN", "Missing Authentication Token"),
    errorType: "MissingAuthenticationTokenException",
  };
}

/** The headers of one of the gateway's own answers: content type, request id (per API type), `x-amzn-ErrorType`. */
export function plainLimitHeaders(
  api: DevApiType,
  answer: LimitAnswer,
  requestId: string,
): Record<string, string> {
  const headers: Record<string, string> = { "content-type": answer.contentType };
  if (isHttpApi(api)) headers["apigw-requestid"] = requestId;
  else {
    headers["x-amzn-RequestId"] = requestId;
    if (answer.errorType !== undefined) headers["x-amzn-ErrorType"] = answer.errorType;
  }
  return headers;
}

/**
 * The limit `req` breaks before its body is read, if any: its headers (REST: the values; HTTP API:
 * the request line and the values) or a declared `content-length` over 10 MB.
 */
export function checkRequestLimits(api: DevApiType, req: IncomingMessage): LimitAnswer | undefined {
  const line = isHttpApi(api) ? `${req.method} ${req.url} HTTP/${req.httpVersion}` : "";
  const raw = req.rawHeaders;
  // UTF-8 takes at most 3 bytes per UTF-16 unit: most requests are settled on lengths alone.
  let units = line.length;
  for (let i = 1; i < raw.length; i += 2) units += raw[i]!.length;
  if (units > MAX_HEADER_BYTES / 3) {
    let size = Buffer.byteLength(line);
    for (let i = 1; i < raw.length; i += 2) size += Buffer.byteLength(raw[i]!);
    if (size > MAX_HEADER_BYTES) return headersTooLargeAnswer();
  }
  const length = req.headers["content-length"];
  if (length !== undefined && /^\d+$/.test(length) && Number(length) > MAX_PAYLOAD_BYTES)
    return payloadTooLargeAnswer(api);
  return undefined;
}

/** An `X-Amzn-Trace-Id` as API Gateway passes to the integration: `Root=1-<epoch hex>-<24 hex>`. */
export const newTraceId = (nowMs: number): string =>
  `Root=1-${Math.floor(nowMs / 1000)
    .toString(16)
    .padStart(8, "0")}-${randomBytes(12).toString("hex")}`;
