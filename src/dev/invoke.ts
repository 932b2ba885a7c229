import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Loading and invoking local Lambda handlers the way the Node.js runtime does: async handlers,
 * and callback-style ones `(event, context, callback)`; a `context` object with the usual members;
 * a time limit.
 */

/** A Lambda handler: async, or callback style. */
export type LambdaHandler = (
  event: unknown,
  context: LambdaContext,
  callback: (error?: unknown, result?: unknown) => void,
) => unknown;

/** The subset of the Lambda `context` object handlers use. */
export interface LambdaContext {
  readonly awsRequestId: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

/** Splits `FILE#export` (export `handler` by default). */
export function parseHandlerSpec(spec: string): { file: string; exportName: string } {
  const hash = spec.lastIndexOf("#");
  if (hash <= 0) return { file: spec, exportName: "handler" };
  const exportName = spec.slice(hash + 1);
  return { file: spec.slice(0, hash), exportName: exportName === "" ? "handler" : exportName };
}

/**
 * Imports `FILE#export` (relative to `cwd`) and returns the handler. Throws an `Error` with one
 * sentence when the file is missing, fails to load, or has no such function export.
 */
export async function loadHandler(spec: string, cwd: string = process.cwd()): Promise<LambdaHandler> {
  const { file, exportName } = parseHandlerSpec(spec);
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new Error(`cannot find ${file}`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`cannot load ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let fn = mod[exportName];
  // A CommonJS module imported from ESM puts its exports under `default`.
  if (typeof fn !== "function" && typeof mod.default === "object" && mod.default !== null) {
    fn = (mod.default as Record<string, unknown>)[exportName];
  }
  if (typeof fn !== "function") {
    const names = Object.keys(mod).filter((k) => typeof mod[k] === "function");
    throw new Error(
      `${file} has no function export "${exportName}"${names.length ? ` (found: ${names.join(", ")})` : ""}`,
    );
  }
  return fn as LambdaHandler;
}

/** The outcome of one invocation. */
export type Invocation =
  | { readonly ok: true; readonly value: unknown; readonly durationMs: number }
  | { readonly ok: false; readonly error: unknown; readonly timedOut: boolean; readonly durationMs: number };

/**
 * Invokes a handler with `event` and a fresh `context`, within `timeoutMs`. The result is the
 * first of: the returned promise settling, or the callback being called. A handler that returns
 * a plain value (not a promise) and takes fewer than three parameters is treated as having
 * resolved with it. Never rejects.
 */
export function invokeHandler(
  handler: LambdaHandler,
  event: unknown,
  options: {
    functionName: string;
    timeoutMs: number;
    region?: string;
    accountId?: string;
    awsRequestId?: string;
  },
): Promise<Invocation> {
  const started = performance.now();
  const deadline = Date.now() + options.timeoutMs;
  const elapsed = () => performance.now() - started;
  const region = options.region ?? "us-east-1";
  const context: LambdaContext = {
    awsRequestId: options.awsRequestId ?? randomUUID(),
    functionName: options.functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${region}:${options.accountId ?? "123456789012"}:function:${options.functionName}`,
    memoryLimitInMB: "128",
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: "gatepass-dev",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  return new Promise<Invocation>((settle) => {
    let done = false;
    const finish = (result: Invocation) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      settle(result);
    };
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          error: new Error(`timed out after ${options.timeoutMs} ms`),
          timedOut: true,
          durationMs: elapsed(),
        }),
      options.timeoutMs,
    );
    const callback = (error?: unknown, result?: unknown) => {
      if (error !== undefined && error !== null)
        finish({ ok: false, error, timedOut: false, durationMs: elapsed() });
      else finish({ ok: true, value: result, durationMs: elapsed() });
    };
    let returned: unknown;
    try {
      returned = handler(event, context, callback);
    } catch (error) {
      finish({ ok: false, error, timedOut: false, durationMs: elapsed() });
      return;
    }
    if (isThenable(returned)) {
      returned.then(
        (value) => finish({ ok: true, value, durationMs: elapsed() }),
        (error: unknown) => finish({ ok: false, error, timedOut: false, durationMs: elapsed() }),
      );
    } else if (handler.length < 3) {
      finish({ ok: true, value: returned, durationMs: elapsed() });
    }
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** The error message Lambda reports for what a handler threw or passed to its callback. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  if (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { message?: unknown }).message === "string"
  ) {
    return (error as { message: string }).message;
  }
  return String(error);
}
