import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { DevApiType } from "../../config/types.js";
import type { AuthorizedCaller, EventInput } from "../events.js";
import type { GatewayAnswer } from "../gateway-responses.js";
import { integrationFailureAnswer, type LimitAnswer } from "../limits.js";

/**
 * What runs behind the gateway once a request is allowed, one file each: an HTTP upstream (reverse
 * proxy, `upstream.ts`), a local Lambda handler invoked with a proxy event (`lambda.ts`), or the
 * built-in demo, itself a Lambda handler (`demo.ts`). This file: what they share.
 */

/** One allowed request, handed to a backend. */
export interface BackendCall {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly input: EventInput;
  readonly caller: AuthorizedCaller;
  /** Headers the gateway adds to the response (request id, CORS) unless the backend set them. */
  readonly responseHeaders: Readonly<Record<string, string>>;
  /**
   * The gateway's own answer (integration failure or timeout, payload too large) as sent: request
   * id, error type and the definition's Gateway Responses applied. Absent: the answer with
   * `responseHeaders` and its `x-amzn-ErrorType`.
   */
  readonly gatewayAnswer?: (answer: LimitAnswer) => GatewayAnswer;
  /** The integration's time limit for this request, ms (a definition's `timeoutMs`) [the backend's]. */
  readonly timeoutMs?: number;
  /** Filled with the event sent and the answer received, when the console records requests. */
  readonly trace?: { event?: unknown; answer?: unknown };
}

export interface Backend {
  /** For the banner and logs: `upstream http://…`, `lambda ./handler.mjs#handler`, `demo`. */
  readonly description: string;
  /** Answers the request. Never rejects: failures become 502/504 (or 500/503 for HTTP APIs). */
  handle(call: BackendCall): Promise<void>;
  /**
   * Forwards an allowed WebSocket upgrade, when the backend can (`upstream`; a definition's
   * `$connect` integration), optionally resolving with the status it answered.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: the upstream tunnel returns nothing, the $connect integration its status
  upgrade?(call: Omit<BackendCall, "res">, socket: Duplex, head: Buffer): void | Promise<number>;
  close(): void;
}

export /** Connection-level headers a proxy never forwards (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

export /** API Gateway's integration timeout (REST default 29 s; HTTP APIs 30 s: `defaultIntegrationTimeoutMs`). */
const INTEGRATION_TIMEOUT_MS = 29_000;

/** `answer` with `headers` (request id, CORS) and its `x-amzn-ErrorType`, as the gateway sends it. */
export function plainAnswer(answer: LimitAnswer, headers: Readonly<Record<string, string>>): GatewayAnswer {
  const out: Record<string, string> = { ...headers, "content-type": answer.contentType };
  if (answer.errorType !== undefined) out["x-amzn-ErrorType"] = answer.errorType;
  return { status: answer.status, headers: out, body: answer.body };
}

/** Sends one of the gateway's own answers for `call` (customized when the call says how). */
export function sendAnswer(
  call: Pick<BackendCall, "res" | "responseHeaders" | "gatewayAnswer">,
  answer: LimitAnswer,
): void {
  const { res } = call;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const out = call.gatewayAnswer ? call.gatewayAnswer(answer) : plainAnswer(answer, call.responseHeaders);
  res.writeHead(out.status, { ...out.headers, "content-length": String(Buffer.byteLength(out.body)) });
  res.end(out.body);
}

export function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

export const isHttpApi = (api: DevApiType) =>
  api === "http-v1" || api === "http-v2-simple" || api === "http-v2-iam";

/** The integration failure answers: REST 502/504, HTTP APIs 500/503 (exact bytes: `integrationFailureAnswer`). */
export function integrationFailure(api: DevApiType, timedOut: boolean): { status: number; body: unknown } {
  const answer = integrationFailureAnswer(api, timedOut);
  return { status: answer.status, body: JSON.parse(answer.body) as unknown };
}

export /** `name` equals the lower-case `lower`, ignoring case. */
const sameName = (name: string, lower: string) =>
  name.length === lower.length && (name === lower || name.toLowerCase() === lower);
