import { randomUUID } from "node:crypto";
import { importHandler, parseHandlerSpec } from "./handlers/load.js";
import type { LambdaContext, LambdaHandler } from "./handlers/types.js";

export type { LambdaContext, LambdaHandler } from "./handlers/types.js";

/**
 * Loading and invoking local Lambda handlers the way the Node.js runtime does: async handlers,
 * and callback-style ones `(event, context, callback)`; a `context` object with the usual members;
 * a time limit.
 */

/**
 * Imports `FILE#export` (relative to `cwd`) and returns the handler; a TypeScript file
 * (`.ts`/`.mts`/`.cts`/`.tsx`) is compiled with esbuild first (`handlers/compile.ts`). Throws an
 * `Error` with one sentence when the file is missing, does not compile (naming `file:line`), fails
 * to load, or has no such function export. For reloads, see `handlers/registry.ts`.
 */
export async function loadHandler(spec: string, cwd: string = process.cwd()): Promise<LambdaHandler> {
  return (await importHandler(parseHandlerSpec(spec, cwd), cwd)).handler;
}

/** The outcome of one invocation. */
export type Invocation =
  | { readonly ok: true; readonly value: unknown; readonly durationMs: number }
  | { readonly ok: false; readonly error: unknown; readonly timedOut: boolean; readonly durationMs: number };

/** What an {@link Invoker} reports to the handler through `context`, and its time limit. */
export interface InvokerOptions {
  readonly functionName: string;
  readonly timeoutMs: number;
  /** [`us-east-1`] */
  readonly region?: string;
  /** [`123456789012`] */
  readonly accountId?: string;
}

/**
 * Invokes one handler again and again, with the same name and time limit: the gateway keeps one
 * per server, so what does not change per call (the function ARN, the log group, the deadline
 * timer) is built once instead of on every request.
 */
export class Invoker {
  private readonly invokedFunctionArn: string;
  private readonly logGroupName: string;
  private readonly deadlines: Deadlines;

  constructor(
    private readonly handler: LambdaHandler,
    private readonly options: InvokerOptions,
  ) {
    const region = options.region ?? "us-east-1";
    this.invokedFunctionArn = `arn:aws:lambda:${region}:${options.accountId ?? "123456789012"}:function:${options.functionName}`;
    this.logGroupName = `/aws/lambda/${options.functionName}`;
    this.deadlines = new Deadlines(options.timeoutMs);
  }

  /**
   * Invokes the handler with `event` and a fresh `context`, within the time limit. The result is
   * the first of: the returned promise settling, or the callback being called. A handler that
   * returns a plain value (not a promise) and takes fewer than three parameters is treated as
   * having resolved with it. Never rejects.
   */
  invoke(event: unknown, awsRequestId: string = randomUUID()): Promise<Invocation> {
    const { functionName, timeoutMs } = this.options;
    const call = new PendingCall(timeoutMs);
    const context: LambdaContext = {
      awsRequestId,
      functionName,
      functionVersion: "$LATEST",
      invokedFunctionArn: this.invokedFunctionArn,
      memoryLimitInMB: "128",
      logGroupName: this.logGroupName,
      logStreamName: "gatepass-dev",
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: remainingTime(call.deadlineEpochMs),
    };
    let returned: unknown;
    try {
      // The callback is an inline function (one closure), not a method: handlers call it unbound.
      returned = this.handler(event, context, (error?: unknown, result?: unknown) =>
        call.callback(error, result),
      );
    } catch (error) {
      call.finish(failed(error, call.elapsed()));
      return call.promise;
    }
    if (isThenable(returned)) {
      returned.then(
        (value) => call.finish({ ok: true, value, durationMs: call.elapsed() }),
        (error: unknown) => call.finish(failed(error, call.elapsed())),
      );
    } else if (this.handler.length < 3) {
      call.finish({ ok: true, value: returned, durationMs: call.elapsed() });
    }
    // Only a call still pending needs its time limit watched (a callback may have been called already).
    if (!call.settled) this.deadlines.watch(call);
    return call.promise;
  }
}

/** `context.getRemainingTimeInMillis`: a closure (handlers may call it detached from `context`). */
const remainingTime = (deadlineEpochMs: number) => () => Math.max(0, deadlineEpochMs - Date.now());

const failed = (error: unknown, durationMs: number): Invocation => ({
  ok: false,
  error,
  timedOut: false,
  durationMs,
});

/** One invocation in flight: settles its promise once, with whatever comes first. */
class PendingCall {
  readonly promise: Promise<Invocation>;
  readonly started = performance.now();
  /** When the time limit is up, on the `performance.now()` clock. */
  readonly deadline: number;
  /** The same moment on the wall clock, for `getRemainingTimeInMillis`. */
  readonly deadlineEpochMs: number;
  settled = false;
  /** The {@link Deadlines} watching this call, and its neighbours in that list. */
  watcher: Deadlines | undefined;
  previous: PendingCall | undefined;
  next: PendingCall | undefined;
  private resolve!: (invocation: Invocation) => void;

  constructor(readonly timeoutMs: number) {
    this.deadline = this.started + timeoutMs;
    this.deadlineEpochMs = Date.now() + timeoutMs;
    this.promise = new Promise<Invocation>((resolve) => {
      this.resolve = resolve;
    });
  }

  elapsed(): number {
    return performance.now() - this.started;
  }

  callback(error: unknown, result: unknown): void {
    if (error !== undefined && error !== null) this.finish(failed(error, this.elapsed()));
    else this.finish({ ok: true, value: result, durationMs: this.elapsed() });
  }

  finish(invocation: Invocation): void {
    if (this.settled) return;
    this.settled = true;
    this.watcher?.forget(this);
    this.resolve(invocation);
  }

  timeOut(): void {
    this.finish({
      ok: false,
      error: new Error(`timed out after ${this.timeoutMs} ms`),
      timedOut: true,
      durationMs: this.elapsed(),
    });
  }
}

/**
 * The time limits of the calls in flight with one time limit, and one timer for all of them:
 * a `setTimeout` and a `clearTimeout` per call showed in the gateway's profile. Calls with the
 * same limit expire in the order they started, so the list (oldest first, linked through the
 * calls themselves: adding and removing allocate nothing) always has the next to expire first.
 *
 * Like a per-call timer, the timer holds the process open while a call is pending, and only then:
 * it is unref'd when the list empties (not cleared: the next call most likely comes right away).
 */
class Deadlines {
  private first: PendingCall | undefined;
  private last: PendingCall | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  watch(call: PendingCall): void {
    call.watcher = this;
    call.previous = this.last;
    if (this.last) this.last.next = call;
    else {
      this.first = call;
      this.timer?.ref();
    }
    this.last = call;
    // An armed timer fires no later than this call's deadline (it was set for an older one).
    if (this.timer === undefined) this.arm(this.timeoutMs);
  }

  forget(call: PendingCall): void {
    if (call.previous) call.previous.next = call.next;
    else this.first = call.next;
    if (call.next) call.next.previous = call.previous;
    else this.last = call.previous;
    call.watcher = call.previous = call.next = undefined;
    if (this.first === undefined) this.timer?.unref();
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(this.expire, delayMs);
  }

  /** Times out every call past its deadline, then re-arms for the next one (if any). */
  private readonly expire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    let call = this.first;
    while (call !== undefined && call.deadline <= now) {
      call.timeOut(); // unlinks it
      call = this.first;
    }
    if (call !== undefined) this.arm(Math.max(1, Math.ceil(call.deadline - now)));
  };
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
