import type { IncomingMessage } from "node:http";
import { httpClient } from "../../util/builtins.js";
import { isJsonObject, type JsonObject } from "../../util/json.js";

/**
 * A bounded JSON GET for JWKS and OIDC discovery documents, on Node's own `node:http` and
 * `node:https` (no HTTP client dependency), or on an injected `fetch`-compatible client.
 *
 * Why not the global `fetch` by default: its first use loads undici, ≈ 30 ms of a Lambda cold
 * start (measured: `npm run bench -- --only cold-start`), against ≈ 5 ms for `node:http`. An
 * authorizer fetches its keys during init, so that first use is always on the cold path.
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
  /**
   * A `fetch`-compatible HTTP client, for tests or a proxy-aware client [none: `node:http` and
   * `node:https`, with Node's default TLS verification].
   */
  fetch?: typeof fetch | undefined;
  /**
   * Send a POST with this body instead of a GET (token introspection, RFC 7662): the form fields
   * and request headers (`authorization`). Everything else (one deadline, size cap, no redirects,
   * only `200` with a JSON object) is the same [a GET].
   */
  post?: { readonly body: string; readonly headers: Readonly<Record<string, string>> } | undefined;
}

/** A response whose headers have arrived, whichever client produced it. */
interface RawResponse {
  readonly status: number;
  /** The `content-length` header, when there is one. */
  readonly contentLength: string | null;
  /**
   * Reads the whole body, or resolves `null` as soon as it passes `maxBytes` (the rest is not read,
   * and the connection is closed).
   */
  read(maxBytes: number): Promise<Uint8Array | null>;
  /** Stops the body (and its connection) without reading it. */
  discard(): void;
}

/**
 * The deadline of one exchange, which passes at most once. What the exchange needs of an
 * `AbortSignal`, without one: the first `AbortController` of a process loads Node's abort and
 * event-target machinery, about half a millisecond of every cold start that fetches keys, for a
 * timer that almost never fires. A `fetch`-compatible client still gets a real signal.
 */
class Deadline {
  aborted = false;
  reason: unknown = undefined;
  readonly #listeners = new Set<() => void>();

  /** Calls `listener` once when the deadline passes; returns what cancels that. */
  onAbort(listener: () => void): () => void {
    const once = () => listener();
    this.#listeners.add(once);
    return () => this.#listeners.delete(once);
  }

  /** Passes the deadline: listeners run in the order they were added, as an `AbortSignal`'s. */
  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const listener of listeners) listener();
  }
}

/** Sends the request, resolving with the response headers; rejects if `deadline` passes. */
type Transport = (target: URL, deadline: Deadline, post: FetchJsonOptions["post"]) => Promise<RawResponse>;

const REQUEST_HEADERS = { accept: "application/json, application/jwk-set+json" };

/** The default transport: `node:http` or `node:https`, loaded on first use (they never follow redirects). */
const nodeTransport: Transport = (target, deadline, post) => {
  const client = httpClient(target.protocol);
  return new Promise<RawResponse>((resolve, reject) => {
    // The deadline destroys the request itself: the `signal` option of `get` would load more of the
    // streams machinery at cold start for the same effect.
    const cancel = deadline.onAbort(() =>
      request.destroy(deadline.reason instanceof Error ? deadline.reason : undefined),
    );
    const onResponse = (response: IncomingMessage) => {
      response.on("close", cancel);
      const length = response.headers["content-length"];
      resolve({
        status: response.statusCode ?? 0,
        contentLength: length ?? null,
        read: (maxBytes) => readMessage(response, maxBytes),
        discard: () => response.destroy(),
      });
    };
    const request =
      post === undefined
        ? client.get(target, { headers: REQUEST_HEADERS }, onResponse)
        : client.request(
            target,
            {
              method: "POST",
              headers: {
                accept: "application/json",
                ...post.headers,
                "content-length": String(Buffer.byteLength(post.body)),
              },
            },
            onResponse,
          );
    request.on("error", reject);
    if (post !== undefined) request.end(post.body);
  });
};

/**
 * The body of a `node:http` response, through `data` events: a stream's async iterator would do
 * the same but costs a cold start ≈ 3 ms the first time (it loads more of the streams machinery).
 */
function readMessage(response: IncomingMessage, maxBytes: number): Promise<Uint8Array | null> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let total = 0;
    response.on("data", (chunk: Buffer) => {
      total += chunk.length;
      if (total <= maxBytes) {
        parts.push(chunk);
        return;
      }
      response.destroy();
      resolve(null);
    });
    response.on("end", () => resolve(Buffer.concat(parts, total)));
    response.on("error", reject);
    // A connection closed before the end (after `end`, or once settled, this does nothing).
    response.on("close", () => reject(new Error("connection closed before the end of the body")));
  });
}

/** A transport on a `fetch`-compatible client, asked not to follow redirects. */
function fetchTransport(doFetch: typeof fetch): Transport {
  return async (target, deadline, post) => {
    const controller = new AbortController();
    deadline.onAbort(() => controller.abort(deadline.reason));
    const signal = controller.signal;
    const response = await doFetch(
      target.href,
      post === undefined
        ? { method: "GET", redirect: "manual", signal, headers: REQUEST_HEADERS }
        : {
            method: "POST",
            redirect: "manual",
            signal,
            headers: { accept: "application/json", ...post.headers },
            body: post.body,
          },
    );
    const body = response.body;
    let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
    return {
      // An opaque redirect (browsers' `redirect: "manual"`) has status 0: report it as a redirect.
      status: response.type === "opaqueredirect" ? 302 : response.status,
      contentLength: response.headers.get("content-length"),
      read: async (maxBytes) => {
        if (body === null) return new Uint8Array(0);
        reader = body.getReader();
        const parts: Uint8Array[] = [];
        let total = 0;
        for (;;) {
          const chunk = await reader.read();
          if (chunk.done) break;
          total += chunk.value.byteLength;
          if (total > maxBytes) {
            reader.cancel().catch(() => {});
            return null;
          }
          parts.push(chunk.value);
        }
        return Buffer.concat(parts, total);
      },
      discard: () => {
        (reader ?? body)?.cancel().catch(() => {});
      },
    };
  };
}

/**
 * GETs `url` (or POSTs `options.post`) and returns its body parsed as a JSON object, or rejects with a {@link FetchJsonError}
 * (never anything else).
 *
 * @example
 * const doc = await fetchJson("https://id.example.com/.well-known/jwks.json", { timeoutMs: 3000 });
 */
export async function fetchJson(url: string, options: FetchJsonOptions = {}): Promise<JsonObject> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const transport = options.fetch === undefined ? nodeTransport : fetchTransport(options.fetch);
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
  // unref'd, so a pending request (even through a client that holds no socket) always settles.
  const deadline = new Deadline();
  const timer = setTimeout(
    () => deadline.abort(new DOMException(`timeout after ${timeoutMs} ms`, "TimeoutError")),
    timeoutMs,
  );
  try {
    return await fetchWithin(target, deadline, timeoutMs, maxBytes, transport, options.post);
  } finally {
    clearTimeout(timer);
  }
}

/** The exchange itself, under `deadline`. */
async function fetchWithin(
  target: URL,
  deadline: Deadline,
  timeoutMs: number,
  maxBytes: number,
  transport: Transport,
  post: FetchJsonOptions["post"],
): Promise<JsonObject> {
  const timedOut = (cause?: unknown) => new FetchJsonError(`timeout after ${timeoutMs} ms`, { cause });

  let response: RawResponse;
  try {
    // The race also bounds an injected client that ignores its signal.
    response = await untilAborted(transport(target, deadline, post), deadline);
  } catch (error) {
    if (deadline.aborted) throw timedOut(error);
    throw new FetchJsonError(connectionFailure(error), { cause: error });
  }

  const status = response.status;
  if (status >= 300 && status < 400) {
    response.discard();
    throw new FetchJsonError("redirect refused", { status });
  }
  if (status !== 200) {
    response.discard();
    throw new FetchJsonError(`HTTP ${status}`, { status });
  }
  const tooLarge = () => new FetchJsonError(`response larger than ${maxBytes} bytes`, { status });
  if (response.contentLength !== null && Number(response.contentLength) > maxBytes) {
    response.discard();
    throw tooLarge();
  }
  let bytes: Uint8Array | null;
  try {
    bytes = await untilAborted(response.read(maxBytes), deadline);
  } catch (error) {
    // Closing the connection right away: a hostile server stops costing bandwidth.
    response.discard();
    if (deadline.aborted) throw timedOut(error);
    throw new FetchJsonError(connectionFailure(error), { cause: error });
  }
  if (bytes === null) throw tooLarge();
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

/** Settles like `promise`, or rejects as soon as `deadline` passes; the loser's rejection is absorbed. */
function untilAborted<T>(promise: Promise<T>, deadline: Deadline): Promise<T> {
  if (deadline.aborted) {
    promise.catch(() => {});
    return Promise.reject(deadline.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const cancel = deadline.onAbort(() => reject(deadline.reason));
    promise.then(
      (value) => {
        cancel();
        resolve(value);
      },
      (error: unknown) => {
        cancel();
        reject(error);
      },
    );
  });
}

/** "connection failed", with the system or TLS error code when there is one (never a message). */
function connectionFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = cause?.code ?? (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)
    ? `connection failed (${code})`
    : "connection failed";
}
