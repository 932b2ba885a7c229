import { isJsonObject, type JsonObject } from "../../util/json.js";

/**
 * A bounded JSON GET on Node's built-in `fetch`, for JWKS and OIDC discovery documents.
 *
 * Everything a key endpoint sends is untrusted and may be hostile or broken, so every resource is
 * capped: one deadline for headers and body together, a byte limit enforced while the body streams
 * (not after buffering it), no redirects (a redirect could lead a key fetch anywhere, including
 * plain http or internal addresses), and only `200` with a JSON object is a success.
 */

/** Default deadline for headers and body together, in milliseconds. */
export const DEFAULT_FETCH_TIMEOUT_MS = 3000;
/** Default cap on the response body, in bytes (256 KiB: a JWKS of 100 RSA-4096 keys fits). */
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024;

/**
 * A fetch that did not produce a JSON object. `reason` is a short phrase safe to log ("HTTP 500",
 * "timeout after 3000 ms", "response larger than 262144 bytes", "invalid JSON", "redirect refused",
 * "connection failed (ECONNREFUSED)"); it never contains the response body.
 */
export class FetchJsonError extends Error {
  override readonly name = "FetchJsonError";
  /** Why the fetch failed, in a few words; also the `message`. */
  readonly reason: string;
  /** The HTTP status, when a response arrived. */
  readonly status: number | undefined;
  constructor(reason: string, options: { status?: number; cause?: unknown } = {}) {
    super(reason, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.status = options.status;
  }
}

/** Options of {@link fetchJson}; defaults in brackets. */
export interface FetchJsonOptions {
  /** Abort when headers and body together take longer than this [3000]. */
  timeoutMs?: number;
  /** Refuse a body larger than this many bytes [262144]. */
  maxResponseBytes?: number;
  /** The HTTP client, for tests or a proxy-aware client [globalThis.fetch]. */
  fetch?: typeof fetch | undefined;
}

/**
 * GETs `url` and returns its body parsed as a JSON object, or rejects with a {@link FetchJsonError}
 * (never anything else).
 *
 * @example
 * const doc = await fetchJson("https://id.example.com/.well-known/jwks.json", { timeoutMs: 3000 });
 */
export async function fetchJson(url: string, options: FetchJsonOptions = {}): Promise<JsonObject> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const doFetch = options.fetch ?? globalThis.fetch;
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new FetchJsonError("invalid URL");
  }
  if (target.protocol !== "https:" && target.protocol !== "http:") {
    throw new FetchJsonError("unsupported URL scheme");
  }

  // One deadline for the whole exchange: a server that sends headers quickly and then trickles the
  // body must hit it like one that never answers. Unlike `AbortSignal.timeout`, this timer is not
  // unref'd, so a pending fetch (even through a client that holds no socket) always settles.
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`timeout after ${timeoutMs} ms`, "TimeoutError")),
    timeoutMs,
  );
  try {
    return await fetchWithin(target, controller.signal, timeoutMs, maxBytes, doFetch);
  } finally {
    clearTimeout(timer);
  }
}

/** The exchange itself, under `signal` (which aborts only at the deadline). */
async function fetchWithin(
  target: URL,
  signal: AbortSignal,
  timeoutMs: number,
  maxBytes: number,
  doFetch: typeof fetch,
): Promise<JsonObject> {
  const timedOut = (cause?: unknown) => new FetchJsonError(`timeout after ${timeoutMs} ms`, { cause });

  let response: Response;
  try {
    // The race also bounds an injected client that ignores `signal`.
    response = await untilAborted(
      doFetch(target.href, {
        method: "GET",
        redirect: "manual",
        signal,
        headers: { accept: "application/json, application/jwk-set+json" },
      }),
      signal,
    );
  } catch (error) {
    if (signal.aborted) throw timedOut(error);
    throw new FetchJsonError(connectionFailure(error), { cause: error });
  }

  const status = response.status;
  if (response.type === "opaqueredirect" || (status >= 300 && status < 400)) {
    discard(response);
    throw new FetchJsonError("redirect refused", { status });
  }
  if (status !== 200) {
    discard(response);
    throw new FetchJsonError(`HTTP ${status}`, { status });
  }
  const tooLarge = () => new FetchJsonError(`response larger than ${maxBytes} bytes`, { status });
  const declared = response.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) {
    discard(response);
    throw tooLarge();
  }
  if (response.body === null) throw new FetchJsonError("empty response", { status });

  const bytes = await readBounded(response.body, maxBytes, signal, tooLarge, timedOut);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new FetchJsonError("invalid JSON", { status });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message quotes the body; it is deliberately dropped.
    throw new FetchJsonError("invalid JSON", { status });
  }
  if (!isJsonObject(value)) throw new FetchJsonError("not a JSON object", { status });
  return value;
}

/**
 * The part of a URL that is safe to log: origin and path. A query string or fragment may carry an
 * API key on some identity providers, and credentials never belong in a log.
 */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "(invalid URL)";
  }
}

/** Reads the body chunk by chunk and stops as soon as it passes `maxBytes`, before buffering more. */
async function readBounded(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  signal: AbortSignal,
  tooLarge: () => FetchJsonError,
  timedOut: (cause?: unknown) => FetchJsonError,
): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let done = false;
  try {
    while (!done) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await untilAborted(reader.read(), signal);
      } catch (error) {
        if (signal.aborted) throw timedOut(error);
        throw new FetchJsonError(connectionFailure(error), { cause: error });
      }
      if (chunk.done) {
        done = true;
        break;
      }
      total += chunk.value.byteLength;
      if (total > maxBytes) throw tooLarge();
      chunks.push(chunk.value);
    }
  } finally {
    // Cancelling closes the connection, so a hostile server stops costing bandwidth right away.
    if (!done) reader.cancel().catch(() => {});
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Settles like `promise`, or rejects as soon as `signal` aborts; the loser's rejection is absorbed. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Releases an unread body so the connection is not held open. */
function discard(response: Response): void {
  response.body?.cancel().catch(() => {});
}

/** "connection failed", with the system or TLS error code when there is one (never a message). */
function connectionFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = cause?.code ?? (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)
    ? `connection failed (${code})`
    : "connection failed";
}
