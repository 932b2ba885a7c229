import type { IncomingMessage } from "node:http";
import type { DevApiType } from "../../config/types.js";
import type { Logger } from "../../log.js";
import { buildProxyEvent, type EventBody } from "../events.js";
import { errorMessage, Invoker, type LambdaHandler } from "../invoke.js";
import {
  defaultIntegrationTimeoutMs,
  integrationFailureAnswer,
  lambdaEventTooLargeAnswer,
  MAX_LAMBDA_EVENT_BYTES,
  MAX_PAYLOAD_BYTES,
  newTraceId,
  payloadTooLargeAnswer,
} from "../limits.js";
import { type Backend, HOP_BY_HOP, isHttpApi, sendAnswer } from "./backend.js";

/** The Lambda backend: a local handler invoked with the API type's proxy event, its result mapped to the response. */

/** Textual media types: HTTP API events carry these as text, anything else base64. */
const isTextual = (contentType: string | undefined) =>
  contentType === undefined ||
  /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i.test(
    contentType.trim(),
  );

async function readBody(req: IncomingMessage): Promise<Buffer | "too-large"> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES) return "too-large";
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The proxy result a Lambda returned, as an HTTP response; or why it is malformed. */
type MappedResult =
  | { ok: true; status: number; headers: Array<[string, string]>; body: Buffer }
  | { ok: false; reason: string };

function scalarHeader(value: unknown): string | undefined {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : undefined;
}

/**
 * Maps a Lambda proxy result. REST and HTTP 1.0 need `{ statusCode, headers?, multiValueHeaders?,
 * body?, isBase64Encoded? }`; HTTP API 2.0 also accepts a bare value (a string is the body, an
 * object without `statusCode` is sent as JSON with 200) and `cookies`.
 */
function mapLambdaResult(api: DevApiType, value: unknown): MappedResult {
  const v2 = api === "http-v2-simple" || api === "http-v2-iam";
  const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
  if (v2 && (!isObject || (value as Record<string, unknown>).statusCode === undefined)) {
    if (typeof value === "string")
      return {
        ok: true,
        status: 200,
        headers: [["content-type", "application/json"]],
        body: Buffer.from(value),
      };
    if (value === undefined || value === null)
      return { ok: true, status: 200, headers: [], body: Buffer.alloc(0) };
    return {
      ok: true,
      status: 200,
      headers: [["content-type", "application/json"]],
      body: Buffer.from(JSON.stringify(value)),
    };
  }
  if (!isObject) return { ok: false, reason: "the result is not an object with a statusCode" };
  const result = value as Record<string, unknown>;
  const status =
    typeof result.statusCode === "string" && /^\d{3}$/.test(result.statusCode)
      ? Number(result.statusCode)
      : result.statusCode;
  if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 599) {
    return { ok: false, reason: `statusCode ${JSON.stringify(result.statusCode)} is not an HTTP status` };
  }
  const headers: Array<[string, string]> = [];
  if (result.headers !== undefined && result.headers !== null) {
    if (typeof result.headers !== "object") return { ok: false, reason: "headers is not an object" };
    for (const [name, raw] of Object.entries(result.headers as Record<string, unknown>)) {
      const text = scalarHeader(raw);
      if (text === undefined)
        return { ok: false, reason: `header ${name} is not a string, number or boolean` };
      headers.push([name, text]);
    }
  }
  if (result.multiValueHeaders !== undefined && result.multiValueHeaders !== null) {
    if (typeof result.multiValueHeaders !== "object")
      return { ok: false, reason: "multiValueHeaders is not an object" };
    for (const [name, list] of Object.entries(result.multiValueHeaders as Record<string, unknown>)) {
      if (!Array.isArray(list)) return { ok: false, reason: `multiValueHeaders.${name} is not an array` };
      const lower = name.toLowerCase();
      for (let i = headers.length - 1; i >= 0; i--)
        if (headers[i]![0].toLowerCase() === lower) headers.splice(i, 1);
      for (const item of list) {
        const text = scalarHeader(item);
        if (text !== undefined) headers.push([name, text]);
      }
    }
  }
  if (v2 && Array.isArray(result.cookies)) {
    for (const cookie of result.cookies) if (typeof cookie === "string") headers.push(["set-cookie", cookie]);
  }
  let body: Buffer;
  if (result.body === undefined || result.body === null) body = Buffer.alloc(0);
  else if (typeof result.body === "string")
    body = result.isBase64Encoded === true ? Buffer.from(result.body, "base64") : Buffer.from(result.body);
  else if (v2) body = Buffer.from(JSON.stringify(result.body));
  else return { ok: false, reason: "body is not a string" };
  return { ok: true, status, headers, body };
}

/** Adds API Gateway's `X-Amzn-Trace-Id` to a proxy event's headers when the client sent none. */
function addTraceId(event: Record<string, unknown>, api: DevApiType, nowMs: number): void {
  const headers = event.headers as Record<string, string> | null | undefined;
  if (headers === null || headers === undefined || typeof headers !== "object") return;
  if (Object.keys(headers).some((name) => name.toLowerCase() === "x-amzn-trace-id")) return;
  const trace = newTraceId(nowMs);
  if (api === "http-v2-simple" || api === "http-v2-iam") {
    headers["x-amzn-trace-id"] = trace;
    return;
  }
  headers["X-Amzn-Trace-Id"] = trace;
  const multi = event.multiValueHeaders as Record<string, string[]> | null | undefined;
  if (multi !== null && multi !== undefined && typeof multi === "object") multi["X-Amzn-Trace-Id"] = [trace];
}

/** The stack of what a handler threw (source-mapped to `.ts` lines for TypeScript handlers), for the local log only. */
function stackOf(error: unknown): string | undefined {
  if (!(error instanceof Error) || typeof error.stack !== "string") return undefined;
  return error.stack.length > 4000 ? `${error.stack.slice(0, 3997)}...` : error.stack;
}

/**
 * Invokes a local Lambda handler with the API type's proxy event and maps its result to the
 * response. The time limit is the call's (`BackendCall.timeoutMs`), else `options.timeoutMs`, else
 * the API type's default (REST 29 s, HTTP API 30 s). A failure's stack goes to the log; the caller
 * gets API Gateway's answer for the API type.
 */
export function createLambdaBackend(
  handler: LambdaHandler,
  description: string,
  logger: Logger,
  options: { timeoutMs?: number; functionName?: string } = {},
): Backend {
  // One invoker per time limit for the server's life (built on first use: region and account come with it).
  const invokers = new Map<number, Invoker>();
  return {
    description,
    async handle(call) {
      const { req, res, input, caller, responseHeaders, trace } = call;
      const api = input.api;
      const timeoutMs = call.timeoutMs ?? options.timeoutMs ?? defaultIntegrationTimeoutMs(api);
      let invoker = invokers.get(timeoutMs);
      if (invoker === undefined) {
        invoker = new Invoker(handler, {
          functionName: options.functionName ?? "backend",
          timeoutMs,
          region: input.ids.region,
          accountId: input.ids.accountId,
        });
        invokers.set(timeoutMs, invoker);
      }
      const raw = await readBody(req);
      if (raw === "too-large") {
        sendAnswer(call, payloadTooLargeAnswer(api));
        return;
      }
      const contentType = req.headers["content-type"];
      let body: EventBody;
      if (raw.length === 0) body = { body: null, isBase64Encoded: false };
      else if (isHttpApi(api) && !isTextual(contentType))
        body = { body: raw.toString("base64"), isBase64Encoded: true };
      else body = { body: raw.toString("utf8"), isBase64Encoded: false };
      const event = buildProxyEvent(input, caller, body);
      if (trace) trace.event = event;
      addTraceId(event as unknown as Record<string, unknown>, api, input.request.timeEpoch);
      // Lambda refuses a synchronous invocation payload over 6 MB; API Gateway answers 413 then.
      if (
        (body.body?.length ?? 0) > MAX_LAMBDA_EVENT_BYTES / 2 &&
        Buffer.byteLength(JSON.stringify(event)) > MAX_LAMBDA_EVENT_BYTES
      ) {
        logger.error("lambda_payload_too_large", {
          requestId: input.request.requestId,
          detail: `the proxy event is over Lambda's ${MAX_LAMBDA_EVENT_BYTES}-byte invocation payload; API Gateway answers 413`,
        });
        sendAnswer(call, lambdaEventTooLargeAnswer(api));
        return;
      }
      const invocation = await invoker.invoke(event);
      if (trace)
        trace.answer = invocation.ok
          ? invocation.value
          : { error: invocation.timedOut ? "timed out" : errorMessage(invocation.error).slice(0, 300) };
      if (!invocation.ok) {
        const stack = invocation.timedOut ? undefined : stackOf(invocation.error);
        logger.error("lambda_error", {
          requestId: input.request.requestId,
          detail: invocation.timedOut
            ? `the backend Lambda timed out after ${timeoutMs} ms`
            : `the backend Lambda failed: ${errorMessage(invocation.error).slice(0, 300)}`,
          ...(stack !== undefined ? { stack } : {}),
        });
        sendAnswer(call, integrationFailureAnswer(api, invocation.timedOut));
        return;
      }
      const mapped = mapLambdaResult(api, invocation.value);
      if (!mapped.ok) {
        logger.error("lambda_malformed_response", {
          requestId: input.request.requestId,
          detail: `Malformed Lambda proxy response: ${mapped.reason}`,
        });
        sendAnswer(call, integrationFailureAnswer(api, false));
        return;
      }
      const present = new Set(mapped.headers.map(([n]) => n.toLowerCase()));
      const flat: string[] = [];
      for (const [name, value] of mapped.headers) {
        if (!HOP_BY_HOP.has(name.toLowerCase()) && name.toLowerCase() !== "content-length")
          flat.push(name, value);
      }
      for (const [name, value] of Object.entries(responseHeaders))
        if (!present.has(name.toLowerCase())) flat.push(name, value);
      flat.push("content-length", String(mapped.body.length));
      res.writeHead(mapped.status, flat);
      res.end(mapped.body);
    },
    close() {},
  };
}
