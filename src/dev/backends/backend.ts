import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { DevApiType } from "../../config/types.js";
import type { AuthorizedCaller, EventInput } from "../events.js";

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
  /** Filled with the event sent and the answer received, when the console records requests. */
  readonly trace?: { event?: unknown; answer?: unknown };
}

export interface Backend {
  /** For the banner and logs: `upstream http://…`, `lambda ./handler.mjs#handler`, `demo`. */
  readonly description: string;
  /** Answers the request. Never rejects: failures become 502/504 (or 500/503 for HTTP APIs). */
  handle(call: BackendCall): Promise<void>;
  /** Forwards an allowed WebSocket upgrade, when the backend can (`upstream` only). */
  upgrade?(call: Omit<BackendCall, "res">, socket: Duplex, head: Buffer): void;
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

export /** API Gateway's integration timeout (REST default 29 s). */
const INTEGRATION_TIMEOUT_MS = 29_000;

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

/** The integration failure answers: REST 502/504, HTTP APIs 500/503. */
export function integrationFailure(api: DevApiType, timedOut: boolean): { status: number; body: unknown } {
  if (isHttpApi(api))
    return timedOut
      ? { status: 503, body: { message: "Service Unavailable" } }
      : { status: 500, body: { message: "Internal Server Error" } };
  return timedOut
    ? { status: 504, body: { message: "Endpoint request timed out" } }
    : { status: 502, body: { message: "Internal server error" } };
}

export /** `name` equals the lower-case `lower`, ignoring case. */
const sameName = (name: string, lower: string) =>
  name.length === lower.length && (name === lower || name.toLowerCase() === lower);
